"""Accountability: configuration of the three rates, frozen rankings, evaluations, 约谈,
red/black lists, supervision (督办), imports and the pre-aggregated counts that keep the
district's figures fast."""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from minhu.appeals.models import Satisfaction
from minhu.core.models import AppendOnlyModel

D = Decimal


def _dec(value) -> str:
    """A canonical text for a decimal: 0.100 and 0.1 are the same setting."""
    return format(Decimal(value).normalize(), "f")


def _default_sources() -> list[str]:
    return ["callback", "visit", "resident"]


class UnknownContact(models.TextChoices):
    EXCLUDE = "exclude", _("不计入响应率分母")
    AS_NO = "as_no", _("按未及时联系计")


class Attribution(models.TextChoices):
    FOLLOW_UP = "follow_up", _("按回访时间归期")
    APPEAL = "appeal", _("按受理时间归期")


class EvaluationConfig(models.Model):
    """How the three rates, the composite score and the period are computed. Exactly one row is
    active; when none is, the defaults of this model apply (see docs/accountability.md)."""

    name = models.CharField(_("名称"), max_length=60, default="默认考核规则")
    active = models.BooleanField(_("当前生效"), default=False)
    weight_response = models.DecimalField(
        _("响应率权重"), max_digits=4, decimal_places=3, default=D("0.1")
    )
    weight_solved = models.DecimalField(
        _("解决率权重"), max_digits=4, decimal_places=3, default=D("0.5")
    )
    weight_satisfaction = models.DecimalField(
        _("满意率权重"), max_digits=4, decimal_places=3, default=D("0.4")
    )
    basic_weight = models.DecimalField(
        _("基本满意折算系数"),
        max_digits=4,
        decimal_places=3,
        default=D("0.9"),
        validators=[MinValueValidator(D(0)), MaxValueValidator(D(1))],
    )
    valid_sources = models.JSONField(
        _("计入考核的回访来源"),
        default=_default_sources,
        help_text=_("callback 电话回访、visit 上门回访、resident 群众评价"),
    )
    unreached_is_valid = models.BooleanField(
        _("未接通计为有效回访"),
        default=False,
        help_text=_("计入时，未接通的回访按未联系、未解决、不满意计"),
    )
    unknown_contact = models.CharField(
        _("未询问是否及时联系时"),
        max_length=10,
        choices=UnknownContact.choices,
        default=UnknownContact.EXCLUDE,
    )
    attribution = models.CharField(
        _("归期方式"), max_length=10, choices=Attribution.choices, default=Attribution.FOLLOW_UP
    )
    roll_up = models.BooleanField(
        _("街镇含下属社区村网格"),
        default=True,
        help_text=_("街道/镇的成绩包含其下属社区、村、网格承办的诉求"),
    )
    period_start_day = models.PositiveSmallIntegerField(
        _("考核周期起始日"),
        default=1,
        validators=[MinValueValidator(1), MaxValueValidator(28)],
        help_text=_("1 表示自然月；19 表示上月19日至本月18日"),
    )
    min_valid_for_ranking = models.PositiveIntegerField(_("参与排名的最少有效回访数"), default=1)
    interview_threshold = models.DecimalField(
        _("约谈线（综合得分低于）"), max_digits=5, decimal_places=2, default=D("80")
    )
    interview_bottom_n = models.PositiveSmallIntegerField(
        _("每组末位约谈数"), default=1, help_text=_("每个排名组倒数几名列入约谈，0 表示不按名次")
    )
    review_threshold = models.DecimalField(
        _("基层评机关满意度约谈线"), max_digits=5, decimal_places=2, default=D("80")
    )
    review_negative_limit = models.PositiveSmallIntegerField(_("负面清单问题数约谈线"), default=3)
    supervise_overdue_days = models.PositiveSmallIntegerField(
        _("超期自动督办天数"), default=3, help_text=_("超过办理时限多少个自然日自动列入督办")
    )
    supervision_days = models.PositiveSmallIntegerField(_("督办办结时限（工作日）"), default=3)
    updated_at = models.DateTimeField(auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = _("考核规则")
        verbose_name_plural = _("考核规则")
        constraints = [
            models.UniqueConstraint(
                fields=["active"], condition=Q(active=True), name="one_active_evaluation_config"
            )
        ]

    def __str__(self) -> str:
        return f"{self.name}{_('（生效中）') if self.active else ''}"

    def clean(self) -> None:
        total = self.weight_response + self.weight_solved + self.weight_satisfaction
        if total != D(1):
            raise ValidationError(_("三项权重之和必须等于1（当前为%(t)s）") % {"t": total})
        bad = [s for s in self.valid_sources or [] if s not in ("callback", "visit", "resident")]
        if not self.valid_sources or bad:
            raise ValidationError({"valid_sources": _("回访来源须为 callback、visit、resident")})

    def as_dict(self) -> dict:
        return {
            "name": self.name,
            "weight_response": _dec(self.weight_response),
            "weight_solved": _dec(self.weight_solved),
            "weight_satisfaction": _dec(self.weight_satisfaction),
            "basic_weight": _dec(self.basic_weight),
            "valid_sources": sorted(self.valid_sources or []),
            "unreached_is_valid": self.unreached_is_valid,
            "unknown_contact": self.unknown_contact,
            "attribution": self.attribution,
            "roll_up": self.roll_up,
            "period_start_day": self.period_start_day,
            "min_valid_for_ranking": self.min_valid_for_ranking,
        }


class EvaluationEvent(AppendOnlyModel):
    """Append-only log of every accountability verb (publish, review, nominate, supervise ...)."""

    kind = models.CharField(max_length=40)
    target_type = models.CharField(max_length=40)
    target_id = models.BigIntegerField(null=True)
    unit = models.ForeignKey(
        "orgs.Unit", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    actor_name = models.CharField(max_length=60, blank=True)
    note = models.TextField(blank=True)
    data = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        verbose_name = _("考核操作记录")
        verbose_name_plural = _("考核操作记录")
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["target_type", "target_id"])]

    def __str__(self) -> str:
        return f"{self.kind} {self.target_type}#{self.target_id}"


