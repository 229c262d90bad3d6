"""The dispatch catalogue (派单目录): which unit leads an appeal of a category in an area, and
suggestions learnt from past dispatches and returns."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field

from django.db.models import Count, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from minhu.appeals.models import AppealEvent, EventKind
from minhu.categories.models import Category
from minhu.orgs.models import HANDLING_KINDS, Unit

from .location import LocationMatch
from .models import DispatchRule, LeadLocal


@dataclass
class Resolution:
    lead_unit: Unit | None = None
    assist_units: list[Unit] = field(default_factory=list)
    rule: DispatchRule | None = None
    source: str = ""  # "rule", "category_default" or ""

    def as_dict(self) -> dict:
        return {
            "lead_unit_id": self.lead_unit.pk if self.lead_unit else None,
            "lead_unit_name": self.lead_unit.name if self.lead_unit else "",
            "assist_unit_ids": [u.pk for u in self.assist_units],
            "assist_unit_names": [u.name for u in self.assist_units],
            "rule_id": self.rule.pk if self.rule else None,
            "lead_source": self.source,
        }


def _usable(unit: Unit | None) -> bool:
    return unit is not None and unit.active and unit.kind in HANDLING_KINDS


def _local_unit(kind: str, location: LocationMatch) -> Unit | None:
    unit_id = location.street_id if kind == LeadLocal.STREET else location.community_id
    return Unit.objects.filter(pk=unit_id).first() if unit_id else None


def lookup(category: Category | None, location: LocationMatch) -> Resolution:
    """The most specific active rule: the category before its first-level category, and the
    community before the street before anywhere. Without a rule, the category's default lead
    unit (or default kind for the local street/community) is offered, but only as a proposal."""
    if category is None:
        return Resolution()
    cats = [category.pk] + ([category.parent_id] if category.parent_id else [])
    areas: list[int | None] = [*location.area_ids, None]
    rules = list(
        DispatchRule.objects.filter(category_id__in=cats, active=True)
        .filter(Q(area_id__in=[a for a in areas if a]) | Q(area__isnull=True))
        .select_related("lead_unit")
        .prefetch_related("assist_units")
    )
    rules_by_key = {(r.category_id, r.area_id): r for r in rules}
    for cat in cats:
        for area in areas:
            rule = rules_by_key.get((cat, area))
            if rule is None:
                continue
            lead = rule.lead_unit if not rule.lead_local else _local_unit(rule.lead_local, location)
            if not _usable(lead):
                continue
            assists = [u for u in rule.assist_units.all() if _usable(u) and u.pk != lead.pk]
            return Resolution(lead, assists, rule, "rule")
    for cat in (category, category.parent):
        if cat is None:
            continue
        if _usable(cat.default_lead_unit):
            return Resolution(cat.default_lead_unit, [], None, "category_default")
        if cat.default_lead_kind in ("street", "town") and location.street_id:
            unit = _local_unit(LeadLocal.STREET, location)
            if _usable(unit):
                return Resolution(unit, [], None, "category_default")
        if cat.default_lead_kind in ("community", "village") and location.community_id:
            unit = _local_unit(LeadLocal.COMMUNITY, location)
            if _usable(unit):
                return Resolution(unit, [], None, "category_default")
    return Resolution()


# --- learning from history ------------------------------------------------------------------


@dataclass
class Suggestion:
    category_id: int
    category_name: str
    area_id: int | None
    area_name: str
    lead_unit_id: int | None
    lead_unit_name: str
    lead_local: str
    dispatches: int
    returns: int
    net: int
    share: float  # of the net dispatches of this category × area
    status: str  # "new", "differs", "agrees"
    rule_id: int | None = None
    rule_lead: str = ""

    @property
    def key(self) -> str:
        return f"{self.category_id}:{self.area_id or 0}:{self.lead_unit_id or self.lead_local}"


def suggestions(
    days: int = 365, min_net: int = 3, min_share: float = 0.6, include_agreeing: bool = False
) -> list[Suggestion]:
    """For each (category, street) and each category district-wide: the unit that took most of
    its dispatches net of returns (dispatch events minus returns by that unit), when it holds a
    clear majority. Where most go to the appeal's own street, a 属地街道 rule is suggested."""
    since = timezone.now() - dt.timedelta(days=days)
    base = AppealEvent.objects.filter(created_at__gte=since, appeal__category__isnull=False)
    dispatched = (
        base.filter(kind__in=[EventKind.DISPATCH, EventKind.AUTO_DISPATCH], unit__isnull=False)
        .values_list("appeal__category_id", "appeal__street_id", "unit_id")
        .annotate(n=Count("id"))
    )
    returned = (
        base.filter(kind=EventKind.RETURN, unit__isnull=False)
        .values_list("appeal__category_id", "appeal__street_id", "unit_id")
        .annotate(n=Count("id"))
    )
    disp: dict[tuple, int] = defaultdict(int)
    ret: dict[tuple, int] = defaultdict(int)
    for cat, street, unit, n in dispatched:
        disp[(cat, street, unit)] += n
    for cat, street, unit, n in returned:
        ret[(cat, street, unit)] += n

    # (category, area or None) -> {target: [dispatches, returns]}; target is a unit id or
    # "street" (the appeal's own street).
    table: dict[tuple, dict] = defaultdict(lambda: defaultdict(lambda: [0, 0]))
    for (cat, street, unit), n in disp.items():
        r = ret.get((cat, street, unit), 0)
        if street:
            table[(cat, street)][unit][0] += n
            table[(cat, street)][unit][1] += r
        target = "street" if street and unit == street else unit
        table[(cat, None)][target][0] += n
        table[(cat, None)][target][1] += r

    found: list[tuple] = []
    for (cat, area), targets in table.items():
        nets = {t: d - r for t, (d, r) in targets.items()}
        positive = sum(v for v in nets.values() if v > 0)
        if not positive:
            continue
        best, net = max(nets.items(), key=lambda kv: kv[1])
        share = net / positive
        if net < min_net or share < min_share:
            continue
        d, r = targets[best]
        found.append((cat, area, best, d, r, net, share))
    if not found:
        return []

    unit_ids = {f[1] for f in found if f[1]} | {f[2] for f in found if f[2] != "street"}
    units = dict(Unit.objects.filter(pk__in=unit_ids).values_list("pk", "name"))
    cats = {c.pk: str(c) for c in Category.objects.filter(pk__in={f[0] for f in found})}
    rules = {
        (r.category_id, r.area_id): r
        for r in DispatchRule.objects.filter(
            active=True, category_id__in=cats.keys()
        ).select_related("lead_unit")
    }
    out = []
    for cat, area, best, d, r, net, share in found:
        lead_local = LeadLocal.STREET if best == "street" else ""
        lead_id = None if best == "street" else best
        rule = rules.get((cat, area))
        if rule is None:
            status = "new"
        elif (rule.lead_local or "") == lead_local and rule.lead_unit_id == lead_id:
            status = "agrees"
        else:
            status = "differs"
        if status == "agrees" and not include_agreeing:
            continue
        out.append(
            Suggestion(
                category_id=cat,
                category_name=cats.get(cat, str(cat)),
                area_id=area,
                area_name=units.get(area, _("全区")) if area else _("全区"),
                lead_unit_id=lead_id,
                lead_unit_name=units.get(lead_id, "") if lead_id else _("属地街道/镇"),
                lead_local=lead_local,
                dispatches=d,
                returns=r,
                net=net,
                share=round(share, 3),
                status=status,
                rule_id=rule.pk if rule else None,
                rule_lead=rule.lead_label() if rule else "",
            )
        )
    out.sort(key=lambda s: (s.status != "differs", -s.net))
    return out
