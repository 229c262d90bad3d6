"""Door-to-door visit campaigns (入户走访): the campaign and its script, who visits which
household (exactly once per campaign), the visits recorded on phones (online or queued offline),
and the problems found on them: each solved on the spot or registered as a work item of kind
`visit_problem` in the appeal loop.

State changes go through `visits/actions.py`; `CampaignEvent` is their append-only log."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from minhu.core.models import AppendOnlyModel
from minhu.orgs.models import Unit

# Seed 004's "八九十" method (八步法, 九必问, 十件惠民实事), configurable per campaign; these
# are what a new campaign starts with.
DEFAULT_STEPS = [
    "亮明身份",
    "拉家常",
    "问需求",
    "听意见",
    "宣政策",
    "解难题",
    "留联系方式",
    "做好记录",
]
DEFAULT_QUESTIONS = [
    "家庭成员身体是否健康",
    "居住环境是否满意",
    "社会治安是否满意",
    "子女上学是否方便",
    "就业创业有无困难",
    "看病就医是否方便",
    "出行是否便利",
    "对干部作风有何意见",
    "还有什么需要帮助",
]
DEFAULT_BENEFITS = [
    "老旧小区改造",
    "城乡居民医保",
    "养老服务",
    "就业创业扶持",
    "教育惠民",
    "便民交通",
    "社会救助",
    "文化惠民",
    "生态环境整治",
    "政务服务一网通办",
]


class CampaignStatus(models.TextChoices):
    DRAFT = "draft", _("筹备中")
    ACTIVE = "active", _("进行中")
    CLOSED = "closed", _("已结束")


class Outcome(models.TextChoices):
    VISITED = "visited", _("已入户")
    NOT_HOME = "not_home", _("不在家")
    REFUSED = "refused", _("拒访")
    VACANT = "vacant", _("空置房")
    MOVED = "moved", _("已搬离")


# Outcomes after which the household counts as reached (入户率); "not home" comes back.
REACHED = (Outcome.VISITED, Outcome.REFUSED, Outcome.VACANT, Outcome.MOVED)


class AssignmentState(models.TextChoices):
    TODO = "todo", _("待走访")
    AGAIN = "again", _("需再访")
    DONE = "done", _("已走访")


class Resolution(models.TextChoices):
    ON_SPOT = "on_spot", _("当场解决")
    APPEAL = "appeal", _("转办工单")


class SatisfactionDomain(models.Model):
    """One of the six satisfaction domains (满意度领域), each with a lead department that keeps
    its ledger (seed 004)."""

    code = models.SlugField(max_length=30, unique=True)
    name = models.CharField(_("名称"), max_length=40)
    lead_unit = models.ForeignKey(
        Unit,
        verbose_name=_("牵头部门"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    order = models.PositiveSmallIntegerField(default=0)

    class Meta:
        verbose_name = _("满意度领域")
        verbose_name_plural = _("满意度领域")
        ordering = ["order", "id"]

    def __str__(self) -> str:
        return self.name


class ProblemDomain(models.Model):
    """A domain of problems raised on visits (seven by default, editable)."""

    code = models.SlugField(max_length=30, unique=True)
    name = models.CharField(_("名称"), max_length=40)
    satisfaction = models.ForeignKey(
        SatisfactionDomain,
        verbose_name=_("满意度领域"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="problem_domains",
    )
    active = models.BooleanField(_("启用"), default=True)
    order = models.PositiveSmallIntegerField(default=0)

    class Meta:
        verbose_name = _("问题领域")
        verbose_name_plural = _("问题领域")
        ordering = ["order", "id"]

    def __str__(self) -> str:
        return self.name


class Campaign(models.Model):
    name = models.CharField(_("活动名称"), max_length=100)
    owner_unit = models.ForeignKey(
        Unit, verbose_name=_("组织单位"), on_delete=models.PROTECT, related_name="+"
    )
    starts_on = models.DateField(_("开始日期"))
    ends_on = models.DateField(_("结束日期"))
    status = models.CharField(
        _("状态"),
        max_length=10,
        choices=CampaignStatus.choices,
        default=CampaignStatus.ACTIVE,
        db_index=True,
    )
    grids = models.ManyToManyField(Unit, verbose_name=_("走访网格"), related_name="+")
    units = models.ManyToManyField(Unit, verbose_name=_("参与单位"), related_name="+", blank=True)
    tiers = models.JSONField(_("参与层级"), default=list, blank=True)
    steps = models.JSONField(_("走访步骤"), default=list, blank=True)
    questions = models.JSONField(_("必问问题"), default=list, blank=True)
    benefits = models.JSONField(_("惠民实事"), default=list, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        verbose_name = _("走访活动")
        verbose_name_plural = _("走访活动")
        ordering = ["-starts_on", "-id"]

    def __str__(self) -> str:
        return self.name


class Assignment(models.Model):
    """Who visits a household in a campaign: exactly one row per (campaign, household).
    `grid` and `state` are copies kept by the verbs so coverage is one grouped query."""

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="assignments")
    household = models.ForeignKey(
        "registry.Household", on_delete=models.PROTECT, related_name="visit_assignments"
    )
    grid = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="+")
    visitor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("走访人"),
        on_delete=models.PROTECT,
        related_name="visit_assignments",
    )
    unit = models.ForeignKey(
        Unit, verbose_name=_("走访人单位"), on_delete=models.PROTECT, related_name="+"
    )
    tier = models.CharField(_("层级"), max_length=10, blank=True)
    state = models.CharField(
        _("走访状态"), max_length=6, choices=AssignmentState.choices, default=AssignmentState.TODO
    )
    last_outcome = models.CharField(max_length=10, choices=Outcome.choices, blank=True)
    done_at = models.DateTimeField(null=True, blank=True)
    visit_count = models.PositiveSmallIntegerField(default=0)

    class Meta:
        verbose_name = _("走访分工")
        verbose_name_plural = _("走访分工")
        constraints = [
            models.UniqueConstraint(
                fields=["campaign", "household"], name="visits_one_assignment_per_household"
            )
        ]
        indexes = [
            models.Index(fields=["campaign", "visitor", "state"], name="visits_asg_visitor"),
            models.Index(fields=["campaign", "grid", "state"], name="visits_asg_grid"),
            models.Index(fields=["campaign", "unit", "state"], name="visits_asg_unit"),
        ]

    def __str__(self) -> str:
        return f"{self.campaign_id}:{self.household_id} → {self.visitor_id}"


class Visit(models.Model):
    """One visit as recorded on a phone. `client_id` is generated on the phone before it is
    queued: a retried upload finds the row it already made."""

    client_id = models.UUIDField(unique=True, default=uuid.uuid4, editable=False)
    campaign = models.ForeignKey(Campaign, on_delete=models.PROTECT, related_name="visits")
    household = models.ForeignKey(
        "registry.Household", on_delete=models.PROTECT, related_name="visits"
    )
    assignment = models.ForeignKey(Assignment, on_delete=models.PROTECT, related_name="visits")
    grid = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="+")
    visitor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="visits"
    )
    outcome = models.CharField(_("走访结果"), max_length=10, choices=Outcome.choices)
    answers = models.JSONField(_("必问回答"), default=dict, blank=True)
    leaflets = models.PositiveSmallIntegerField(_("发放宣传彩页"), default=0)
    benefits = models.JSONField(_("宣传惠民实事"), default=list, blank=True)
    note = models.CharField(_("备注"), max_length=500, blank=True)
    visited_at = models.DateTimeField(_("走访时间"))
    received_at = models.DateTimeField(default=timezone.now, editable=False)
    # Another visitor recorded the same household in this campaign: both rows kept, flagged.
    conflict = models.BooleanField(_("重复走访"), default=False)

    class Meta:
        verbose_name = _("走访记录")
        verbose_name_plural = _("走访记录")
        ordering = ["-visited_at", "-id"]
        indexes = [
            models.Index(fields=["campaign", "household"], name="visits_visit_household"),
            models.Index(fields=["campaign", "visitor", "visited_at"], name="visits_visit_vis"),
            models.Index(fields=["campaign", "visited_at"], name="visits_visit_day"),
        ]

    def __str__(self) -> str:
        return f"{self.household_id} {self.outcome} {self.visited_at:%Y-%m-%d}"


class VisitProblem(models.Model):
    """A problem raised on a visit: solved on the spot or registered as a work item."""

    visit = models.ForeignKey(Visit, on_delete=models.PROTECT, related_name="problems")
    campaign = models.ForeignKey(Campaign, on_delete=models.PROTECT, related_name="+")
    grid = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="+")
    domain = models.ForeignKey(ProblemDomain, verbose_name=_("问题领域"), on_delete=models.PROTECT)
    text = models.CharField(_("问题描述"), max_length=1000)
    resolution = models.CharField(_("处理方式"), max_length=8, choices=Resolution.choices)
    solution = models.CharField(_("现场解决情况"), max_length=500, blank=True)
    appeal = models.OneToOneField(
        "appeals.Appeal",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="visit_problem",
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        verbose_name = _("走访问题")
        verbose_name_plural = _("走访问题")
        ordering = ["id"]
        indexes = [models.Index(fields=["campaign", "grid"], name="visits_problem_grid")]

    def __str__(self) -> str:
        return self.text[:40]


class VisitPhoto(models.Model):
    problem = models.ForeignKey(VisitProblem, on_delete=models.CASCADE, related_name="photos")
    file = models.FileField(upload_to="visits/%Y/%m/")
    content_type = models.CharField(max_length=40)
    size = models.PositiveIntegerField()

    def __str__(self) -> str:
        return self.file.name


class CampaignEvent(AppendOnlyModel):
    """Append-only log of every visits verb (who, what, when)."""

    campaign = models.ForeignKey(Campaign, on_delete=models.PROTECT, related_name="events")
    kind = models.CharField(max_length=30)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+"
    )
    data = models.JSONField(default=dict)
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["id"]
        indexes = [models.Index(fields=["campaign", "kind"], name="visits_event_kind")]
