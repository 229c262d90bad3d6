"""幸福清单 and 领办 projects: publishing a solved item in public words (no personal data, by
its street/community or the centre), withdrawal, the public pages; a project as a work item
dispatched to its lead unit, milestones on the item's timeline, finishing, linked appeals,
its public progress."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from minhu.appeals import actions as appeal_actions
from minhu.appeals.models import AppealEvent, Status
from minhu.appeals.tests.factories import in_progress, register, replied
from minhu.core.errors import Conflict, DomainError, InvalidInput, NotFound, PermissionDenied
from minhu.happiness import access, actions
from minhu.happiness.models import PROJECT_KIND, Listing, Project
from minhu.happiness.personal import find_personal
from minhu.orgs.testing import PASSWORD


def test_find_personal():
    assert find_personal("请联系13912345678") == "手机号"
    assert find_personal("请联系139 1234 5678") == "手机号"
    assert find_personal("电话029-88612301") == "电话号码"
    assert find_personal("身份证11010519491231002X") == "身份证号"
    assert find_personal("3号楼2单元501室漏水") == "门牌号"
    assert find_personal("张三家门口的路灯", names=("张三",)) == "诉求人姓名"
    assert find_personal("路灯已经修好，恢复照明", names=("张三",), phones=("139",)) == ""
    # A year or a count is no phone.
    assert find_personal("2026年完成20所学校") == ""


def _publish(org, a, actor=None, **kw):
    return actions.publish(
        a,
        actor=actor or org.dispatcher,
        title=kw.pop("title", "小区门口路灯恢复照明"),
        result=kw.pop("result", "街道联系城管局更换了灯泡，当天恢复照明。"),
        **kw,
    )


def test_publish_guards(org):
    working = in_progress(org)
    with pytest.raises(InvalidInput) as e:
        _publish(org, working)
    assert e.value.code == "not_solved"
    a = replied(org, subject="东一社区路灯不亮")
    with pytest.raises(InvalidInput) as e:
        _publish(org, a, title="张三家门口路灯修好了")
    assert (e.value.code, e.value.details["field"]) == ("personal_data", "title")
    with pytest.raises(InvalidInput) as e:
        _publish(org, a, result="已电话联系13812345678告知")
    assert e.value.code == "personal_data"
    # Another street's handler, a department and a grid worker do not publish it.
    for outsider in (org.s2_handler, org.d1_handler, org.grid1_worker):
        with pytest.raises((PermissionDenied, NotFound)):
            _publish(org, a, actor=outsider)
    listing = _publish(org, a, actor=org.c1_handler)
    assert (listing.street, listing.community, listing.micro) == (
        org.street1,
        org.community1,
        True,
    )
    assert listing.solved_on == timezone.localdate(a.resolved_at)
    with pytest.raises(Conflict):
        _publish(org, a)
    actions.withdraw(listing, actor=org.s1_handler)
    with pytest.raises(InvalidInput):
        actions.withdraw(listing, actor=org.s1_handler)
    again = _publish(org, a, title="路灯恢复照明")
    assert again.pk == listing.pk and again.withdrawn_at is None
    a.refresh_from_db()
    assert a.status == Status.REPLIED  # the item itself is untouched


def test_candidates_are_scoped(org):
    mine = replied(org, subject="东一社区路灯不亮")
    theirs = replied(org, subject="西一社区路灯不亮", grid="grid2")
    in_progress(org, subject="还在办")
    assert set(access.candidates_for(org.dispatcher)) == {mine, theirs}
    assert set(access.candidates_for(org.c1_handler)) == {mine}
    assert set(access.candidates_for(org.s2_handler)) == {theirs}
    assert set(access.candidates_for(org.d1_handler)) == set()
    _publish(org, mine)
    assert set(access.candidates_for(org.dispatcher)) == {theirs}


def test_public_pages_show_no_personal_data(client, org):
    a = replied(org, subject="东一社区路灯不亮", appellant_name="李秀英", phone="13812345678")
    b = replied(org, subject="东一社区下水道堵塞")
    _publish(org, a)
    _publish(org, b, title="东一社区下水道疏通", result="已疏通下水道。", micro=False)
    gone = replied(org, subject="撤下的条目")
    actions.withdraw(_publish(org, gone, title="撤下的条目标题"), actor=org.dispatcher)
    index = client.get("/h5/happy/").content.decode()
    assert "东街道" in index and "已解决 2 件" in index
    page = client.get(f"/h5/happy/{org.street1.code}/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "小区门口路灯恢复照明" in html and "东一社区下水道疏通" in html
    assert 'id="n-listed">2<' in html and 'id="n-micro">1<' in html
    assert "撤下的条目标题" not in html
    for secret in ("李秀英", "13812345678", "张三", a.code, a.detail):
        assert secret not in html
    assert "东一社区下水道疏通" in client.get(f"/h5/happy/{org.community1.code}/").content.decode()
    assert "下水道" not in client.get(f"/h5/happy/{org.community2.code}/").content.decode()
    assert client.get("/h5/happy/nope/").status_code == 404
    assert client.get(f"/h5/happy/{org.dept1.code}/").status_code == 404


# --- projects --------------------------------------------------------------------------------


def _project(org, **kw):
    today = timezone.localdate()
    return actions.create_project(
        actor=kw.pop("actor", org.dispatcher),
        title=kw.pop("title", "中小学教室配备空调"),
        description=kw.pop("description", "分批为区属中小学教室配备空调，暑期施工。"),
        leader_kind=kw.pop("leader_kind", "department"),
        leader=kw.pop("leader", "区教育局"),
        lead_unit=kw.pop("lead_unit", org.dept3),
        responsible=kw.pop("responsible", "教育局副局长 李华"),
        area=kw.pop("area", org.street1),
        due_on=kw.pop("due_on", today + dt.timedelta(days=90)),
        milestones=kw.pop("milestones", [("摸排教室", None), ("采购安装", today)]),
        **kw,
    )


def test_project_is_a_work_item_of_its_lead_unit(org):
    p = _project(org)
    a = p.appeal
    assert (a.kind, a.channel, a.status, a.lead_unit) == (
        PROJECT_KIND,
        "led_project",
        Status.DISPATCHED,
        org.dept3,
    )
    assert (a.source_type, a.source_id) == ("happiness.Project", str(p.pk))
    assert [m.title for m in p.milestones.all()] == ["摸排教室", "采购安装"]
    for kwargs, code in (
        ({"leader_kind": "mayor"}, "invalid_choice"),
        ({"title": "空调"}, "too_short"),
        ({"area": org.grid1}, "invalid_area"),
        ({"due_on": timezone.localdate() - dt.timedelta(days=1)}, "in_past"),
        ({"description": "联系13812345678报名安装空调"}, "personal_data"),
    ):
        with pytest.raises(InvalidInput) as e:
            _project(org, **kwargs)
        assert e.value.code == code
    with pytest.raises(PermissionDenied):
        _project(org, actor=org.d3_handler)
    assert Project.objects.count() == 1


def test_milestones_and_finishing(org):
    p = _project(org)
    first, second = p.milestones.all()
    # Before the lead unit claims the item, progress is refused by the loop's own rule.
    with pytest.raises(DomainError):
        actions.complete_milestone(first, actor=org.d3_handler)
    appeal_actions.claim(p.appeal, actor=org.d3_handler)
    with pytest.raises((PermissionDenied, NotFound)):
        actions.complete_milestone(first, actor=org.d1_handler)
    actions.complete_milestone(first, actor=org.d3_handler, note="共摸排教室420间")
    first.refresh_from_db()
    assert first.done_on == timezone.localdate() and first.note == "共摸排教室420间"
    event = AppealEvent.objects.filter(appeal=p.appeal, kind="progress").get()
    assert "摸排教室" in event.note
    with pytest.raises(InvalidInput) as e:
        actions.complete_milestone(first, actor=org.d3_handler)
    assert e.value.code == "already_done"
    with pytest.raises(InvalidInput) as e:
        actions.finish_project(p, actor=org.d3_handler, result="全部安装完毕")
    assert e.value.code == "milestones_open"
    actions.complete_milestone(second, actor=org.d3_handler)
    actions.finish_project(p, actor=org.d3_handler, result="全区20所学校教室空调安装完毕")
    p.appeal.refresh_from_db()
    assert p.appeal.status == Status.RESOLVED
    assert access.project_state(p) == "done"


def test_links(org):
    p = _project(org)
    a = register(org, subject="教室太热，建议装空调", actor=org.dispatcher)
    link = actions.link_appeal(p, a, actor=org.dispatcher)
    assert list(p.answers.all()) == [a] and link.linked_by == org.dispatcher
    with pytest.raises(Conflict):
        actions.link_appeal(p, a, actor=org.dispatcher)
    with pytest.raises(InvalidInput) as e:
        actions.link_appeal(p, p.appeal, actor=org.dispatcher)
    assert e.value.code == "self_link"
    with pytest.raises(InvalidInput) as e:
        actions.link_appeal(p, 999999, actor=org.dispatcher)
    assert e.value.code == "unknown_appeal"
    with pytest.raises(NotFound):
        actions.link_appeal(p, a, actor=org.s2_handler)
    actions.unlink_appeal(p, a.pk, actor=org.dispatcher)
    assert not p.answers.exists()


def test_public_project_page(client, org):
    p = _project(org, milestones=["摸排教室", "采购安装", "验收"])
    hidden = _project(org, title="不公开的项目", public=False)
    appeal_actions.claim(p.appeal, actor=org.d3_handler)
    actions.complete_milestone(p.milestones.first(), actor=org.d3_handler)
    html = client.get(f"/h5/happy/p/{p.pk}/").content.decode()
    assert "中小学教室配备空调" in html and "1/3" in html and "推进中" in html
    assert p.appeal.code not in html
    assert client.get(f"/h5/happy/p/{hidden.pk}/").status_code == 404
    street = client.get(f"/h5/happy/{org.street1.code}/").content.decode()
    assert "中小学教室配备空调" in street and "不公开的项目" not in street


# --- staff pages -----------------------------------------------------------------------------


def _login(client, user):
    client.login(username=user.username, password=PASSWORD)
    return client


def test_staff_pages(client, org):
    a = replied(org, subject="东一社区路灯不亮")
    c = _login(client, org.c1_handler)
    assert a.code in c.get("/happy/candidates/").content.decode()
    form = c.get(f"/happy/publish/{a.pk}/").content.decode()
    assert 'name="title"' in form and "东一社区路灯不亮" in form
    r = c.post(f"/happy/publish/{a.pk}/", {"title": "张三的路灯", "result": "已修好路灯"})
    assert r.status_code == 400 and 'data-error="personal_data"' in r.content.decode()
    r = c.post(
        f"/happy/publish/{a.pk}/", {"title": "路灯恢复照明", "result": "已修好路灯", "micro": "1"}
    )
    assert r.status_code == 302
    listing = Listing.objects.get()
    assert "路灯恢复照明" in c.get("/happy/").content.decode()
    assert c.post(f"/happy/{listing.pk}/withdraw/").status_code == 302
    listing.refresh_from_db()
    assert listing.withdrawn_at is not None
    c.logout()
    # Another street: not found.
    c = _login(client, org.s2_handler)
    assert c.get(f"/happy/publish/{a.pk}/").status_code == 404
    c.logout()
    c = _login(client, org.dispatcher)
    r = c.post(
        "/happy/projects/",
        {
            "title": "中小学教室配备空调",
            "description": "分批为区属中小学教室配备空调。",
            "leader_kind": "department",
            "leader": "区教育局",
            "lead_unit": org.dept3.pk,
            "responsible": "副局长 李华",
            "milestones": "摸排教室\n采购安装|2099-01-01",
            "public": "1",
        },
    )
    assert r.status_code == 302, r.content.decode()
    p = Project.objects.get()
    assert [str(m.due_on) for m in p.milestones.all()] == ["None", "2099-01-01"]
    c.logout()
    c = _login(client, org.d3_handler)
    appeal_actions.claim(p.appeal, actor=org.d3_handler)
    m = p.milestones.first()
    r = c.post(f"/happy/projects/{p.pk}/", {"op": "milestone", "milestone": m.pk, "note": "完成"})
    assert r.status_code == 302
    m.refresh_from_db()
    assert m.done_on is not None
    r = c.post(f"/happy/projects/{p.pk}/", {"op": "finish", "result": "全部完成"})
    assert r.status_code == 400 and 'data-error="milestones_open"' in r.content.decode()
    c.logout()
    assert _login(client, org.s2_handler).get(f"/happy/projects/{p.pk}/").status_code == 404
