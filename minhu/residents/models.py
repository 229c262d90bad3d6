"""Ratings given by the public without a tracking code.

- ServiceRating (群众评服务): scan-to-rate after service at a service hall (服务大厅).
- EnterpriseRating (企业评政府): an enterprise rates the district department that served it.

Both are append-only records, written only through `minhu.residents.actions`; the
accountability side counts them (satisfaction rate per hall / per department).

A rating is *verified* when it is tied to something that cannot be made up for free: a phone
number proven by an SMS code (`residents.verify`), or the enterprise's own appeal opened with its
tracking code and phone. Only verified ratings count in the satisfaction rates and the 约谈 list;
unverified ones are kept and counted beside them, so leaders see how many there are."""

from __future__ import annotations

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from minhu.appeals.models import Satisfaction
from minhu.core.models import AppendOnlyModel

# Indicators an enterprise may rate a department on (key stored in EnterpriseRating.indicators,
# value one of Satisfaction's values). Keys are stable; labels are for display.
ENTERPRISE_INDICATORS: dict[str, str] = {
    "efficiency": _("办事效率"),
    "attitude": _("服务态度"),
    "policy": _("政策落实"),
}


class Verification(models.TextChoices):
    NONE = "", _("未验证")
    SMS = "sms", _("短信验证")
    APPEAL = "appeal", _("关联诉求")


def verification_field():
    return models.CharField(
        _("验证方式"), max_length=12, choices=Verification.choices, blank=True, default=""
    )


def phone_hash_field():
    # A keyed hash of the verified phone (residents.verify.phone_hash): one rating per phone
    # and target per window, without storing the number.
    return models.CharField(max_length=64, blank=True, editable=False, db_index=True)


class ServiceRating(AppendOnlyModel):
    """群众评服务: one scan-to-rate at a service hall."""

    point = models.ForeignKey(
        "appeals.CollectionPoint",
        verbose_name=_("服务大厅"),
        on_delete=models.PROTECT,
        related_name="service_ratings",
    )
    satisfaction = models.CharField(_("满意度"), max_length=12, choices=Satisfaction.choices)
    comment = models.TextField(_("意见"), blank=True)
    window = models.CharField(_("窗口/工作人员"), max_length=60, blank=True)
    created_at = models.DateTimeField(_("评价时间"), default=timezone.now, db_index=True)
    ip_hash = models.CharField(max_length=64, blank=True, editable=False)
    verified = verification_field()
    phone_hash = phone_hash_field()

    class Meta:
        verbose_name = _("服务评价")
        verbose_name_plural = _("服务评价")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["point", "created_at"])]

    def __str__(self) -> str:
        return f"{self.point_id} {self.get_satisfaction_display()}"


class EnterpriseRating(AppendOnlyModel):
    """企业评政府: an enterprise rates a district department, overall and per indicator.

    `indicators` maps ENTERPRISE_INDICATORS keys to Satisfaction values, e.g.
    {"efficiency": "satisfied", "attitude": "basic"}; indicators left out were not rated."""

    department = models.ForeignKey(
        "orgs.Unit",
        verbose_name=_("被评价部门"),
        on_delete=models.PROTECT,
        related_name="enterprise_ratings",
    )
    appeal = models.ForeignKey(
        "appeals.Appeal",
        verbose_name=_("关联诉求"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="enterprise_ratings",
    )
    enterprise_name = models.CharField(_("企业名称"), max_length=100)
    satisfaction = models.CharField(_("总体满意度"), max_length=12, choices=Satisfaction.choices)
    indicators = models.JSONField(_("分项评价"), default=dict, blank=True)
    comment = models.TextField(_("意见建议"), blank=True)
    created_at = models.DateTimeField(_("评价时间"), default=timezone.now, db_index=True)
    ip_hash = models.CharField(max_length=64, blank=True, editable=False)
    verified = verification_field()
    phone_hash = phone_hash_field()

    class Meta:
        verbose_name = _("企业评价")
        verbose_name_plural = _("企业评价")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["department", "created_at"])]
        constraints = [
            models.UniqueConstraint(
                fields=["appeal"],
                condition=models.Q(appeal__isnull=False),
                name="uniq_enterprise_rating_appeal",
            )
        ]

    def __str__(self) -> str:
        return f"{self.enterprise_name} → {self.department_id} {self.get_satisfaction_display()}"

    def indicator_rows(self) -> list[tuple[str, str]]:
        """[(indicator label, satisfaction label)] in the fixed indicator order."""
        labels = dict(Satisfaction.choices)
        return [
            (str(label), str(labels.get(self.indicators.get(key), "")))
            for key, label in ENTERPRISE_INDICATORS.items()
            if key in self.indicators
        ]
