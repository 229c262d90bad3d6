"""The visits' share of the demo district (part "visits", order 20, after the registry part):
one campaign in progress over the registry's grids, households split by the cadre links, and
visits in every outcome with problems solved on the spot or in the loop. Built through the
verbs; deterministic for a seed. Without a registry it builds nothing (and runs again next
time)."""

from __future__ import annotations

import datetime as dt
import random
import uuid

from django.db.models import Count

PROBLEM_TEXTS = {
    "living": [
        "楼道声控灯坏了，晚上上下楼看不见",
        "单元门门禁损坏，外来人员随意进出",
        "楼顶漏水，雨天家里墙面发霉",
    ],
    "security": ["小区门口夜间有人飙车，噪音很大", "小区监控有盲区，电动车经常被偷"],
    "conduct": ["社区办事需要跑好几趟，希望一次办好"],
    "services": ["附近没有老年食堂，独居老人吃饭不方便", "孩子上学路上缺少护学岗"],
    "transport": ["公交站台没有遮雨棚，等车很不方便", "路口红绿灯时间太短，老人过马路困难"],
    "ecology": ["河道有垃圾漂浮，夏天有异味", "楼下餐馆油烟直排扰民"],
    "other": ["希望社区多组织一些文体活动"],
}
SOLUTIONS = ["当场联系物业维修", "当场讲解政策，群众表示满意", "现场协调社区工作人员处理完毕"]


def is_built() -> bool:
    from .models import Campaign

    return Campaign.objects.exists()


def _visitors_with_links():
    from minhu.registry.models import CadreLink

    return CadreLink.objects.filter(ended_at__isnull=True)


def build(*, seed: int, now, out) -> str:
    from minhu.orgs.models import Membership, Role, Unit, UnitKind
    from minhu.registry.models import CadreTier, Household

    from . import actions
    from .defaults import ensure_domains
    from .models import Assignment, Outcome, ProblemDomain, SatisfactionDomain

    if not Household.objects.exists() or not _visitors_with_links().exists():
        return "跳过：户籍台账或联户关系为空（先构建户籍台账）"
    ensure_domains(SatisfactionDomain, ProblemDomain)
    rng = random.Random(seed * 1009 + 10)
    admin = (
        Membership.objects.filter(role=Role.ADMIN, active=True, unit__kind=UnitKind.DISTRICT)
        .select_related("user", "unit")
        .first()
    )
    if admin is None:
        return "跳过：没有区级系统管理员"
    # Satisfaction domains' lead departments: the district's departments in order.
    depts = list(Unit.objects.filter(kind=UnitKind.DEPARTMENT, active=True).order_by("path"))
    for i, sat in enumerate(SatisfactionDomain.objects.filter(lead_unit__isnull=True)):
        if depts:
            actions.update_domain(sat, actor=admin.user, lead_unit=depts[i % len(depts)])
    grid_ids = list(
        Household.objects.filter(active=True)
        .values("grid_id")
        .annotate(n=Count("id"))
        .values_list("grid_id", flat=True)
    )
    grids = list(Unit.objects.filter(pk__in=grid_ids))
    today = now.date() if hasattr(now, "date") else now
    campaign = actions.create_campaign(
        actor=admin.user,
        name="“满意”创建入户走访",
        owner_unit=admin.unit,
        starts_on=today - dt.timedelta(days=10),
        ends_on=today + dt.timedelta(days=20),
        grids=grids,
        units=list({link.unit for link in _visitors_with_links().select_related("unit")[:2000]}),
    )
    result = actions.assign_households(campaign, actor=admin.user)
    domains = list(ProblemDomain.objects.filter(active=True))
    asgs = list(
        Assignment.objects.filter(campaign=campaign)
        .select_related("visitor")
        .order_by("household_id")
    )
    counts = dict.fromkeys(Outcome.values, 0)
    problems = [0, 0]
    outcomes = (
        [Outcome.VISITED] * 14
        + [Outcome.NOT_HOME] * 3
        + [
            Outcome.REFUSED,
            Outcome.VACANT,
            Outcome.MOVED,
        ]
    )
    # The district leader's own households (tier 联系): the first is visited and its problem
    # sent into the loop by the leader, who holds no role that registers appeals.
    leader_first = next((a.pk for a in asgs if a.tier == CadreTier.CONTACT), None)
    for a in asgs:
        if a.pk != leader_first and rng.random() > 0.62:  # ~62% visited: in progress
            continue
        outcome = Outcome.VISITED if a.pk == leader_first else rng.choice(outcomes)
        found = []
        if outcome == Outcome.VISITED and (a.pk == leader_first or rng.random() < 0.12):
            d = rng.choice(domains)
            on_spot = a.pk != leader_first and rng.random() < 0.35
            found.append(
                actions.ProblemInput(
                    domain=d,
                    text=rng.choice(PROBLEM_TEXTS.get(d.code, PROBLEM_TEXTS["other"])),
                    on_spot=on_spot,
                    solution=rng.choice(SOLUTIONS) if on_spot else "",
                )
            )
            problems[0 if on_spot else 1] += 1
        at = now - dt.timedelta(days=rng.randint(0, 9), hours=rng.randint(0, 8))
        actions.record_visit(
            actor=a.visitor,
            client_id=uuid.UUID(int=rng.getrandbits(128)),
            campaign=campaign.pk,
            household_id=a.household_id,
            outcome=outcome,
            leaflets=rng.randint(0, 2) if outcome == Outcome.VISITED else 0,
            visited_at=at,
            problems=found,
        )
        counts[outcome] += 1
        if outcome == Outcome.NOT_HOME and rng.random() < 0.5:
            # some not-home households were visited again later
            actions.record_visit(
                actor=a.visitor,
                client_id=uuid.UUID(int=rng.getrandbits(128)),
                campaign=campaign.pk,
                household_id=a.household_id,
                outcome=Outcome.VISITED,
                visited_at=min(now, at + dt.timedelta(days=1)),
            )
            counts[Outcome.VISITED] += 1
    out(f"  走访活动：{len(asgs)} 户已分户，{len(result.unlinked)} 户无联户干部")
    return (
        f"{campaign.name}：走访 {sum(counts.values())} 次"
        f"（不在家 {counts[Outcome.NOT_HOME]}），问题当场解决 {problems[0]}、转办 {problems[1]}"
    )


def logins() -> list[tuple[str, str, str, str]]:
    """Three visitors with the most households in the demo campaign."""
    from minhu.demo.district import PASSWORD

    from .models import Assignment, Campaign

    campaign = Campaign.objects.order_by("id").first()
    if campaign is None:
        return []
    rows = (
        Assignment.objects.filter(campaign=campaign)
        .values("visitor__username", "unit__name")
        .annotate(n=Count("id"))
        .order_by("-n", "visitor__username")[:3]
    )
    out = [
        (r["visitor__username"], PASSWORD, f"走访人（{r['n']} 户）", r["unit__name"]) for r in rows
    ]
    contact = (
        Assignment.objects.filter(campaign=campaign, tier="contact")
        .values("visitor__username", "unit__name")
        .annotate(n=Count("id"))
        .order_by("-n")
        .first()
    )
    if contact:
        out.append(
            (
                contact["visitor__username"],
                PASSWORD,
                f"区领导走访人（联系 {contact['n']} 户）",
                contact["unit__name"],
            )
        )
    return out
