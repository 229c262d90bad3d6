"""社情民意微信群: the register of WeChat groups a grid (or community) keeps with residents, the
messages their keepers turn into work items, and the records of policy posts published in a
group and of problems settled inside it.

A message a keeper registers becomes a work item of kind `wechat_message` on the built-in channel
`wechat_group` (the group is its source); the same message forwarded twice is recorded against
the first one's work item instead of opening another. The answer goes back into the group as text
the keeper copies (`answers.py`)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

KIND = "wechat_message"
SOURCE_MODEL = "wechat.GroupMessage"
CHANNEL = "wechat_group"


class WechatGroup(models.Model):
    name = models.CharField(_("群名称"), max_length=60)
    # The unit that keeps the group: a grid, or a community / village for a wider group.
    unit = models.ForeignKey(
        "orgs.Unit", on_delete=models.PROTECT, related_name="wechat_groups", verbose_name=_("所属")
    )
    # Derived from `unit` when the group is registered: what the counts group by.
    grid = models.ForeignKey(
        "orgs.Unit", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    community = models.ForeignKey("orgs.Unit", on_delete=models.PROTECT, related_name="+")
    street = models.ForeignKey(
        "orgs.Unit", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    keeper = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="wechat_groups",
        verbose_name=_("群主/管理员"),
    )
    member_count = models.PositiveIntegerField(_("群成员数"), default=0)
    active = models.BooleanField(_("在用"), default=True)
    note = models.CharField(_("备注"), max_length=200, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["community_id", "name", "id"]
        verbose_name = _("社情民意微信群")
        constraints = [
            models.UniqueConstraint(fields=["unit", "name"], name="wechat_group_unique_name")
        ]
        indexes = [models.Index(fields=["keeper", "active"], name="wechat_group_keeper")]

    def __str__(self) -> str:
        return self.name


class GroupMessage(models.Model):
    """One resident's message from a group, as the keeper pasted or forwarded it."""

    group = models.ForeignKey(WechatGroup, on_delete=models.PROTECT, related_name="messages")
    sender = models.CharField(_("群昵称"), max_length=40, blank=True)
    sender_phone = models.CharField(_("联系电话"), max_length=20, blank=True)
    text = models.TextField(_("群消息"))
    posted_at = models.DateTimeField(_("发送时间"), null=True, blank=True)
    # sha1 of the text without spaces and punctuation: the same message forwarded twice.
    digest = models.CharField(max_length=40, db_index=True)
    # The message's work item (its own, or the first message's when it repeats one); set by
    # `actions.register_message` in the transaction that creates the row.
    appeal = models.ForeignKey(
        "appeals.Appeal", on_delete=models.PROTECT, null=True, related_name="wechat_messages"
    )
    # Set when this message repeats an earlier one: it joins that one's work item.
    duplicate_of = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="repeats"
    )
    # When the keeper posted the answer back into the group.
    answered_at = models.DateTimeField(_("群内回复时间"), null=True, blank=True)
    registered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-id"]
        verbose_name = _("群消息")

    def __str__(self) -> str:
        return self.text[:30]


class RecordKind(models.TextChoices):
    POLICY_POST = "policy_post", _("政策宣传")
    SETTLED = "settled", _("群内解决")


class GroupRecord(models.Model):
    """A policy post published in the group, or a problem settled inside it (answered in the
    group at once, with nothing left to track)."""

    group = models.ForeignKey(WechatGroup, on_delete=models.PROTECT, related_name="records")
    kind = models.CharField(_("类型"), max_length=12, choices=RecordKind.choices)
    title = models.CharField(_("内容摘要"), max_length=200)
    note = models.TextField(_("说明"), blank=True)
    happened_on = models.DateField(_("日期"), db_index=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-happened_on", "-id"]
        verbose_name = _("群记录")
        indexes = [models.Index(fields=["group", "kind"], name="wechat_record_group_kind")]

    def __str__(self) -> str:
        return self.title