# --- rankings -----------------------------------------------------------------------------


class RankingGroup(models.TextChoices):
    STREET = "street", _("街道/镇")
    DEPARTMENT = "department", _("区直部门")
    PARTY = "party", _("社会力量")


class RankingSnapshot(models.Model):
    """A period's ranking of one group, frozen when published. Later recomputations are compared
    against it (see rankings.explain_difference)."""

    period = models.CharField(_("考核周期"), max_length=7, db_index=True)
    group = models.CharField(_("排名组"), max_length=12, choices=RankingGroup.choices)
    version = models.PositiveSmallIntegerField(_("版本"), default=1)
    period_start = models.DateTimeField(_("周期开始"))
    period_end = models.DateTimeField(_("周期结束"))
    config = models.JSONField(_("考核规则快照"), default=dict)
    frozen_at = models.DateTimeField(_("冻结时间"), default=timezone.now)
    max_follow_up_id = models.BigIntegerField(_("冻结时最大回访编号"), default=0)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    note = models.TextField(_("说明"), blank=True)
    superseded = models.BooleanField(_("已被新版本取代"), default=False)

    class Meta:
        verbose_name = _("排名快照")
        verbose_name_plural = _("排名快照")
        ordering = ["-period", "group", "-version"]
        constraints = [
            models.UniqueConstraint(
                fields=["period", "group", "version"], name="uniq_ranking_snapshot"
            )
        ]

    def __str__(self) -> str:
        return f"{self.period} {self.get_group_display()} v{self.version}"


