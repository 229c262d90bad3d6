"""群众评服务 (service-hall scan-to-rate) and 企业评政府 (enterprise rates a department)."""

from __future__ import annotations

import pytest

from minhu.appeals.models import Appeal
from minhu.core.errors import IllegalTransition, InvalidInput, NotFound
from minhu.residents import actions
from minhu.residents.models import EnterpriseRating, ServiceRating

from .conftest import register

pytestmark = pytest.mark.django_db


# --- service hall --------------------------------------------------------------------------


def test_service_rating_page_and_submission(client, hall):
    url = f"/h5/p/{hall.code}/rate/"
    page = client.get(url + "?window=3号窗口").content.decode()
    assert "区政务服务大厅" in page and 'value="3号窗口"' in page
    r = client.post(url, {"satisfaction": "satisfied", "window": "3号窗口", "comment": "很耐心"})
    assert r.status_code == 302 and r["Location"] == f"/h5/p/{hall.code}/rate/thanks/"
    rating = ServiceRating.objects.get()
    assert (rating.point, rating.satisfaction, rating.window, rating.comment) == (
        hall,
        "satisfied",
        "3号窗口",
        "很耐心",
    )
    assert len(rating.ip_hash) == 32 and "127.0.0.1" not in rating.ip_hash
    assert "感谢您的评价" in client.get(r["Location"]).content.decode()


def test_service_rating_needs_a_choice(client, hall):
    r = client.post(f"/h5/p/{hall.code}/rate/", {"satisfaction": "", "comment": "一般"})
    assert r.status_code == 400 and "请选择满意度" in r.content.decode()
    assert "一般" in r.content.decode() and not ServiceRating.objects.exists()


def test_service_rating_only_at_active_halls(client, hall, point):
    assert client.get(f"/h5/p/{point.code}/rate/").status_code == 404
    hall.active = False
    hall.save()
    assert client.post(f"/h5/p/{hall.code}/rate/", {"satisfaction": "basic"}).status_code == 404
    assert not ServiceRating.objects.exists()


def test_service_rating_rate_limit(client, hall, settings):
    settings.MINHU_H5_LIMITS = {"rating": (2, 600)}
    for _ in range(2):
        assert client.post(f"/h5/p/{hall.code}/rate/", {"satisfaction": "basic"}).status_code == 302
    r = client.post(f"/h5/p/{hall.code}/rate/", {"satisfaction": "basic"})
    assert r.status_code == 429 and "评价过于频繁" in r.content.decode()
    assert ServiceRating.objects.count() == 2


def test_rate_service_verb_validates(hall, point):
    with pytest.raises(NotFound):
        actions.rate_service(point, actor=None, satisfaction="satisfied")
    with pytest.raises(InvalidInput) as e:
        actions.rate_service(hall, actor=None, satisfaction="great")
    assert e.value.details["field"] == "satisfaction"
    with pytest.raises(InvalidInput):
        actions.rate_service(hall, actor=None, satisfaction="basic", comment="长" * 1001)
    rating = actions.rate_service(hall.code, actor=None, satisfaction="basic", window=" 5号 ")
    assert rating.window == "5号"
    with pytest.raises(TypeError):  # append-only
        rating.save()


# --- enterprise ----------------------------------------------------------------------------


def enterprise_rating(org, **overrides):
    data = {
        "enterprise_name": "某某科技有限公司",
        "department": str(org.dept2.pk),
        "satisfaction": "basic",
        "indicator_efficiency": "unsatisfied",
        "indicator_attitude": "satisfied",
        "comment": "材料清单能否一次说清",
    }
    data.update(overrides)
    return data


