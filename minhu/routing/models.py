"""Routing: classifier models, proposals and decisions, the gazetteer (places, grid polygons),
the dispatch catalogue (派单目录), links between appeals and problems of the month (每月一题)."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from minhu.core.models import AppendOnlyModel

AREA_KINDS = ("street", "town", "community", "village")
PLACE_AREA_KINDS = ("grid", "community", "village", "street", "town")


class ClassifierModel(models.Model):
    """One trained text classifier: its serialised bytes, labels, parameters and evaluation.
    Exactly one (or none) is active; without one, proposals come from keyword rules."""

    version = models.PositiveIntegerField(_("版本"), unique=True)
    created_at = models.DateTimeField(_("训练时间"), default=timezone.now)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    active = models.BooleanField(_("启用"), default=False)
    labels = models.JSONField(_("类别"), default=list)
    params = models.JSONField(_("参数"), default=dict, blank=True)
    evaluation = models.JSONField(_("评估"), default=dict, blank=True)
    trained_on = models.CharField(_("训练数据"), max_length=200)
    n_samples = models.PositiveIntegerField(_("样本数"), default=0)
    blob = models.BinaryField(_("模型"))
    size = models.PositiveIntegerField(_("大小(字节)"), default=0)
    activated_at = models.DateTimeField(_("启用时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("分类模型")
        verbose_name_plural = _("分类模型")
        ordering = ["-version"]
        constraints = [
            models.UniqueConstraint(
                fields=["active"], condition=Q(active=True), name="one_active_classifier"
            )
        ]

    def __str__(self) -> str:
        return f"v{self.version}"

    @property
    def macro_f1(self) -> float | None:
        value = (self.evaluation or {}).get("macro_f1")
        return float(value) if value is not None else None


class LabelAlias(models.Model):
    """Maps a classifier label that is neither a category code nor a category name (e.g. from an
    imported history with another taxonomy) to a category of this deployment."""

    label = models.CharField(_("模型类别"), max_length=100, unique=True)
    category = models.ForeignKey(
        "categories.Category", verbose_name=_("对应分类"), on_delete=models.CASCADE
    )

    class Meta:
        verbose_name = _("类别映射")
        verbose_name_plural = _("类别映射")

    def __str__(self) -> str:
        return f"{self.label} → {self.category}"


class DecisionKind(models.TextChoices):
    PROPOSAL = "proposal", _("分拨建议")
    AUTO = "auto", _("自动派单")
    CORRECTION = "correction", _("人工纠正")
    CONFIRMED = "confirmed", _("人工确认")


class RoutingDecision(AppendOnlyModel):
    """Append-only record of what the machine proposed for an appeal and what happened to it:
    a proposal, an automatic dispatch, and later the dispatcher's confirmation or correction."""

    appeal = models.ForeignKey(
        "appeals.Appeal", on_delete=models.CASCADE, related_name="routing_decisions"
    )
    kind = models.CharField(max_length=12, choices=DecisionKind.choices)
    model_version = models.CharField(_("模型版本"), max_length=20, blank=True)
    proposal = models.JSONField(_("建议"), default=dict, blank=True)
    confidence = models.FloatField(_("置信度"), default=0.0)
    category = models.ForeignKey(
        "categories.Category", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    lead_unit = models.ForeignKey(
        "orgs.Unit", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    auto = models.BooleanField(default=False)
    corrected = models.BooleanField(default=False)
    # The appeal event this feedback row was derived from (idempotent reconciliation).
    event = models.OneToOneField(
        "appeals.AppealEvent",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="routing_feedback",
    )
    note = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("分拨记录")
        verbose_name_plural = _("分拨记录")
        ordering = ["created_at", "id"]
        indexes = [
            models.Index(fields=["appeal", "created_at"]),
            models.Index(fields=["kind", "created_at"]),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} #{self.appeal_id}"


class PlaceKind(models.TextChoices):
    ROAD = "road", _("道路")
    ESTATE = "estate", _("小区")
    BUILDING = "building", _("楼宇")
    POI = "poi", _("地标")


class Place(models.Model):
    """A road, estate, building or landmark of the gazetteer, with the grid (or, for places that
    span several grids, the community / street) it belongs to."""

    name = models.CharField(_("名称"), max_length=100)
    kind = models.CharField(_("类型"), max_length=10, choices=PlaceKind.choices)
    grid = models.ForeignKey(
        "orgs.Unit",
        verbose_name=_("网格"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="places",
        limit_choices_to={"kind": "grid"},
    )
    area = models.ForeignKey(
        "orgs.Unit",
        verbose_name=_("所属社区/街道"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="area_places",
        limit_choices_to={"kind__in": AREA_KINDS},
        help_text=_("跨多个网格的道路等，填写所属社区或街道"),
    )
    aliases = models.TextField(
        _("别名"), blank=True, help_text=_("每行或用逗号分隔一个别名，如俗称、旧名、简称")
    )
    active = models.BooleanField(_("启用"), default=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("地名")
        verbose_name_plural = _("地名")
        ordering = ["name"]
        indexes = [models.Index(fields=["name"])]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        if not self.grid_id and not self.area_id:
            raise ValidationError(_("请填写网格或所属社区/街道"))
        if self.grid_id and self.grid.kind != "grid":
            raise ValidationError({"grid": _("请选择网格")})
        if self.area_id and self.area.kind not in AREA_KINDS:
            raise ValidationError({"area": _("请选择社区、村、街道或镇")})

    def alias_list(self) -> list[str]:
        text = self.aliases.replace("，", ",").replace("、", ",").replace("\n", ",")
        return [a.strip() for a in text.split(",") if a.strip()]

    @property
    def unit_id(self) -> int | None:
        return self.grid_id or self.area_id


class GridArea(models.Model):
    """A grid's boundary: a polygon of [lng, lat] points, with its bounding box for a quick
    prefilter."""

    grid = models.ForeignKey(
        "orgs.Unit",
        verbose_name=_("网格"),
        on_delete=models.CASCADE,
        related_name="grid_areas",
        limit_choices_to={"kind": "grid"},
    )
    polygon = models.JSONField(_("边界"), help_text=_("[[经度, 纬度], ...]，至少三个点"))
    min_lng = models.FloatField(editable=False, default=0)
    max_lng = models.FloatField(editable=False, default=0)
    min_lat = models.FloatField(editable=False, default=0)
    max_lat = models.FloatField(editable=False, default=0)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("网格边界")
        verbose_name_plural = _("网格边界")
        indexes = [models.Index(fields=["min_lng", "max_lng", "min_lat", "max_lat"])]

    def __str__(self) -> str:
        return _("%(grid)s 边界") % {"grid": self.grid}

    def save(self, *args, **kwargs):
        from .geometry import validate_polygon

        points = validate_polygon(self.polygon)
        self.polygon = points
        lngs = [p[0] for p in points]
        lats = [p[1] for p in points]
        self.min_lng, self.max_lng = min(lngs), max(lngs)
        self.min_lat, self.max_lat = min(lats), max(lats)
        if kwargs.get("update_fields") is not None:
            kwargs["update_fields"] = set(kwargs["update_fields"]) | {
                "min_lng",
                "max_lng",
                "min_lat",
                "max_lat",
            }
        super().save(*args, **kwargs)

    def clean(self) -> None:
        from .geometry import validate_polygon

        try:
            validate_polygon(self.polygon)
        except ValueError as exc:
            raise ValidationError({"polygon": str(exc)})
        if self.grid_id and self.grid.kind != "grid":
            raise ValidationError({"grid": _("请选择网格")})


class LeadLocal(models.TextChoices):
    NONE = "", _("指定单位")
    STREET = "street", _("属地街道/镇")
    COMMUNITY = "community", _("属地社区/村")


class DispatchRule(models.Model):
    """派单目录: category × area → lead unit (+ assisting units). `area` None means anywhere; the
    lead is a fixed unit, or the appeal's own street / community (属地)."""

    category = models.ForeignKey(
        "categories.Category",
        verbose_name=_("分类"),
        on_delete=models.CASCADE,
        related_name="dispatch_rules",
    )
    area = models.ForeignKey(
        "orgs.Unit",
        verbose_name=_("区域"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
        limit_choices_to={"kind__in": AREA_KINDS},
        help_text=_("留空表示全区"),
    )
    lead_unit = models.ForeignKey(
        "orgs.Unit",
        verbose_name=_("主办单位"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
    )
    lead_local = models.CharField(
        _("属地主办"), max_length=10, choices=LeadLocal.choices, blank=True, default=""
    )
    assist_units = models.ManyToManyField(
        "orgs.Unit", verbose_name=_("协办单位"), blank=True, related_name="+"
    )
    active = models.BooleanField(_("启用"), default=True)
    note = models.CharField(_("说明"), max_length=200, blank=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    updated_at = models.DateTimeField(auto_now=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("派单目录")
        verbose_name_plural = _("派单目录")
        ordering = ["category_id", "area_id", "id"]
        indexes = [models.Index(fields=["category", "area", "active"])]
        constraints = [
            models.UniqueConstraint(
                fields=["category", "area"],
                condition=Q(active=True),
                name="one_active_rule_per_area",
            ),
            models.UniqueConstraint(
                fields=["category"],
                condition=Q(active=True, area__isnull=True),
                name="one_active_rule_anywhere",
            ),
        ]

    def __str__(self) -> str:
        area = self.area.name if self.area_id else _("全区")
        return f"{self.category} · {area}"

    def lead_label(self) -> str:
        if self.lead_local:
            return str(self.get_lead_local_display())
        return self.lead_unit.name if self.lead_unit_id else ""


class RoutingConfig(models.Model):
    """Deployment settings of the routing (a single row, pk=1)."""

    auto_dispatch = models.BooleanField(_("启用自动派单"), default=True)
    threshold = models.FloatField(
        _("自动派单置信度阈值"),
        null=True,
        blank=True,
        help_text=_("留空则使用部署设置 MINHU_AUTO_DISPATCH_THRESHOLD（默认0.85）"),
    )
    rules_may_auto_dispatch = models.BooleanField(
        _("关键词规则也可自动派单"),
        default=False,
        help_text=_("未启用模型时，关键词规则的建议默认只预填，不自动派单"),
    )
    duplicate_days = models.PositiveSmallIntegerField(_("疑似重复：时间范围(天)"), default=30)
    duplicate_radius_m = models.PositiveIntegerField(_("疑似重复：距离(米)"), default=500)
    duplicate_min_score = models.FloatField(_("疑似重复：最低分"), default=0.45)
    hotspot_similarity = models.FloatField(_("热点聚类：相似度阈值"), default=0.35)
    hotspot_min_size = models.PositiveSmallIntegerField(_("热点：最少诉求数"), default=3)
    updated_at = models.DateTimeField(auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = _("分拨设置")
        verbose_name_plural = _("分拨设置")

    def __str__(self) -> str:
        return str(_("分拨设置"))

    @property
    def effective_threshold(self) -> float:
        if self.threshold is not None:
            return float(self.threshold)
        return float(getattr(settings, "MINHU_AUTO_DISPATCH_THRESHOLD", 0.85))

    @classmethod
    def get(cls) -> RoutingConfig:
        obj = cls.objects.filter(pk=1).first()
        return obj if obj is not None else cls(pk=1)


class AppealLink(models.Model):
    """关联: two appeals about related matters that are handled separately (unlike a merge).
    Stored once per pair with the smaller id first."""

    from_appeal = models.ForeignKey(
        "appeals.Appeal", on_delete=models.CASCADE, related_name="links_from"
    )
    to_appeal = models.ForeignKey(
        "appeals.Appeal", on_delete=models.CASCADE, related_name="links_to"
    )
    note = models.CharField(_("说明"), max_length=200, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("关联诉求")
        verbose_name_plural = _("关联诉求")
        constraints = [
            models.UniqueConstraint(fields=["from_appeal", "to_appeal"], name="uniq_appeal_link"),
            models.CheckConstraint(
                condition=Q(from_appeal__lt=models.F("to_appeal")), name="appeal_link_ordered"
            ),
        ]

    def __str__(self) -> str:
        return f"#{self.from_appeal_id} ↔ #{self.to_appeal_id}"


class ProblemStatus(models.TextChoices):
    ACTIVE = "active", _("督办中")
    CANCELLED = "cancelled", _("已撤销")


class MonthlyProblem(models.Model):
    """每月一题: a hotspot a leader chose as the problem of the month."""

    month = models.DateField(_("月份"), help_text=_("该月第一天"))
    title = models.CharField(_("题目"), max_length=200)
    summary = models.TextField(_("说明"), blank=True)
    street = models.ForeignKey(
        "orgs.Unit", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    terms = models.JSONField(_("关键词"), default=list, blank=True)
    appeals = models.ManyToManyField("appeals.Appeal", related_name="monthly_problems")
    volume = models.PositiveIntegerField(_("诉求数"), default=0)
    support = models.PositiveIntegerField(_("附议数"), default=0)
    status = models.CharField(
        max_length=10, choices=ProblemStatus.choices, default=ProblemStatus.ACTIVE
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("每月一题")
        verbose_name_plural = _("每月一题")
        ordering = ["-month", "-created_at"]
        indexes = [models.Index(fields=["month", "status"])]

    def __str__(self) -> str:
        return f"{self.month:%Y-%m} {self.title}"


class RoutingEventKind(models.TextChoices):
    TRAIN = "train", _("训练模型")
    ACTIVATE = "activate", _("启用模型")
    DEACTIVATE = "deactivate", _("停用模型")
    CONFIG = "config", _("修改设置")
    RULE_SAVE = "rule_save", _("保存派单目录")
    RULE_DEACTIVATE = "rule_deactivate", _("停用派单目录")
    PROBLEM_MARK = "problem_mark", _("设为每月一题")
    PROBLEM_CANCEL = "problem_cancel", _("撤销每月一题")


class RoutingEvent(AppendOnlyModel):
    """Audit trail of the routing's own settings and records."""

    kind = models.CharField(max_length=20, choices=RoutingEventKind.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    actor_name = models.CharField(max_length=60, blank=True)
    object_id = models.PositiveBigIntegerField(null=True, blank=True)
    data = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        verbose_name = _("分拨操作记录")
        verbose_name_plural = _("分拨操作记录")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.created_at:%Y-%m-%d %H:%M}"
