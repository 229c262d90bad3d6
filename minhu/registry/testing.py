"""Registry rows for tests (other apps' tests too: visits build on these). Rows are created
directly; the registry verbs have their own tests."""

from __future__ import annotations

import itertools

from minhu.orgs.models import Unit, UnitKind

from . import keys, personal
from .models import (
    Building,
    CadreLink,
    CadreTier,
    Estate,
    EstateKind,
    Household,
    Relation,
    Resident,
    Shop,
)

_seq = itertools.count(1)


def valid_id_number(n: int | None = None, *, birth: str = "19800101", area: str = "370402") -> str:
    """A syntactically valid ID number (correct GB 11643 check digit), distinct per `n`."""
    n = next(_seq) if n is None else n
    first17 = f"{area}{birth}{n % 1000:03d}"
    return first17 + personal.id_check_digit(first17)


def make_estate(grid: Unit, name: str | None = None, **kw) -> Estate:
    name = name or f"测试小区{next(_seq)}"
    kw.setdefault("kind", EstateKind.ESTATE)
    kw.setdefault("address", f"{grid.name}{name}")
    return Estate.objects.create(key=keys.estate_key(grid.code, name), name=name, grid=grid, **kw)


def make_building(
    grid: Unit, estate: Estate | None = None, name: str | None = None, **kw
) -> Building:
    estate = estate or make_estate(grid)
    name = name or f"{next(_seq)}号楼"
    kw.setdefault("unit_count", 2)
    kw.setdefault("floor_count", 6)
    return Building.objects.create(
        key=keys.building_key(grid.code, estate.name, name),
        estate=estate,
        grid=grid,
        name=name,
        **kw,
    )


def make_household(grid: Unit, **kw) -> Household:
    """A household in `grid`; pass building=..., unit_no=, room=, head_name=, phone=, tags=[...]."""
    building: Building | None = kw.pop("building", None)
    estate = kw.pop("estate", None) or (building.estate if building else None)
    tags = kw.pop("tags", [])
    n = next(_seq)
    unit_no = kw.pop("unit_no", "1" if building else "")
    room = kw.pop("room", f"{100 + n}" if building else "")
    if building:
        default_address = f"{estate.name}{building.name}{unit_no}单元{room}室"
    else:
        default_address = f"{grid.name}{n}号"
    address = kw.pop("address", default_address)
    key = kw.pop(
        "key",
        keys.household_key(
            grid.code,
            estate_name=estate.name if estate else "",
            building_name=building.name if building else "",
            unit_no=unit_no,
            room=room,
            address=address,
        ),
    )
    kw.setdefault("head_name", f"户主{n}")
    kw.setdefault("phone", f"139{n:08d}")
    kw.setdefault("member_count", 2)
    return Household.objects.create(
        key=key,
        grid=grid,
        estate=estate,
        building=building,
        unit_no=unit_no,
        room=room,
        address=address,
        tags=Household.encode_tags(tags),
        **kw,
    )


def make_resident(household: Household, **kw) -> Resident:
    id_number = kw.pop("id_number", None)
    if id_number is None:
        id_number = valid_id_number()
    name = kw.pop("name", f"居民{next(_seq)}")
    fields: dict = {}
    if id_number:
        h = personal.id_hash(id_number)
        fields = {
            "id_number_enc": personal.encrypt_id(id_number),
            "id_masked": personal.mask_id(id_number),
            "id_hash": h,
            "birth_year": personal.birth_year_of(id_number),
            "gender": personal.gender_of(id_number),
        }
    else:
        h = ""
    fields.update(kw)
    fields.setdefault("relation", Relation.OTHER)
    return Resident.objects.create(
        key=keys.resident_key(household.key, id_hash=h, name=name),
        household=household,
        name=name,
        **fields,
    )


def make_shop(grid: Unit, **kw) -> Shop:
    name = kw.pop("name", f"测试商铺{next(_seq)}")
    kw.setdefault("operator", "经营者")
    kw.setdefault("business_type", "餐饮")
    return Shop.objects.create(
        key=keys.shop_key(grid.code, licence_no=kw.get("licence_no", ""), name=name),
        grid=grid,
        name=name,
        **kw,
    )


def make_cadre_link(household: Household, cadre, *, tier: str = CadreTier.BACKSTOP, unit=None):
    if unit is None:
        m = cadre.memberships.filter(active=True).select_related("unit").first()
        unit = m.unit if m else household.grid
    return CadreLink.objects.create(household=household, cadre=cadre, tier=tier, unit=unit)


def make_registry(grid: Unit, *, buildings: int = 2, per_building: int = 4) -> list[Household]:
    """A small estate in `grid`: `buildings` buildings of `per_building` households, each with
    two residents (head and spouse)."""
    assert grid.kind == UnitKind.GRID
    estate = make_estate(grid)
    out = []
    for b in range(buildings):
        building = make_building(grid, estate, name=f"{b + 1}号楼", unmanaged=(b == 0))
        for i in range(per_building):
            hh = make_household(grid, building=building, unit_no="1", room=f"{101 + i}")
            make_resident(hh, name=hh.head_name, relation=Relation.HEAD)
            make_resident(hh, relation=Relation.SPOUSE)
            out.append(hh)
    return out


def bench_grids(towns: int = 10, communities: int = 10, grids: int = 10):
    """(district, grids, admin) of a benchmark: towns × communities × grids (1,000 by default)
    and a district admin. For the scale commands on an empty database."""
    from minhu.orgs.models import Membership, Role, User

    U = Unit.objects.create
    district = U(name="测试区", code="bench", kind=UnitKind.DISTRICT)
    out = []
    for s in range(towns):
        town = U(name=f"第{s + 1}镇", code=f"b{s}", kind=UnitKind.TOWN, parent=district)
        for c in range(communities):
            com = U(
                name=f"{town.name}{c + 1}村", code=f"b{s}c{c}", kind=UnitKind.COMMUNITY, parent=town
            )
            for g in range(grids):
                out.append(
                    U(
                        name=f"{com.name}第{g + 1}网格",
                        code=f"b{s}c{c}g{g}",
                        kind=UnitKind.GRID,
                        parent=com,
                    )
                )
    admin = User.objects.create(username="bench-admin", display_name="管理员")
    Membership.objects.create(user=admin, unit=district, role=Role.ADMIN)
    return district, out, admin