def test_enterprise_rating(client, org):
    page = client.get("/h5/e/rate/").content.decode()
    assert "办事效率" in page and "服务态度" in page and "政策落实" in page and "区住建局" in page
    r = client.post("/h5/e/rate/", enterprise_rating(org))
    assert r.status_code == 302 and r["Location"] == "/h5/e/rate/thanks/"
    rating = EnterpriseRating.objects.get()
    assert rating.department == org.dept2 and rating.appeal is None
    assert rating.satisfaction == "basic"
    assert rating.indicators == {"efficiency": "unsatisfied", "attitude": "satisfied"}
    assert rating.indicator_rows() == [("办事效率", "不满意"), ("服务态度", "满意")]
    assert "纳入部门营商环境考核" in client.get(r["Location"]).content.decode()


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"enterprise_name": ""}, "请填写企业名称"),
        ({"department": ""}, "请选择为您服务的部门"),
        ({"satisfaction": ""}, "请选择满意度"),
        ({"indicator_policy": "wow"}, "请选择满意度"),
    ],
)
def test_enterprise_rating_validation(client, org, overrides, message):
    r = client.post("/h5/e/rate/", enterprise_rating(org, **overrides))
    assert r.status_code == 400 and message in r.content.decode()
    assert not EnterpriseRating.objects.exists()


def test_enterprise_rating_only_for_departments(client, org):
    r = client.post("/h5/e/rate/", enterprise_rating(org, department=str(org.street1.pk)))
    assert r.status_code == 400 and "请从列表中选择部门" in r.content.decode()
    with pytest.raises(InvalidInput):
        actions.rate_department(
            actor=None, department=org.street1, enterprise_name="甲公司", satisfaction="basic"
        )


def test_enterprise_rating_linked_to_its_appeal_once(client, org):
    client.post(
        "/h5/e/",
        {
            "enterprise_name": "某某科技有限公司",
            "detail": "施工许可材料被反复退回，跑了三趟。",
            "about_unit": str(org.dept2.pk),
            "phone": "13900001111",
        },
    )
    appeal = Appeal.objects.get()
    page = client.get(f"/h5/e/rate/?from={appeal.code}").content.decode()
    assert f"关联诉求：{appeal.code}" in page and 'value="某某科技有限公司"' in page
    assert f'<option value="{org.dept2.pk}" selected>' in page
    r = client.post("/h5/e/rate/", enterprise_rating(org, **{"from": appeal.code}))
    assert r.status_code == 302
    assert EnterpriseRating.objects.get().appeal == appeal
    r = client.post("/h5/e/rate/", enterprise_rating(org, **{"from": appeal.code}))
    assert r.status_code == 400 and "您已评价过这次服务" in r.content.decode()
    assert EnterpriseRating.objects.count() == 1


def test_enterprise_rating_cannot_link_an_appeal_it_has_not_opened(client, org):
    appeal = register(
        appellant_kind="enterprise", enterprise_name="乙公司", appellant_phone="13900001111"
    )
    client.post("/h5/e/rate/", enterprise_rating(org, **{"from": appeal.code}))
    assert EnterpriseRating.objects.get().appeal is None


def test_rate_department_verb(org):
    person = register()
    with pytest.raises(InvalidInput):
        actions.rate_department(
            actor=None,
            department=org.dept1,
            enterprise_name="甲公司",
            satisfaction="basic",
            appeal=person,
        )
    with pytest.raises(InvalidInput):
        actions.rate_department(
            actor=None,
            department=org.dept1,
            enterprise_name="甲公司",
            satisfaction="basic",
            indicators={"speed": "basic"},
        )
    firm = register(appellant_kind="enterprise", enterprise_name="甲公司")
    actions.rate_department(
        actor=None,
        department=org.dept1,
        enterprise_name="甲公司",
        satisfaction="satisfied",
        appeal=firm,
        indicators={"policy": "", "attitude": "basic"},
    )
    assert EnterpriseRating.objects.get().indicators == {"attitude": "basic"}
    with pytest.raises(IllegalTransition):
        actions.rate_department(
            actor=None,
            department=org.dept1,
            enterprise_name="甲公司",
            satisfaction="basic",
            appeal=firm,
        )
