"""A small organisation for tests: every role in own and other units."""

from __future__ import annotations

from types import SimpleNamespace

from minhu.categories.models import Category

from .models import Membership, Role, Unit, UnitKind, User

PASSWORD = "test-pass-123"


def make_user(username: str, unit: Unit, role: str, **extra) -> User:
    user = User.objects.create_user(
        username=username,
        password=PASSWORD,
        display_name=extra.pop("display_name", username),
        **extra,
    )
    Membership.objects.create(user=user, unit=unit, role=role)
    return user


def build_org() -> SimpleNamespace:
    o = SimpleNamespace()
    U = Unit.objects.create
    o.district = U(name="测试区", code="d", kind=UnitKind.DISTRICT)
    o.centre = U(name="区调度中心", code="centre", kind=UnitKind.CENTER, parent=o.district)
    o.dept1 = U(name="区城管局", code="dept1", kind=UnitKind.DEPARTMENT, parent=o.district)
    o.dept2 = U(name="区住建局", code="dept2", kind=UnitKind.DEPARTMENT, parent=o.district)
    o.dept3 = U(name="区教育局", code="dept3", kind=UnitKind.DEPARTMENT, parent=o.district)
    o.street1 = U(name="东街道", code="s1", kind=UnitKind.STREET, parent=o.district)
    o.street2 = U(name="西街道", code="s2", kind=UnitKind.STREET, parent=o.district)
    o.community1 = U(name="东一社区", code="s1c1", kind=UnitKind.COMMUNITY, parent=o.street1)
    o.community2 = U(name="西一社区", code="s2c1", kind=UnitKind.COMMUNITY, parent=o.street2)
    o.grid1 = U(name="东一社区第1网格", code="s1c1g1", kind=UnitKind.GRID, parent=o.community1)
    o.grid2 = U(name="西一社区第1网格", code="s2c1g1", kind=UnitKind.GRID, parent=o.community2)
    o.dept1.paired_communities.add(o.community1)
    o.dispatcher = make_user("dispatcher", o.centre, Role.DISPATCHER, display_name="调度员甲")
    o.callback = make_user("callback", o.centre, Role.CALLBACK, display_name="回访员")
    o.admin = make_user("admin", o.district, Role.ADMIN, display_name="管理员")
    o.district_leader = make_user("dleader", o.district, Role.DISTRICT_LEADER, display_name="区长")
    o.s1_handler = make_user("s1h", o.street1, Role.HANDLER, display_name="东街道承办人")
    o.s1_handler2 = make_user("s1h2", o.street1, Role.HANDLER, display_name="东街道承办人二")
    o.s1_leader = make_user("s1l", o.street1, Role.UNIT_LEADER, display_name="东街道主任")
    o.s2_handler = make_user("s2h", o.street2, Role.HANDLER, display_name="西街道承办人")
    o.c1_handler = make_user("c1h", o.community1, Role.HANDLER, display_name="东一社区书记")
    o.d1_handler = make_user("d1h", o.dept1, Role.HANDLER, display_name="城管局承办人")
    o.d2_handler = make_user("d2h", o.dept2, Role.HANDLER, display_name="住建局承办人")
    o.d3_handler = make_user("d3h", o.dept3, Role.HANDLER, display_name="教育局承办人")
    o.grid1_worker = make_user("g1w", o.grid1, Role.GRID_WORKER, display_name="网格员甲")
    o.top_category = Category.objects.create(name="城乡建设", code="urban")
    o.category = Category.objects.create(
        name="路灯照明", code="streetlight", parent=o.top_category, keywords="路灯 不亮 照明"
    )
    return o