class RankingRow(models.Model):
    snapshot = models.ForeignKey(RankingSnapshot, on_delete=models.CASCADE, related_name="rows")
    unit = models.ForeignKey("orgs.Unit", on_delete=models.PROTECT, related_name="+")
    unit_name = models.CharField(max_length=100)
    rank = models.PositiveSmallIntegerField(null=True)
    valid = models.PositiveIntegerField(default=0)
    response_yes = models.PositiveIntegerField(default=0)
    response_base = models.PositiveIntegerField(default=0)
    solved = models.PositiveIntegerField(default=0)
    satisfied = models.PositiveIntegerField(default=0)
    basic = models.PositiveIntegerField(default=0)
    unsatisfied = models.PositiveIntegerField(default=0)
    response_rate = models.DecimalField(max_digits=6, decimal_places=2, null=True)
    solve_rate = models.DecimalField(max_digits=6, decimal_places=2, null=True)
    satisfaction_rate = models.DecimalField(max_digits=6, decimal_places=2, null=True)
    composite = models.DecimalField(max_digits=6, decimal_places=2, null=True)
    # The completion counts of the unit's items registered in the period (figures.completion),
    # frozen with the rates; null in snapshots published before they were frozen.
    registered = models.PositiveIntegerField(null=True)
    handled = models.PositiveIntegerField(null=True)
    on_time = models.PositiveIntegerField(null=True)
    closed = models.PositiveIntegerField(null=True)
    outcomes = models.JSONField(null=True)

    class Meta:
        verbose_name = _("排名明细")
        verbose_name_plural = _("排名明细")
        ordering = ["snapshot", "rank", "unit_name"]
        constraints = [
            models.UniqueConstraint(fields=["snapshot", "unit"], name="uniq_ranking_row")
        ]

    def __str__(self) -> str:
        return f"{self.snapshot_id} {self.unit_name} #{self.rank}"


# --- pre-aggregated counts ------------------------------------------------------------------


class AppealDaily(models.Model):
    """Appeals registered per day, per scope (0 = the district, else a street/town or the
    department leading them) and dimension. Rebuilt per day by aggregates.refresh_days."""

    day = models.DateField()
    scope_id = models.BigIntegerField()
    dim = models.CharField(max_length=10)  # total / channel / category / grid / street
    key = models.CharField(max_length=40, blank=True)
    registered = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("每日诉求量汇总")
        verbose_name_plural = _("每日诉求量汇总")
        indexes = [models.Index(fields=["scope_id", "dim", "day"]), models.Index(fields=["day"])]

    def __str__(self) -> str:
        return f"{self.day} {self.scope_id} {self.dim}={self.key}: {self.registered}"


class FollowUpDaily(models.Model):
    """Follow-up answers per day, judged unit and source. `basis` f: the follow-up's own day;
    a: the day the appeal was registered (for Attribution.APPEAL)."""

    day = models.DateField()
    basis = models.CharField(max_length=1)
    unit_id = models.BigIntegerField()
    source = models.CharField(max_length=10)
    reached = models.PositiveIntegerField(default=0)
    unreached = models.PositiveIntegerField(default=0)
    contacted_yes = models.PositiveIntegerField(default=0)
    contacted_no = models.PositiveIntegerField(default=0)
    solved_yes = models.PositiveIntegerField(default=0)
    satisfied = models.PositiveIntegerField(default=0)
    basic = models.PositiveIntegerField(default=0)
    unsatisfied = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("每日回访汇总")
        verbose_name_plural = _("每日回访汇总")
        indexes = [models.Index(fields=["basis", "day"])]

    def __str__(self) -> str:
        return f"{self.day} {self.basis} {self.unit_id} {self.source}"


class AggregateState(models.Model):
    """Days before `covered_until` are served from the aggregate tables; `watermark` is where the
    last incremental refresh read the event log from."""

    name = models.CharField(max_length=20, primary_key=True)
    covered_from = models.DateField(null=True)
    covered_until = models.DateField(null=True)
    watermark = models.DateTimeField(null=True)
    refreshed_at = models.DateTimeField(null=True)

    class Meta:
        verbose_name = _("汇总状态")
        verbose_name_plural = _("汇总状态")

    def __str__(self) -> str:
        return f"{self.name} until {self.covered_until}"


# --- evaluations ----------------------------------------------------------------------------


