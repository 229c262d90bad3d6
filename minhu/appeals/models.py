"""The appeal (诉求 / 工单) and everything that happens to it."""

from __future__ import annotations

import datetime
import secrets

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from minhu.core.models import AppendOnlyModel
from minhu.deadlines.models import Step, Urgency  # noqa: F401  (Urgency re-exported)

CODE_ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"


def new_tracking_code() -> str:
    """10 characters from a 32-letter alphabet without 0/O/1/I: 2^50 possibilities."""
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(10))


class Channel(models.TextChoices):
    HOTLINE = "hotline", _("12345热线")
    H5 = "h5", _("扫码/H5")
    MINIPROGRAM = "miniprogram", _("小程序")
    WECHAT_GROUP = "wechat_group", _("社情民意微信群")
    VISIT = "visit", _("入户走访")
    CONSULTATION = "consultation", _("协商议事")
    DEPUTY = "deputy", _("人大代表建议")
    QUESTIONNAIRE = "questionnaire", _("问卷调查")
    ENTERPRISE = "enterprise", _("营商环境意见码")


def channel_choices():
    """Registered channels (minhu.appeals.kinds): a callable, so new ones need no migration."""
    from .kinds import channel_choices

    return channel_choices()


def kind_choices():
    """Registered work-item kinds (minhu.appeals.kinds)."""
    from .kinds import kind_choices

    return kind_choices()


class AppellantKind(models.TextChoices):
    PERSON = "person", _("个人")
    ENTERPRISE = "enterprise", _("企业")
    ANONYMOUS = "anonymous", _("匿名")


class Status(models.TextChoices):
    NEW = "new", _("待派单")
    DISPATCHED = "dispatched", _("待签收")
    IN_PROGRESS = "in_progress", _("办理中")
    ESCALATED = "escalated", _("吹哨中")
    RETURNED = "returned", _("已退回")
    RESOLVED = "resolved", _("已办理待答复")
    REPLIED = "replied", _("已答复待回访")
    CLOSED = "closed", _("已销号")
    MERGED = "merged", _("已合并")


OPEN_STATUSES = {
    Status.NEW,
    Status.DISPATCHED,
    Status.IN_PROGRESS,
    Status.ESCALATED,
    Status.RETURNED,
    Status.RESOLVED,
    Status.REPLIED,
}
# status -> the statuses it may move to. Every action checks its move against this table.
TRANSITIONS: dict[str, set[str]] = {
    Status.NEW: {Status.DISPATCHED, Status.MERGED},
    Status.RETURNED: {Status.DISPATCHED, Status.MERGED},
    Status.DISPATCHED: {Status.IN_PROGRESS, Status.RETURNED, Status.DISPATCHED, Status.MERGED},
    Status.IN_PROGRESS: {Status.ESCALATED, Status.RETURNED, Status.RESOLVED},
    Status.ESCALATED: {Status.RESOLVED},
    Status.RESOLVED: {Status.REPLIED, Status.IN_PROGRESS},
    Status.REPLIED: {Status.CLOSED, Status.IN_PROGRESS},
    Status.CLOSED: set(),
    Status.MERGED: set(),
}


class OutcomeKind(models.TextChoices):
    ON_SPOT = "on_spot", _("当场解决")
    COORDINATED = "coordinated", _("协调解决")
    LONG_TERM = "long_term", _("长期推进")


class Satisfaction(models.TextChoices):
    SATISFIED = "satisfied", _("满意")
    BASIC = "basic", _("基本满意")
    UNSATISFIED = "unsatisfied", _("不满意")


class CollectionPoint(models.Model):
    """An opinion-collection point or service hall (意见征集点 / 服务大厅) with a QR code."""

    name = models.CharField(_("名称"), max_length=100)
    code = models.SlugField(_("编码"), max_length=40, unique=True)
    unit = models.ForeignKey(
        "orgs.Unit", verbose_name=_("所属单位"), on_delete=models.PROTECT, related_name="+"
    )
    channel = models.CharField(
        _("渠道"), max_length=20, choices=channel_choices, default=Channel.H5
    )
    is_service_hall = models.BooleanField(_("服务大厅"), default=False)
    address = models.CharField(_("地址"), max_length=200, blank=True)
    active = models.BooleanField(_("启用"), default=True)

    class Meta:
        verbose_name = _("意见征集点")
        verbose_name_plural = _("意见征集点")

    def __str__(self) -> str:
        return self.name


