"""The registry's share of the demo district (part "registry", order 10): for every grid a
generated registry (urban grids: estates of buildings, some 脱管; village grids: a natural
village of houses), residents with valid (fictional) ID numbers, shops, and cadre links for
every household through `actions.auto_assign`. Rows are generated in bulk (deterministic for a
seed); the size is MINHU_DEMO_HOUSEHOLDS (default 5,200 households, ~12,000 residents)."""

from __future__ import annotations

import os
import random
import time

from django.utils import timezone

SURNAMES = "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗梁宋郑谢韩唐冯于董萧程曹袁邓许傅沈曾彭吕"
GIVEN = "秀英桂兰建国志强丽娟海燕玉兰明华晓东春梅国华淑珍凤英红梅建华文静永刚德胜伟"
SHOP_TYPES = [
    ("便民超市", "零售"),
    ("早餐店", "餐饮"),
    ("理发店", "生活服务"),
    ("药店", "医药"),
    ("五金店", "零售"),
    ("快递驿站", "物流"),
    ("水果店", "零售"),
    ("面馆", "餐饮"),
]


def is_built() -> bool:
    from .models import Household

    return Household.objects.exists()


def _name(rng: random.Random) -> str:
    return rng.choice(SURNAMES) + "".join(rng.choice(GIVEN) for _ in range(rng.choice((1, 2))))