class NegativeIndicator(models.Model):
    """基层评机关: a negative-list item streets/towns report against district departments."""

    code = models.SlugField(_("编码"), max_length=40, unique=True)
    name = models.CharField(_("名称"), max_length=100)
    description = models.TextField(_("说明"), blank=True)
    active = models.BooleanField(_("启用"), default=True)
    sort = models.PositiveSmallIntegerField(default=0)

    class Meta:
        verbose_name = _("负面清单指标")
        verbose_name_plural = _("负面清单指标")
        ordering = ["sort", "id"]

    def __str__(self) -> str:
        return self.name


class DepartmentReview(models.Model):
    """基层评机关 (双维度评价): a street/town rates a district department for one period on
    satisfaction and on the negative list."""

    period = models.CharField(_("考核周期"), max_length=7, db_index=True)
    reviewer_unit = models.ForeignKey(
        "orgs.Unit", verbose_name=_("评价单位"), on_delete=models.PROTECT, related_name="+"
    )
    department = models.ForeignKey(
        "orgs.Unit",
        verbose_name=_("被评部门"),
        on_delete=models.PROTECT,
        related_name="department_reviews",
    )
    satisfaction = models.CharField(_("满意度"), max_length=12, choices=Satisfaction.choices)
    indicators = models.ManyToManyField(
        NegativeIndicator, verbose_name=_("负面清单问题"), blank=True, related_name="reviews"
    )
    comment = models.TextField(_("意见建议"), blank=True)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    submitted_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("基层评机关")
        verbose_name_plural = _("基层评机关")
        constraints = [
            models.UniqueConstraint(
                fields=["period", "reviewer_unit", "department"], name="uniq_department_review"
            )
        ]

    def __str__(self) -> str:
        return f"{self.period} {self.reviewer_unit_id}→{self.department_id}"


class InterviewSource(models.TextChoices):
    RANKING = "ranking", _("综合排名")
    REVIEW = "review", _("基层评机关")
    ENTERPRISE = "enterprise", _("企业评政府")
    RESIDENT = "resident", _("群众评服务")
    MANUAL = "manual", _("领导交办")


class InterviewStatus(models.TextChoices):
    FLAGGED = "flagged", _("待约谈")
    HELD = "held", _("已约谈")
    WAIVED = "waived", _("免于约谈")


