"""The demo's Open311 share: a client key (printed by `minhu demo --logins`), extra fields on
路灯照明 (so its service definition has attributes) and one request posted through Open311."""

from __future__ import annotations

from minhu.categories import actions as category_actions
from minhu.categories.models import Category, CategoryField
from minhu.orgs.models import User

from . import actions
from .models import ApiKey

DEMO_KEY = "minhu-demo-open311-key-2026"
DEMO_CLIENT = "演示客户端（FixMyStreet）"


def is_built() -> bool:
    return ApiKey.objects.filter(digest=actions.key_digest(DEMO_KEY)).exists()


def build(*, seed: int, now, out) -> str:
    admin = User.objects.filter(username="admin").first()
    key, _secret = actions.issue_key(
        actor=admin, name=DEMO_CLIENT, contact="open311@example.org", secret=DEMO_KEY
    )
    lamp = Category.objects.filter(code="streetlight").first()
    posted = ""
    if lamp is not None:
        if not CategoryField.objects.filter(category=lamp).exists():
            category_actions.create_category_field(
                actor=admin,
                category=lamp,
                code="pole",
                label="灯杆编号",
                required=True,
                order=1,
                help_text="灯杆上喷涂的编号，如 DJ-0231",
            )
            category_actions.create_category_field(
                actor=admin,
                category=lamp,
                code="lamp",
                label="故障情况",
                datatype="single",
                options="dark=不亮\nflicker=闪烁\nday=白天常亮",
                order=2,
            )
        req = actions.post_request(
            api_key=key,
            category=lamp,
            description="小区北门外的路灯连续三晚不亮，夜里出行不便，请尽快修复。",
            address="幸福路北门外",
            latitude=39.9087,
            longitude=116.3975,
            attributes={"pole": "DJ-0231", "lamp": "dark"},
            email="resident@example.org",
        )
        posted = f"，经 Open311 提交诉求 {req.appeal.code}"
    return f"客户端密钥 1 个（{DEMO_CLIENT}）{posted}"


def logins() -> list[tuple[str, str, str, str]]:
    if not is_built():
        return []
    return [("(Open311 api_key)", DEMO_KEY, "Open311 客户端", DEMO_CLIENT)]