def due_bounds(now: datetime.datetime | None = None) -> tuple[datetime.datetime, datetime.datetime]:
    """(now, the end of "due soon"): a running clock due before `now` is overdue, one due
    before the second bound is due soon (MINHU_DUE_SOON_HOURS). The one definition of the
    due states: Appeal.due_state, queries.with_due_state/due_state_q and the pages' step
    states all use it."""
    now = now or timezone.now()
    return now, now + datetime.timedelta(hours=settings.MINHU_DUE_SOON_HOURS)


def step_due_state(due: datetime.datetime | None, now: datetime.datetime | None = None) -> str:
    """ "overdue", "due_soon", "on_time" for a clock due at `due`; "" without one."""
    if due is None:
        return ""
    now, soon = due_bounds(now)
    if due < now:
        return "overdue"
    if due < soon:
        return "due_soon"
    return "on_time"


class Appeal(models.Model):
    code = models.CharField(_("查询码"), max_length=12, unique=True, default=new_tracking_code)
    # The kind of work item (minhu.appeals.kinds); the resident appeal is the default.
    kind = models.CharField(
        _("工单类型"), max_length=30, choices=kind_choices, default="appeal", db_index=True
    )
    # The record the item comes from, for kinds with a source ("app_label.model", its pk).
    source_type = models.CharField(_("来源类型"), max_length=60, blank=True)
    source_id = models.CharField(_("来源编号"), max_length=64, blank=True)
    channel = models.CharField(_("渠道"), max_length=20, choices=channel_choices, db_index=True)
    collection_point = models.ForeignKey(
        CollectionPoint,
        verbose_name=_("征集点"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="appeals",
    )
    appellant_kind = models.CharField(
        _("诉求人类型"), max_length=12, choices=AppellantKind.choices, default=AppellantKind.PERSON
    )
    appellant_name = models.CharField(_("诉求人"), max_length=60, blank=True)
    appellant_phone = models.CharField(_("联系电话"), max_length=20, blank=True)
    enterprise_name = models.CharField(_("企业名称"), max_length=100, blank=True)
    subject = models.CharField(_("标题"), max_length=200)
    detail = models.TextField(_("诉求内容"))
    address = models.CharField(_("地址"), max_length=200, blank=True)
    grid = models.ForeignKey(
        "orgs.Unit",
        verbose_name=_("网格"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="grid_appeals",
    )
    street = models.ForeignKey(
        "orgs.Unit",
        verbose_name=_("街道/镇"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="street_appeals",
    )
    latitude = models.DecimalField(_("纬度"), max_digits=9, decimal_places=6, null=True, blank=True)
    longitude = models.DecimalField(
        _("经度"), max_digits=9, decimal_places=6, null=True, blank=True
    )
    category = models.ForeignKey(
        "categories.Category",
        verbose_name=_("分类"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="appeals",
    )
    urgency = models.CharField(
        _("紧急程度"), max_length=10, choices=Urgency.choices, default=Urgency.NORMAL
    )
    status = models.CharField(
        _("状态"), max_length=20, choices=Status.choices, default=Status.NEW, db_index=True
    )
    lead_unit = models.ForeignKey(
        "orgs.Unit",
        verbose_name=_("主办单位"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="lead_appeals",
    )
    parent = models.ForeignKey(
        "self",
        verbose_name=_("合并到"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="merged_children",
    )
    about_unit = models.ForeignKey(
        "orgs.Unit",
        verbose_name=_("被评价单位"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    registered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # The category's extra fields (minhu.categories.fields): {code: value}.
    attributes = models.JSONField(_("附加信息"), default=dict, blank=True)

    # Timeline of the loop.
    created_at = models.DateTimeField(_("受理时间"), default=timezone.now, db_index=True)
    dispatched_at = models.DateTimeField(_("派单时间"), null=True, blank=True)
    claimed_at = models.DateTimeField(_("签收时间"), null=True, blank=True)
    contacted_at = models.DateTimeField(_("联系时间"), null=True, blank=True)
    resolved_at = models.DateTimeField(_("办理时间"), null=True, blank=True)
    replied_at = models.DateTimeField(_("答复时间"), null=True, blank=True)
    closed_at = models.DateTimeField(_("销号时间"), null=True, blank=True, db_index=True)

    # Due times per step, and the one that matters now (indexed: queues sort and filter on it).
    claim_due_at = models.DateTimeField(_("签收时限"), null=True, blank=True)
    contact_due_at = models.DateTimeField(_("联系时限"), null=True, blank=True)
    resolve_due_at = models.DateTimeField(_("办结时限"), null=True, blank=True)
    current_due_at = models.DateTimeField(_("当前时限"), null=True, blank=True, db_index=True)
    current_step = models.CharField(_("当前环节"), max_length=20, blank=True)

    # Outcome and reply.
    outcome_kind = models.CharField(
        _("办理方式"), max_length=20, choices=OutcomeKind.choices, blank=True
    )
    outcome = models.TextField(_("办理结果"), blank=True)
    roadmap = models.TextField(_("路线图"), blank=True)
    timetable = models.TextField(_("时间表"), blank=True)
    explanation = models.TextField(_("向群众的解释说明"), blank=True)
    measures = models.TextField(_("整改措施"), blank=True)
    responsible_office = models.CharField(_("责任科室"), max_length=100, blank=True)
    responsible_person = models.CharField(_("责任人"), max_length=50, blank=True)
    reply = models.TextField(_("答复内容"), blank=True)
    satisfaction = models.CharField(
        _("满意度"), max_length=12, choices=Satisfaction.choices, blank=True
    )
    solved = models.BooleanField(_("已解决"), null=True, blank=True)
    reopen_count = models.PositiveSmallIntegerField(_("重办次数"), default=0)
    return_count = models.PositiveSmallIntegerField(_("退单次数"), default=0)
    extension_days = models.PositiveSmallIntegerField(_("已延期工作日"), default=0)
    # indexed: "anything changed?" (MAX) checks stay index lookups at tens of millions
    updated_at = models.DateTimeField(auto_now=True, db_index=True)

    class Meta:
        verbose_name = _("诉求")
        verbose_name_plural = _("诉求")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["lead_unit", "status"]),
            models.Index(fields=["street", "created_at"]),
            models.Index(fields=["category", "created_at"]),
            models.Index(fields=["status", "current_due_at"]),
            models.Index(fields=["channel", "created_at"]),
            models.Index(fields=["source_type", "source_id"]),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.subject}"

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES

    @property
    def work_kind(self):
        """The declaration of this item's kind (minhu.appeals.kinds.WorkKind)."""
        from .kinds import kind_of

        return kind_of(self)

    def can_move_to(self, status: str) -> bool:
        return status in TRANSITIONS.get(self.status, set())

    def open_dues(self) -> list[tuple[str, datetime.datetime]]:
        """The steps whose clock is running now, as (step, due), earliest first.

        Waiting to be claimed: the claim, contact and resolve clocks (all started at dispatch).
        Being handled: contact (until the appellant was reached) and resolve. Anything else: none.
        `current_step`/`current_due_at` hold the first of these (kept in step by the actions),
        so an appeal with any missed step has `current_due_at` in the past."""
        dues: list[tuple[str, datetime.datetime | None]] = []
        if self.status == Status.DISPATCHED:
            dues.append((Step.CLAIM, self.claim_due_at))
        if self.status in (Status.DISPATCHED, Status.IN_PROGRESS, Status.ESCALATED):
            if self.contacted_at is None:
                dues.append((Step.CONTACT, self.contact_due_at))
            dues.append((Step.RESOLVE, self.resolve_due_at))
        return sorted(((s, d) for s, d in dues if d is not None), key=lambda sd: sd[1])

    def due_state(self, now=None) -> str:
        """ "overdue", "due_soon", "on_time" or "" (no running clock): `step_due_state` of the
        running clock (queries.with_due_state is the same rule in SQL)."""
        if self.status not in OPEN_STATUSES:
            return ""
        return step_due_state(self.current_due_at, now)


class AssignmentRole(models.TextChoices):
    LEAD = "lead", _("主办")
    ASSIST = "assist", _("协办")


class AssignmentStatus(models.TextChoices):
    PENDING = "pending", _("待签收")
    CLAIMED = "claimed", _("已签收")
    RETURNED = "returned", _("已退回")
    DONE = "done", _("已完成")
    WITHDRAWN = "withdrawn", _("已撤回")


class Assignment(models.Model):
    """One unit's share of an appeal for one dispatch round."""

    appeal = models.ForeignKey(Appeal, on_delete=models.CASCADE, related_name="assignments")
    unit = models.ForeignKey("orgs.Unit", on_delete=models.PROTECT, related_name="assignments")
    role = models.CharField(_("角色"), max_length=10, choices=AssignmentRole.choices)
    status = models.CharField(
        _("状态"),
        max_length=12,
        choices=AssignmentStatus.choices,
        default=AssignmentStatus.PENDING,
    )
    active = models.BooleanField(default=True)
    round = models.PositiveSmallIntegerField(_("派单轮次"), default=1)
    dispatched_at = models.DateTimeField(default=timezone.now)
    claim_due_at = models.DateTimeField(null=True, blank=True)
    claimed_at = models.DateTimeField(null=True, blank=True)
    claimed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    note = models.TextField(blank=True)

    class Meta:
        verbose_name = _("派单")
        verbose_name_plural = _("派单")
        indexes = [models.Index(fields=["unit", "active", "status"])]
        constraints = [
            models.UniqueConstraint(
                fields=["appeal", "unit", "round"], name="uniq_assignment_round"
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_role_display()} {self.unit_id} #{self.appeal_id}"


class ExtensionStatus(models.TextChoices):
    PENDING = "pending", _("待审批")
    APPROVED = "approved", _("已批准")
    DENIED = "denied", _("已驳回")
    WITHDRAWN = "withdrawn", _("已失效")


class ExtensionRequest(models.Model):
    appeal = models.ForeignKey(Appeal, on_delete=models.CASCADE, related_name="extensions")
    unit = models.ForeignKey("orgs.Unit", on_delete=models.PROTECT, related_name="+")
    days = models.PositiveSmallIntegerField(_("延期工作日"))
    reason = models.TextField(_("延期理由"))
    status = models.CharField(
        max_length=10, choices=ExtensionStatus.choices, default=ExtensionStatus.PENDING
    )
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    requested_at = models.DateTimeField(default=timezone.now)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_note = models.TextField(blank=True)

    class Meta:
        verbose_name = _("延期申请")
        verbose_name_plural = _("延期申请")
        indexes = [models.Index(fields=["status", "requested_at"])]

    def __str__(self) -> str:
        return _("延期%(days)s天 #%(appeal)s %(status)s") % {
            "days": self.days,
            "appeal": self.appeal_id,
            "status": self.get_status_display(),
        }


class Whistle(models.Model):
    """吹哨: a street/town summons district departments to an appeal it cannot solve alone."""

    appeal = models.ForeignKey(Appeal, on_delete=models.CASCADE, related_name="whistles")
    unit = models.ForeignKey("orgs.Unit", on_delete=models.PROTECT, related_name="+")
    reason = models.TextField(_("吹哨事由"))
    raised_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    raised_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("吹哨")
        verbose_name_plural = _("吹哨")

    def __str__(self) -> str:
        return _("吹哨 #%(appeal)s") % {"appeal": self.appeal_id}


class SummonsStatus(models.TextChoices):
    PENDING = "pending", _("待报到")
    REPORTED = "reported", _("已报到")
    ANSWERED = "answered", _("已反馈")
    CANCELLED = "cancelled", _("已撤销")


class Summons(models.Model):
    """报到: one department's attendance on a whistle."""

    whistle = models.ForeignKey(Whistle, on_delete=models.CASCADE, related_name="summonses")
    appeal = models.ForeignKey(Appeal, on_delete=models.CASCADE, related_name="summonses")
    department = models.ForeignKey("orgs.Unit", on_delete=models.PROTECT, related_name="summonses")
    status = models.CharField(
        max_length=10, choices=SummonsStatus.choices, default=SummonsStatus.PENDING
    )
    report_due_at = models.DateTimeField(_("报到时限"))
    answer_due_at = models.DateTimeField(_("反馈时限"))
    reported_at = models.DateTimeField(null=True, blank=True)
    reported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    share = models.TextField(_("承担任务"), blank=True)
    answered_at = models.DateTimeField(null=True, blank=True)
    answer = models.TextField(_("反馈"), blank=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)
    cancel_reason = models.TextField(_("撤销原因"), blank=True)

    class Meta:
        verbose_name = _("报到")
        verbose_name_plural = _("报到")
        constraints = [
            models.UniqueConstraint(fields=["whistle", "department"], name="uniq_summons")
        ]
        indexes = [
            models.Index(fields=["department", "status"]),
            # The deadline sweep: pending summonses past their report time, and so on.
            models.Index(fields=["status", "report_due_at"]),
            models.Index(fields=["status", "answer_due_at"]),
        ]

    def __str__(self) -> str:
        return _("报到 %(department)s #%(appeal)s %(status)s") % {
            "department": self.department_id,
            "appeal": self.appeal_id,
            "status": self.get_status_display(),
        }

    @property
    def reported_on_time(self) -> bool | None:
        if not self.reported_at:
            return None
        return self.reported_at <= self.report_due_at


class FollowUpSource(models.TextChoices):
    CALLBACK = "callback", _("电话回访")
    VISIT = "visit", _("上门回访")
    RESIDENT = "resident", _("群众评价")


class FollowUp(models.Model):
    """回访 or the resident's own rating: contacted? solved? satisfied?"""

    appeal = models.ForeignKey(Appeal, on_delete=models.CASCADE, related_name="follow_ups")
    rated_appeal = models.ForeignKey(
        Appeal,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
        help_text="The merged child whose appellant gave this rating, if not the appeal itself.",
    )
    source = models.CharField(max_length=10, choices=FollowUpSource.choices)
    unit = models.ForeignKey(
        "orgs.Unit",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="follow_ups",
        help_text="The lead unit judged by this follow-up.",
    )
    round = models.PositiveSmallIntegerField(default=0, help_text="reopen_count when recorded")
    reached = models.BooleanField(_("回访接通"), default=True)
    contacted = models.BooleanField(_("承办单位是否及时联系"), null=True)
    solved = models.BooleanField(_("问题是否解决"), null=True)
    satisfaction = models.CharField(
        _("满意度"), max_length=12, choices=Satisfaction.choices, blank=True
    )
    comment = models.TextField(_("意见"), blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        verbose_name = _("回访")
        verbose_name_plural = _("回访")
        indexes = [models.Index(fields=["unit", "created_at"])]

    def __str__(self) -> str:
        return _("回访 #%(appeal)s %(satisfaction)s") % {
            "appeal": self.appeal_id,
            "satisfaction": self.get_satisfaction_display(),
        }


class Attachment(models.Model):
    appeal = models.ForeignKey(Appeal, on_delete=models.CASCADE, related_name="attachments")
    file = models.FileField(upload_to="appeals/%Y/%m/")
    content_type = models.CharField(max_length=40)
    size = models.PositiveIntegerField()
    name = models.CharField(max_length=200, blank=True)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    by_handler = models.BooleanField(default=False)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("附件")
        verbose_name_plural = _("附件")

    def __str__(self) -> str:
        return self.name or _("附件 %(id)s") % {"id": self.pk}


class EventKind(models.TextChoices):
    REGISTER = "register", _("受理登记")
    CLASSIFY = "classify", _("分类")
    MERGE = "merge", _("合并")
    MERGED_INTO = "merged_into", _("被合并")
    LINK = "link", _("关联")
    DISPATCH = "dispatch", _("派单")
    AUTO_DISPATCH = "auto_dispatch", _("自动派单")
    CLAIM = "claim", _("签收")
    RETURN = "return", _("退单")
    EXTENSION_REQUEST = "extension_request", _("申请延期")
    EXTENSION_APPROVE = "extension_approve", _("批准延期")
    EXTENSION_DENY = "extension_deny", _("驳回延期")
    WHISTLE = "whistle", _("吹哨")
    REPORT = "report", _("部门报到")
    ANSWER = "answer", _("部门反馈")
    CANCEL_SUMMONS = "cancel_summons", _("撤销召集")
    CONTACT = "contact", _("联系诉求人")
    PROGRESS = "progress", _("办理进展")
    RESOLVE = "resolve", _("办理完成")
    REPLY = "reply", _("答复群众")
    FOLLOW_UP = "follow_up", _("回访")
    RATE = "rate", _("群众评价")
    REOPEN = "reopen", _("重办")
    CLOSE = "close", _("销号")
    OVERDUE = "overdue", _("超时")
    ATTACH = "attach", _("上传附件")
    SUPERVISE = "supervise", _("督办")
    MONTHLY_PROBLEM = "monthly_problem", _("每月一题")
    EDIT = "edit", _("修改信息")
    NOTE = "note", _("领导备注")


# Events the appellant sees on the public tracking page.
PUBLIC_EVENTS = {
    EventKind.REGISTER,
    EventKind.DISPATCH,
    EventKind.AUTO_DISPATCH,
    EventKind.CLAIM,
    EventKind.CONTACT,
    EventKind.RESOLVE,
    EventKind.REPLY,
    EventKind.RATE,
    EventKind.REOPEN,
    EventKind.CLOSE,
    EventKind.MERGED_INTO,
    EventKind.WHISTLE,
}


class AppealEvent(AppendOnlyModel):
    """Append-only history of an appeal: who did what, when, from which state to which."""

    appeal = models.ForeignKey(Appeal, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(max_length=24, choices=EventKind.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    actor_name = models.CharField(max_length=60, blank=True)
    unit = models.ForeignKey(
        "orgs.Unit", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    from_status = models.CharField(max_length=20, blank=True)
    to_status = models.CharField(max_length=20, blank=True)
    note = models.TextField(blank=True)
    data = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        verbose_name = _("诉求事件")
        verbose_name_plural = _("诉求事件")
        ordering = ["created_at", "id"]
        indexes = [
            models.Index(fields=["appeal", "created_at"]),
            models.Index(fields=["kind", "created_at"]),
        ]

    @property
    def is_public(self) -> bool:
        return self.kind in PUBLIC_EVENTS
