"""物业服务360超市: a catalogue of services (six categories, each with its provider, price or
free, time limit, what the resident must provide and the communities it serves) and residents'
orders of them.

群众点单、超市下单、街社接单: a resident orders on the H5 pages (or the front desk 导办台 of a
community takes the order by phone or at the counter); the front desk places it; from then on
the order is a work item of kind `service_order` in the appeals loop (deadlines, events,
reply, rating), dispatched to the provider, linked back through `ServiceOrder.item`."""

from __future__ import annotations

import secrets

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from minhu.core.models import AppendOnlyModel

KIND = "service_order"
CHANNEL = "service"
SOURCE_MODEL = "services.ServiceOrder"


class ServiceCategory(models.TextChoices):
    """The six categories of seed 003 (物业服务360超市)."""

    PROPERTY = "property", _("物业管理")
    HOME = "home", _("居家生活")
    OLD_ESTATE = "old_estate", _("老旧小区")
    MEDIATION = "mediation", _("矛盾调解")
    VOLUNTEER = "volunteer", _("志愿服务")
    SOCIAL_ORG = "social_org", _("社会组织")


class Service(models.Model):
    name = models.CharField(_("服务名称"), max_length=100)
    category = models.CharField(
        _("服务类别"), max_length=20, choices=ServiceCategory.choices, db_index=True
    )
    description = models.TextField(_("服务内容"))
    provider = models.ForeignKey(
        "orgs.Unit", verbose_name=_("服务提供方"), on_delete=models.PROTECT, related_name="+"
    )
    # The communities it serves: their front desks take and place its orders.
    areas = models.ManyToManyField("orgs.Unit", verbose_name=_("服务范围"), related_name="+")
    # None: free (免费); otherwise the price in yuan, with what it is per (次, 小时, 平方米).
    price = models.DecimalField(
        _("价格（元）"), max_digits=8, decimal_places=2, null=True, blank=True
    )
    price_unit = models.CharField(_("计价单位"), max_length=20, blank=True)
    time_limit_days = models.PositiveSmallIntegerField(_("办理时限（工作日）"), default=3)
    requirements = models.CharField(_("居民需提供"), max_length=300, blank=True)
    active = models.BooleanField(_("上架"), default=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("服务项目")
        verbose_name_plural = _("服务项目")
        ordering = ["category", "name", "id"]
        indexes = [models.Index(fields=["active", "category"])]

    def __str__(self) -> str:
        return self.name

    @property
    def is_free(self) -> bool:
        return self.price is None or self.price == 0


class OrderStatus(models.TextChoices):
    PENDING = "pending", _("待导办台确认")
    PLACED = "placed", _("已下单")
    REJECTED = "rejected", _("未受理")
    CANCELLED = "cancelled", _("已取消")


class OrderChannel(models.TextChoices):
    H5 = "h5", _("居民网上点单")
    COUNTER = "counter", _("导办台现场")
    PHONE = "phone", _("电话点单")


def new_order_number() -> str:
    """FW + 8 characters without look-alikes (0/O, 1/I)."""
    alphabet = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"
    return "FW" + "".join(secrets.choice(alphabet) for _i in range(8))


class ServiceOrder(models.Model):
    number = models.CharField(_("订单号"), max_length=12, unique=True, default=new_order_number)
    service = models.ForeignKey(Service, on_delete=models.PROTECT, related_name="orders")
    # The community the resident lives in (one of the service's areas): its front desk.
    community = models.ForeignKey(
        "orgs.Unit", verbose_name=_("所在社区"), on_delete=models.PROTECT, related_name="+"
    )
    channel = models.CharField(_("点单方式"), max_length=10, choices=OrderChannel.choices)
    name = models.CharField(_("联系人"), max_length=50)
    phone = models.CharField(_("联系电话"), max_length=20)
    address = models.CharField(_("服务地址"), max_length=200)
    need = models.TextField(_("需求说明"))
    preferred_time = models.CharField(_("期望上门时间"), max_length=100, blank=True)
    status = models.CharField(
        _("状态"), max_length=12, choices=OrderStatus.choices, default=OrderStatus.PENDING
    )
    reject_reason = models.CharField(_("未受理原因"), max_length=300, blank=True)
    item = models.OneToOneField(
        "appeals.Appeal",
        verbose_name=_("跟踪工单"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    placed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    placed_at = models.DateTimeField(null=True, blank=True)
    ip_hash = models.CharField(max_length=32, blank=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        verbose_name = _("服务订单")
        verbose_name_plural = _("服务订单")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["community", "status"])]

    def __str__(self) -> str:
        return f"{self.number} {self.service}"


class ServiceEvent(AppendOnlyModel):
    """Append-only history of the catalogue and of orders before they are placed (a placed
    order's history is its work item's)."""

    class Kind(models.TextChoices):
        SERVICE = "service", _("新增服务")
        EDIT = "edit", _("修改服务")
        ORDER = "order", _("点单")
        PLACE = "place", _("下单派发")
        REJECT = "reject", _("不予受理")
        CANCEL = "cancel", _("居民取消")

    kind = models.CharField(max_length=12, choices=Kind.choices)
    service = models.ForeignKey(Service, on_delete=models.CASCADE, related_name="events")
    order = models.ForeignKey(
        ServiceOrder, null=True, on_delete=models.CASCADE, related_name="events"
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    actor_name = models.CharField(max_length=60, blank=True)
    note = models.TextField(blank=True)
    data = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        ordering = ["created_at", "id"]
