"""有事好商量: consultation rooms, their members, topics, meetings and decisions.

A decision names who does what by when; the doing is a work item of kind `meeting_decision`
in the appeals loop (deadlines, events, reply, rating), linked back through `Decision.item`."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from minhu.core.models import AppendOnlyModel


class Room(models.Model):
    """A consultation room (议事室) of a street or community."""

    name = models.CharField(_("名称"), max_length=100)
    unit = models.ForeignKey(
        "orgs.Unit", verbose_name=_("所属街道/社区"), on_delete=models.PROTECT, related_name="+"
    )
    address = models.CharField(_("地址"), max_length=200, blank=True)
    active = models.BooleanField(_("启用"), default=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("议事室")
        verbose_name_plural = _("议事室")
        ordering = ["unit__path", "name"]

    def __str__(self) -> str:
        return self.name


class MemberRole(models.TextChoices):
    COMMITTEE = "committee", _("政协委员")
    DEPUTY = "deputy", _("人大代表")
    REPRESENTATIVE = "representative", _("居民代表")
    CADRE = "cadre", _("街社干部")
    OTHER = "other", _("其他")


class Member(models.Model):
    room = models.ForeignKey(Room, on_delete=models.CASCADE, related_name="members")
    name = models.CharField(_("姓名"), max_length=50)
    role = models.CharField(_("身份"), max_length=20, choices=MemberRole.choices)
    phone = models.CharField(_("手机号"), max_length=20, blank=True)
    active = models.BooleanField(_("在任"), default=True)

    class Meta:
        verbose_name = _("议事成员")
        verbose_name_plural = _("议事成员")
        ordering = ["room", "role", "name"]

    def __str__(self) -> str:
        return f"{self.name}（{self.get_role_display()}）"


class MemberVisit(models.Model):
    """A member's visit among residents (走访调研), counted per room and street."""

    member = models.ForeignKey(Member, on_delete=models.CASCADE, related_name="visits")
    visited_on = models.DateField(_("走访日期"))
    households = models.PositiveIntegerField(_("走访户数"), default=1)
    note = models.TextField(_("情况"), blank=True)

    class Meta:
        verbose_name = _("走访调研")
        verbose_name_plural = _("走访调研")
        ordering = ["-visited_on", "-id"]

    def __str__(self) -> str:
        return f"{self.member} · {self.visited_on}"


class TopicSource(models.TextChoices):
    RESIDENT = "resident", _("居民提出")
    APPEAL = "appeal", _("来自诉求")
    VISIT = "visit", _("来自走访")


class TopicStatus(models.TextChoices):
    OPEN = "open", _("待议")
    SCHEDULED = "scheduled", _("已安排会议")
    DECIDED = "decided", _("已议定")
    DROPPED = "dropped", _("不予议事")


class Topic(models.Model):
    room = models.ForeignKey(Room, on_delete=models.PROTECT, related_name="topics")
    title = models.CharField(_("议题"), max_length=200)
    detail = models.TextField(_("情况说明"))
    source = models.CharField(_("来源"), max_length=12, choices=TopicSource.choices)
    appeal = models.ForeignKey(
        "appeals.Appeal",
        verbose_name=_("来源诉求"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    raised_by_name = models.CharField(_("提出人"), max_length=50, blank=True)
    raised_by_phone = models.CharField(_("提出人电话"), max_length=20, blank=True)
    status = models.CharField(
        _("状态"), max_length=12, choices=TopicStatus.choices, default=TopicStatus.OPEN
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        verbose_name = _("议题")
        verbose_name_plural = _("议题")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["room", "status"])]

    def __str__(self) -> str:
        return self.title


class MeetingStatus(models.TextChoices):
    PLANNED = "planned", _("已召集")
    HELD = "held", _("已召开")
    CANCELLED = "cancelled", _("已取消")


class Meeting(models.Model):
    room = models.ForeignKey(Room, on_delete=models.PROTECT, related_name="meetings")
    topic = models.ForeignKey(Topic, on_delete=models.PROTECT, related_name="meetings")
    starts_at = models.DateTimeField(_("会议时间"))
    status = models.CharField(
        _("状态"), max_length=12, choices=MeetingStatus.choices, default=MeetingStatus.PLANNED
    )
    invited_units = models.ManyToManyField(
        "orgs.Unit", verbose_name=_("邀请单位"), blank=True, related_name="+"
    )
    invited_members = models.ManyToManyField(
        Member, verbose_name=_("邀请成员"), blank=True, related_name="meetings"
    )
    attended_members = models.ManyToManyField(
        Member, verbose_name=_("出席成员"), blank=True, related_name="attended"
    )
    attendance_note = models.CharField(_("其他出席人员"), max_length=300, blank=True)
    minutes = models.TextField(_("会议纪要"), blank=True)
    convened_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    held_at = models.DateTimeField(_("召开时间"), null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("议事会议")
        verbose_name_plural = _("议事会议")
        ordering = ["-starts_at", "-id"]
        indexes = [models.Index(fields=["room", "status"])]

    def __str__(self) -> str:
        return f"{self.topic.title} · {timezone.localtime(self.starts_at):%Y-%m-%d}"


class MeetingPhoto(models.Model):
    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="photos")
    file = models.FileField(upload_to="consultation/%Y/%m/")
    name = models.CharField(max_length=200, blank=True)
    size = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return self.name or self.file.name


class DecisionParty(models.TextChoices):
    UNIT = "unit", _("单位或社会力量")
    OWNERS = "owners", _("业主（由居民代表负责）")


class Decision(models.Model):
    """Who does what by when. `item` is the work item in the appeals loop that follows it."""

    meeting = models.ForeignKey(Meeting, on_delete=models.PROTECT, related_name="decisions")
    text = models.TextField(_("议定事项"))
    party_kind = models.CharField(_("责任方类型"), max_length=10, choices=DecisionParty.choices)
    unit = models.ForeignKey(
        "orgs.Unit", verbose_name=_("责任单位"), on_delete=models.PROTECT, related_name="+"
    )
    owners_representative = models.CharField(_("业主代表"), max_length=50, blank=True)
    due_on = models.DateField(_("完成期限"))
    item = models.OneToOneField(
        "appeals.Appeal",
        verbose_name=_("跟踪工单"),
        null=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("议定事项")
        verbose_name_plural = _("议定事项")
        ordering = ["meeting", "id"]

    def __str__(self) -> str:
        return self.text[:40]


class ConsultationEvent(AppendOnlyModel):
    """Append-only history of rooms, topics and meetings (the decisions' own history is their
    work item's)."""

    class Kind(models.TextChoices):
        ROOM = "room", _("设立议事室")
        MEMBER = "member", _("增加成员")
        VISIT = "visit", _("走访调研")
        TOPIC = "topic", _("提出议题")
        DROP = "drop", _("不予议事")
        CONVENE = "convene", _("召集会议")
        HOLD = "hold", _("召开会议")
        CANCEL = "cancel", _("取消会议")
        PHOTO = "photo", _("上传照片")
        DECIDE = "decide", _("形成决定")

    kind = models.CharField(max_length=12, choices=Kind.choices)
    room = models.ForeignKey(Room, on_delete=models.CASCADE, related_name="events")
    topic = models.ForeignKey(Topic, null=True, on_delete=models.CASCADE, related_name="events")
    meeting = models.ForeignKey(Meeting, null=True, on_delete=models.CASCADE, related_name="events")
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    actor_name = models.CharField(max_length=60, blank=True)
    note = models.TextField(blank=True)
    data = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        ordering = ["created_at", "id"]
