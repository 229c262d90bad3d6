"""Figures of the service supermarket per provider and per service: orders placed, done
(办结: resolved, replied or closed), on time (done within the service's time limit), rated and
satisfaction (满意率, weighted as the evaluation's 基本满意权重). The rates use
`evaluation.figures.ratio` and are defined in `DEFINITIONS`, shown beside them."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Count, F, Q, QuerySet
from django.utils.translation import gettext_lazy

from minhu.appeals.models import Satisfaction, Status
from minhu.evaluation.aggregates import local_start
from minhu.evaluation.figures import Definition, ratio

from .models import OrderStatus, ServiceCategory, ServiceOrder

DONE = (Status.RESOLVED, Status.REPLIED, Status.CLOSED)

DEFINITIONS = {
    "done_rate": Definition(
        gettext_lazy("办结率"),
        gettext_lazy("已下单且已办结（已办理、答复或销号）的订单数"),
        gettext_lazy("已下单的订单数"),
    ),
    "on_time_rate": Definition(
        gettext_lazy("按时办结率"),
        gettext_lazy("在服务时限内办结的订单数"),
        gettext_lazy("已办结的订单数"),
    ),
    "satisfaction_rate": Definition(
        gettext_lazy("满意率"),
        gettext_lazy("“满意”数 + “基本满意”数 × 基本满意权重"),
        gettext_lazy("居民已评价的订单数"),
    ),
}


@dataclass
class Row:
    key: int | str
    label: str
    orders: int = 0  # every order taken, placed or not
    placed: int = 0
    pending: int = 0
    done: int = 0
    on_time: int = 0
    rated: int = 0
    satisfied: int = 0
    basic: int = 0
    weight: Decimal = Decimal("0.9")

    @property
    def done_rate(self):
        return ratio(self.done, self.placed)

    @property
    def on_time_rate(self):
        return ratio(self.on_time, self.done)

    @property
    def satisfaction_rate(self):
        return _weighted(self) if self.rated else None

    def as_dict(self) -> dict:
        return {
            "id": self.key,
            "name": self.label,
            "orders": self.orders,
            "placed": self.placed,
            "pending": self.pending,
            "done": self.done,
            "on_time": self.on_time,
            "rated": self.rated,
            "done_rate": _num(self.done_rate),
            "on_time_rate": _num(self.on_time_rate),
            "satisfaction_rate": _num(self.satisfaction_rate),
        }


def _num(value):
    return None if value is None else float(value)


def _weighted(row: Row) -> Decimal:
    from minhu.evaluation.rates import q2

    return q2((row.satisfied + row.weight * row.basic) * Decimal(100) / row.rated)


def _basic_weight() -> Decimal:
    from minhu.evaluation.config import active_config

    return Decimal(str(active_config().basic_weight))


def _counts() -> dict:
    done = Q(item__status__in=DONE, item__resolved_at__isnull=False)
    on_time = done & (
        Q(item__resolve_due_at__isnull=True) | Q(item__resolved_at__lte=F("item__resolve_due_at"))
    )
    return {
        "orders": Count("pk"),
        "placed": Count("pk", filter=Q(status=OrderStatus.PLACED)),
        "pending": Count("pk", filter=Q(status=OrderStatus.PENDING)),
        "done": Count("pk", filter=done),
        "on_time": Count("pk", filter=on_time),
        "rated": Count("pk", filter=~Q(item__satisfaction="") & Q(item__isnull=False)),
        "satisfied": Count("pk", filter=Q(item__satisfaction=Satisfaction.SATISFIED)),
        "basic": Count("pk", filter=Q(item__satisfaction=Satisfaction.BASIC)),
    }


def _range(orders: QuerySet, start: dt.date | None, end: dt.date | None) -> QuerySet:
    if start:
        orders = orders.filter(created_at__gte=local_start(start))
    if end:
        orders = orders.filter(created_at__lt=local_start(end))
    return orders


def by(
    orders: QuerySet[ServiceOrder],
    dim: str,
    start: dt.date | None = None,
    end: dt.date | None = None,
) -> list[Row]:
    """Rows per `dim` ("provider", "service" or "category"), most orders first; one grouped
    query."""
    field, label = {
        "provider": ("service__provider_id", "service__provider__name"),
        "service": ("service_id", "service__name"),
        "category": ("service__category", "service__category"),
    }[dim]
    weight = _basic_weight()
    rows = (
        _range(orders, start, end)
        .values(*dict.fromkeys((field, label)))
        .annotate(**_counts())
        .order_by("-orders", label)
    )
    out = []
    for r in rows:
        key = r.pop(field)
        name = str(ServiceCategory(key).label) if dim == "category" else r.pop(label)
        out.append(Row(key=key, label=name, weight=weight, **r))
    return out


def total(orders: QuerySet[ServiceOrder], start=None, end=None) -> Row:
    r = _range(orders, start, end).aggregate(**_counts())
    return Row(key=0, label="", weight=_basic_weight(), **r)


def overview_tile(user) -> list | None:
    """The overview's 服务超市 tile over the user's orders (None without any)."""
    from django.urls import reverse
    from django.utils.translation import gettext as _

    from .access import orders_visible_to

    orders = orders_visible_to(user)
    if not orders.exists():
        return None  # one query for users without orders
    t = total(orders)
    desk, figs = reverse("services:desk"), reverse("services:figures")
    rate = t.satisfaction_rate
    return [
        (_("待导办台确认"), t.pending, f"{desk}?status=pending"),
        (_("已下单"), t.placed, f"{desk}?status=placed"),
        (_("已办结"), t.done, figs),
        (_("按时办结率"), f"{t.on_time_rate}%" if t.on_time_rate is not None else None, figs),
        (_("满意率"), f"{rate}%" if rate is not None else None, figs),
    ]