def build(*, seed: int, now, out) -> str:
    from minhu.orgs.models import Role, Unit, UnitKind, User

    from . import actions, keys, personal
    from .models import Building, Estate, EstateKind, Household, Relation, Resident, Shop

    started = time.perf_counter()
    target = int(os.environ.get("MINHU_DEMO_HOUSEHOLDS", "5200"))
    grids = list(
        Unit.objects.filter(kind=UnitKind.GRID, active=True)
        .select_related("parent")
        .order_by("path")
    )
    if not grids:
        return "跳过：没有网格"
    rng = random.Random(seed * 7919 + 10)
    per_grid = max(4, target // len(grids))
    stamp = timezone.now()
    estates, buildings, households, plan = [], [], [], []
    for gi, g in enumerate(grids):
        village = g.parent.kind == UnitKind.VILLAGE if g.parent else False
        if village:
            e = Estate(
                key=keys.estate_key(g.code, f"{g.parent.name}{gi % 5 + 1}组"),
                name=f"{g.parent.name}{gi % 5 + 1}组",
                kind=EstateKind.VILLAGE,
                grid=g,
                address=f"{g.parent.name}",
                created_at=stamp,
                updated_at=stamp,
            )
            estates.append(e)
            for i in range(per_grid):
                addr = f"{e.name}{i + 1}号"
                households.append((g, e, None, "", "", addr))
            continue
        e = Estate(
            key=keys.estate_key(g.code, f"{g.name.split('第')[0]}{gi % 9 + 1}区"),
            name=f"{g.name.split('第')[0]}{gi % 9 + 1}区",
            kind=EstateKind.ESTATE,
            grid=g,
            address=f"{g.parent.name}幸福路{gi + 1}号",
            created_at=stamp,
            updated_at=stamp,
        )
        estates.append(e)
        left, bno = per_grid, 0
        while left > 0:
            bno += 1
            units, floors = rng.choice((1, 2, 3)), rng.choice((4, 5, 6, 7))
            b = Building(
                key=keys.building_key(g.code, e.name, f"{bno}号楼"),
                estate=e,
                grid=g,
                name=f"{bno}号楼",
                unit_count=units,
                floor_count=floors,
                unmanaged=rng.random() < 0.15,
                created_at=stamp,
                updated_at=stamp,
            )
            buildings.append(b)
            for u in range(1, units + 1):
                for f in range(1, floors + 1):
                    for r in (1, 2):
                        if left <= 0:
                            break
                        room = f"{f}0{r}"
                        households.append(
                            (g, e, b, str(u), room, f"{e.name}{b.name}{u}单元{room}室")
                        )
                        left -= 1
    Estate.objects.bulk_create(estates, batch_size=2000)
    Building.objects.bulk_create(buildings, batch_size=2000)
    # Re-read ids (SQLite/PG both fine) by key.
    e_ids = dict(Estate.objects.values_list("key", "id"))
    b_ids = dict(Building.objects.values_list("key", "id"))
    tags_pool = ["elderly_alone", "low_income", "disabled", "veteran", "vacant", "rented"]
    hh_rows = []
    for g, e, b, unit_no, room, addr in households:
        tags = [t for t in tags_pool if rng.random() < 0.06]
        key = keys.household_key(
            g.code,
            estate_name=e.name,
            building_name=b.name if b else "",
            unit_no=unit_no,
            room=room,
            address=addr,
        )
        members = (
            1
            if "elderly_alone" in tags
            else (0 if "vacant" in tags else rng.choice((1, 2, 2, 3, 3, 3, 4, 5)))
        )
        hh_rows.append(
            Household(
                key=key,
                grid=g,
                estate_id=e_ids[e.key],
                building_id=b_ids[b.key] if b else None,
                unit_no=unit_no,
                room=room,
                address=addr,
                head_name=_name(rng),
                phone=f"13{rng.randint(0, 9)}{rng.randint(10000000, 99999999)}",
                member_count=members,
                tags=Household.encode_tags(tags),
                created_at=stamp,
                updated_at=stamp,
            )
        )
        plan.append(members)
    Household.objects.bulk_create(hh_rows, batch_size=2000)
    h_ids = dict(Household.objects.values_list("key", "id"))
    residents, n = [], 0
    areas = ["370402", "370403", "370404", "370405", "370406"]
    rels = [Relation.HEAD, Relation.SPOUSE, Relation.CHILD, Relation.CHILD, Relation.PARENT]
    for h, members in zip(hh_rows, plan, strict=True):
        for k in range(members):
            n += 1
            year = rng.randint(1940, 1985) if k < 2 else rng.randint(1990, 2020)
            first17 = f"{rng.choice(areas)}{year}{rng.randint(1, 12):02d}{rng.randint(1, 28):02d}{n % 1000:03d}"
            number = first17 + personal.id_check_digit(first17)
            rkey = keys.resident_key(h.key, id_hash=personal.id_hash(number), name="")
            residents.append(
                Resident(
                    key=rkey,
                    household_id=h_ids[h.key],
                    name=h.head_name if k == 0 else _name(rng),
                    gender=personal.gender_of(number),
                    birth_year=year,
                    id_number_enc=personal.encrypt_id(number),
                    id_masked=personal.mask_id(number),
                    id_hash=personal.id_hash(number),
                    relation=rels[min(k, 4)],
                    created_at=stamp,
                    updated_at=stamp,
                )
            )
    Resident.objects.bulk_create(residents, batch_size=2000)
    shops = []
    for gi, g in enumerate(grids):
        for s in range(rng.randint(3, 7)):
            title, kind = rng.choice(SHOP_TYPES)
            name = f"{_name(rng)[0]}记{title}{gi + 1}-{s + 1}"
            lic = f"91370400MA{gi:03d}{s:02d}{rng.randint(1000, 9999)}"
            shops.append(
                Shop(
                    key=keys.shop_key(g.code, licence_no=lic, name=name),
                    grid=g,
                    name=name,
                    operator=_name(rng),
                    business_type=kind,
                    phone=f"13{rng.randint(0, 9)}{rng.randint(10000000, 99999999)}",
                    licence_no=lic,
                    address=f"{g.name}沿街{s + 1}号",
                    created_at=stamp,
                    updated_at=stamp,
                )
            )
    Shop.objects.bulk_create(shops, batch_size=2000)
    cadres = _add_cadres(rng)
    linked = sum(actions.auto_assign(g, actor=None, source="demo") for g in grids)
    leader = User.objects.filter(
        memberships__role=Role.DISTRICT_LEADER, memberships__active=True
    ).first()
    town = Unit.objects.filter(kind__in=[UnitKind.TOWN, UnitKind.STREET]).order_by("path").first()
    contact = 0
    if leader and town:
        actions.set_town_leader(town, actor=None, leader=leader)
        contact = _leader_contacts(leader, town)
    unmanaged = sum(1 for b in buildings if b.unmanaged)
    return (
        f"{len(hh_rows)} 户、{len(residents)} 名居民、{len(buildings)} 栋楼（{unmanaged} 栋脱管）、"
        f"{len(shops)} 家商铺，新增联户干部 {cadres} 名，{linked} 户已联户（区领导联系 {contact} 户；"
        f"用时 {time.perf_counter() - started:.1f} 秒）"
    )


# Households per department cadre the demo aims at (the coverage check flags more than 30).
CADRE_LOAD = 25
CONTACT_HOUSEHOLDS = 12


def cadre_username(dept_code: str, n: int) -> str:
    return f"{dept_code}-cadre{n}"


def _add_cadres(rng: random.Random) -> int:
    """Cadres (机关干部) of every paired department, enough that none holds more than about
    CADRE_LOAD households of its communities: accounts with the demo password, handlers of
    their department (the tier 帮包 links only departments' staff)."""
    from django.contrib.auth.hashers import make_password
    from django.db.models import Count

    from minhu.demo.district import PASSWORD
    from minhu.orgs.models import Membership, Role, Unit, UnitKind, User

    from .models import Household

    per_community = dict(
        Household.objects.values("grid__parent_id")
        .annotate(n=Count("id"))
        .values_list("grid__parent_id", "n")
    )
    password = make_password(PASSWORD)  # hashed once for every cadre
    users, members = [], []
    for dept in Unit.objects.filter(kind=UnitKind.DEPARTMENT, active=True).order_by("path"):
        households = sum(
            per_community.get(c, 0) for c in dept.paired_communities.values_list("pk", flat=True)
        )
        have = Membership.objects.filter(
            unit=dept, role__in=(Role.HANDLER, Role.UNIT_LEADER), active=True
        ).count()
        need = -(-households // CADRE_LOAD) - have
        short = dept.name.removeprefix("区")
        for n in range(1, need + 1):
            u = User(
                username=cadre_username(dept.code, n),
                password=password,
                display_name=f"{short}干部 {_name(rng)}",
                phone=f"1390001{rng.randint(0, 9999):04d}",
            )
            users.append(u)
            members.append((u, dept))
    User.objects.bulk_create(users, batch_size=500)
    by_name = dict(
        User.objects.filter(username__in=[u.username for u in users]).values_list("username", "id")
    )
    Membership.objects.bulk_create(
        [
            Membership(user_id=by_name[u.username], unit=dept, role=Role.HANDLER)
            for u, dept in members
        ],
        batch_size=500,
    )
    return len(users)


def _leader_contacts(leader, town) -> int:
    """The 包联 district leader 联系 a few households of the town's first grid in person (tier
    联系): one building's, through `link_cadre` (it ends the department cadre's link)."""
    from minhu.orgs.models import Unit, UnitKind

    from . import actions
    from .models import CadreTier, Household

    grid = Unit.objects.filter(kind=UnitKind.GRID, path__startswith=town.path).order_by("path")
    grid = grid.first()
    if grid is None:
        return 0
    district = Unit.objects.filter(kind=UnitKind.DISTRICT).first()
    first = Household.objects.filter(grid=grid, active=True).order_by("id").first()
    if first is None:
        return 0
    rows = Household.objects.filter(grid=grid, active=True, building_id=first.building_id)
    n = 0
    for h in rows.order_by("id")[:CONTACT_HOUSEHOLDS]:
        actions.link_cadre(
            h, actor=None, cadre=leader, tier=CadreTier.CONTACT, unit=district, source="demo"
        )
        n += 1
    return n


def logins() -> list[tuple[str, str, str, str]]:
    """A grid worker and a community secretary who keep a registry, and the cadre with the
    most linked households."""
    from django.db.models import Count

    from minhu.demo.district import PASSWORD
    from minhu.orgs.models import Membership, Role

    from .models import CadreLink

    if not is_built():
        return []
    rows = []
    for role in (Role.GRID_WORKER, Role.HANDLER):
        m = (
            Membership.objects.filter(role=role, active=True, unit__households__isnull=False)
            .select_related("user", "unit")
            .order_by("unit__path", "user__username")
            .first()
            if role == Role.GRID_WORKER
            else Membership.objects.filter(role=role, active=True, unit__kind="community")
            .select_related("user", "unit")
            .order_by("unit__path")
            .first()
        )
        if m:
            label = "网格员（户籍台账）" if role == Role.GRID_WORKER else "社区书记（户籍台账）"
            rows.append((m.user.username, PASSWORD, label, m.unit.name))
    top = (
        CadreLink.objects.filter(ended_at__isnull=True)
        .values("cadre__username", "unit__name")
        .annotate(n=Count("id"))
        .order_by("-n", "cadre__username")
        .first()
    )
    if top:
        rows.append(
            (top["cadre__username"], PASSWORD, f"联户干部（{top['n']} 户）", top["unit__name"])
        )
    return rows