class Interview(models.Model):
    """约谈: a unit flagged below the threshold, and the record of the talk and its promise."""

    unit = models.ForeignKey(
        "orgs.Unit", verbose_name=_("被约谈单位"), on_delete=models.PROTECT, related_name="+"
    )
    period = models.CharField(_("考核周期"), max_length=7, db_index=True)
    source = models.CharField(_("依据"), max_length=12, choices=InterviewSource.choices)
    reason = models.TextField(_("约谈事由"))
    score = models.DecimalField(_("得分"), max_digits=6, decimal_places=2, null=True, blank=True)
    status = models.CharField(
        _("状态"), max_length=10, choices=InterviewStatus.choices, default=InterviewStatus.FLAGGED
    )
    flagged_at = models.DateTimeField(default=timezone.now)
    flagged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    held_at = models.DateTimeField(_("约谈时间"), null=True, blank=True)
    interviewer = models.CharField(_("约谈人"), max_length=100, blank=True)
    attendees = models.CharField(_("被约谈人"), max_length=200, blank=True)
    record = models.TextField(_("约谈记录"), blank=True)
    promise = models.TextField(_("整改承诺"), blank=True)
    promise_due = models.DateField(_("承诺完成时限"), null=True, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # The promise as a work item (kind interview_promise) of the unit, due on promise_due:
    # the loop tracks it to done, and a missed promise is overdue like any item (promises.py).
    item = models.OneToOneField(
        "appeals.Appeal",
        verbose_name=_("承诺事项工单"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="interview_promise",
    )

    class Meta:
        verbose_name = _("约谈")
        verbose_name_plural = _("约谈")
        ordering = ["-period", "status", "unit__path"]
        constraints = [
            models.UniqueConstraint(fields=["unit", "period", "source"], name="uniq_interview_flag")
        ]

    def __str__(self) -> str:
        return f"{self.period} {self.unit_id} {self.get_status_display()}"


# --- red and black lists --------------------------------------------------------------------


class ListKind(models.TextChoices):
    RED = "red", _("红榜")
    BLACK = "black", _("黑榜")


class HarmfulConduct(models.Model):
    """One of the kinds of conduct that harm the business environment (the seeds name 17)."""

    code = models.SlugField(_("编码"), max_length=40, unique=True)
    name = models.CharField(_("名称"), max_length=100)
    active = models.BooleanField(_("启用"), default=True)
    sort = models.PositiveSmallIntegerField(default=0)

    class Meta:
        verbose_name = _("损害营商环境行为")
        verbose_name_plural = _("损害营商环境行为")
        ordering = ["sort", "id"]

    def __str__(self) -> str:
        return self.name


class RuleType(models.TextChoices):
    RANK_TOP = "rank_top", _("综合排名前N名")
    RANK_BOTTOM = "rank_bottom", _("综合排名后N名")
    OVERDUE_AT_LEAST = "overdue_at_least", _("超时件数达到N件")
    NEGATIVE_AT_LEAST = "negative_at_least", _("负面清单问题达到N项")


class RedBlackRule(models.Model):
    name = models.CharField(_("名称"), max_length=100)
    list_kind = models.CharField(_("榜单"), max_length=5, choices=ListKind.choices)
    rule_type = models.CharField(_("规则"), max_length=20, choices=RuleType.choices)
    group = models.CharField(
        _("适用排名组"), max_length=12, choices=RankingGroup.choices, blank=True
    )
    threshold = models.PositiveIntegerField(_("N"), default=1)
    conduct = models.ForeignKey(
        HarmfulConduct,
        verbose_name=_("对应行为"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    active = models.BooleanField(_("启用"), default=True)

    class Meta:
        verbose_name = _("红黑榜规则")
        verbose_name_plural = _("红黑榜规则")

    def __str__(self) -> str:
        return self.name


class NominationStatus(models.TextChoices):
    PENDING = "pending", _("待审核")
    APPROVED = "approved", _("已发布")
    REJECTED = "rejected", _("未通过")


class Nomination(models.Model):
    """A proposal for the red or black list, by a rule or by hand, with reasons; published on
    the public page once approved."""

    list_kind = models.CharField(_("榜单"), max_length=5, choices=ListKind.choices)
    period = models.CharField(_("考核周期"), max_length=7, db_index=True)
    unit = models.ForeignKey(
        "orgs.Unit",
        verbose_name=_("单位"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    subject_name = models.CharField(_("对象"), max_length=100, help_text=_("单位、企业或个人名称"))
    reason = models.TextField(_("事由"))
    conduct = models.ForeignKey(
        HarmfulConduct,
        verbose_name=_("损害营商环境行为"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="nominations",
    )
    rule = models.ForeignKey(
        RedBlackRule, null=True, blank=True, on_delete=models.SET_NULL, related_name="nominations"
    )
    evidence = models.JSONField(default=dict, blank=True)
    status = models.CharField(
        _("状态"),
        max_length=10,
        choices=NominationStatus.choices,
        default=NominationStatus.PENDING,
        db_index=True,
    )
    nominated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    nominated_at = models.DateTimeField(default=timezone.now)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_note = models.TextField(_("审核意见"), blank=True)

    class Meta:
        verbose_name = _("红黑榜提名")
        verbose_name_plural = _("红黑榜提名")
        ordering = ["-period", "list_kind", "-nominated_at"]

    def __str__(self) -> str:
        return f"{self.get_list_kind_display()} {self.period} {self.subject_name}"


# --- supervision ----------------------------------------------------------------------------


class SupervisionStatus(models.TextChoices):
    OPEN = "open", _("督办中")
    DONE = "done", _("已办结")
    CANCELLED = "cancelled", _("已撤销")


class Supervision(models.Model):
    """督办: a leader puts an appeal or a unit under supervision, with its own deadline. Appeals
    long overdue come here by themselves (auto=True)."""

    appeal = models.ForeignKey(
        "appeals.Appeal",
        verbose_name=_("诉求"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="supervisions",
    )
    unit = models.ForeignKey(
        "orgs.Unit", verbose_name=_("督办单位"), on_delete=models.PROTECT, related_name="+"
    )
    reason = models.TextField(_("督办事由"))
    requirement = models.TextField(_("督办要求"), blank=True)
    auto = models.BooleanField(_("超期自动督办"), default=False)
    status = models.CharField(
        _("状态"),
        max_length=10,
        choices=SupervisionStatus.choices,
        default=SupervisionStatus.OPEN,
        db_index=True,
    )
    due_at = models.DateTimeField(_("督办时限"))
    created_at = models.DateTimeField(default=timezone.now)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    closed_at = models.DateTimeField(null=True, blank=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    result = models.TextField(_("办理情况"), blank=True)

    class Meta:
        verbose_name = _("督办")
        verbose_name_plural = _("督办")
        ordering = ["status", "due_at"]
        indexes = [models.Index(fields=["status", "due_at"])]
        constraints = [
            models.UniqueConstraint(
                fields=["appeal"],
                condition=Q(status="open", appeal__isnull=False),
                name="one_open_supervision_per_appeal",
            )
        ]

    def __str__(self) -> str:
        return _("督办 %(unit)s #%(appeal)s") % {
            "unit": self.unit_id,
            "appeal": self.appeal_id or 0,
        }

    @property
    def is_overdue(self) -> bool:
        return self.status == SupervisionStatus.OPEN and self.due_at < timezone.now()


# --- historical import ----------------------------------------------------------------------


class ImportBatch(models.Model):
    file_name = models.CharField(_("文件名"), max_length=200)
    sha256 = models.CharField(max_length=64, db_index=True)
    rows = models.PositiveIntegerField(_("行数"), default=0)
    imported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    imported_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("历史工单导入批次")
        verbose_name_plural = _("历史工单导入批次")
        ordering = ["-imported_at"]

    def __str__(self) -> str:
        return f"{self.file_name} ({self.rows})"


class HistoryImportStatus(models.TextChoices):
    PENDING = "pending", _("排队中")
    CHECKING = "checking", _("校验中")
    WRITING = "writing", _("写入中")
    DONE = "done", _("已导入")
    REJECTED = "rejected", _("有错误，未导入")
    FAILED = "failed", _("失败")


class HistoryImport(models.Model):
    """One uploaded file of historical work orders imported in the background
    (`evaluation.jobs.run_history_import`): its progress, the row report, and the batch written."""

    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    file = models.FileField(upload_to="evaluation/imports/")
    file_name = models.CharField(_("文件名"), max_length=200)
    status = models.CharField(
        max_length=10, choices=HistoryImportStatus.choices, default=HistoryImportStatus.PENDING
    )
    total_rows = models.PositiveIntegerField(default=0)
    checked_rows = models.PositiveIntegerField(default=0)
    errors = models.JSONField(default=list)  # the first MAX_REPORTED row errors
    error_count = models.PositiveIntegerField(default=0)
    message = models.CharField(max_length=300, blank=True)
    batch = models.ForeignKey(
        ImportBatch, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("历史工单后台导入")
        verbose_name_plural = _("历史工单后台导入")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return self.file_name

    @property
    def finished(self) -> bool:
        return self.status in (
            HistoryImportStatus.DONE,
            HistoryImportStatus.REJECTED,
            HistoryImportStatus.FAILED,
        )


class ImportedWorkOrder(models.Model):
    """The original 12345 work-order number of an imported appeal (imported once only)."""

    batch = models.ForeignKey(ImportBatch, on_delete=models.PROTECT, related_name="orders")
    external_no = models.CharField(_("原工单编号"), max_length=64, unique=True)
    appeal = models.OneToOneField(
        "appeals.Appeal", on_delete=models.CASCADE, related_name="imported_from"
    )
    row = models.PositiveIntegerField()

    class Meta:
        verbose_name = _("导入工单")
        verbose_name_plural = _("导入工单")

    def __str__(self) -> str:
        return self.external_no
