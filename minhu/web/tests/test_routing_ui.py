"""The routing engine in the staff web: the machine proposal in the dispatch centre's panel
(top 3 with bars, place, lead unit, source and confidence; the form pre-filled; accepting with
one click or correcting), the reply check on the appeal page, and the navigation links."""

import re
from html import unescape

import pytest
from django.urls import reverse

from minhu.appeals import actions
from minhu.appeals.models import Channel, Status
from minhu.categories.models import Category
from minhu.routing import actions as routing_actions
from minhu.routing import classifier, location
from minhu.routing.models import DecisionKind, Place, PlaceKind, RoutingDecision

from .conftest import HX, PHONE

pytestmark = pytest.mark.django_db


class FakeClassifier:
    """A trained model's predictions, set by the test (the classifier itself is tested in
    minhu/routing)."""

    def __init__(self, top):
        self.top = top
        self.labels = [label for label, _p in top]
        self.params = {}

    def predict_top(self, subject, detail, k=3):
        return self.top[:k]


@pytest.fixture(autouse=True)
def clean_caches():
    classifier.clear_cache()
    location.clear_cache()
    yield
    classifier.clear_cache()


@pytest.fixture
def education(org):
    top = Category.objects.create(name="教育文体", code="edu")
    return Category.objects.create(name="校园周边", code="school", parent=top)


@pytest.fixture
def model(org, monkeypatch, education):
    """Model v1, below the auto-dispatch threshold: 路灯照明 60 %, 校园周边 25 %, an unknown
    label 10 %."""
    fake = FakeClassifier([("streetlight", 0.6), ("school", 0.25), ("不认识的类", 0.1)])
    monkeypatch.setattr(classifier, "load_blob", lambda blob: fake)
    routing_actions.store_model(
        actor=None,
        blob=b"x",
        labels=fake.labels,
        params={},
        evaluation={},
        trained_on="test",
        n_samples=3,
    )
    routing_actions.save_dispatch_rule(
        actor=org.dispatcher, category=org.category, lead_unit=org.dept1, assist_units=[org.dept2]
    )
    return fake


@pytest.fixture
def proposed(org, model, django_capture_on_commit_callbacks):
    """A new appeal whose proposal the intake hook stored (no grid: the text names the place,
    an estate of the place registry in grid 1)."""
    Place.objects.create(name="阳光花园", kind=PlaceKind.ESTATE, grid=org.grid1)
    with django_capture_on_commit_callbacks(execute=True):
        a = actions.register_appeal(
            actor=None,
            channel=Channel.H5,
            subject="阳光花园路灯不亮",
            detail="阳光花园3号楼前的路灯坏了一个星期。",
            appellant_name="张三",
            appellant_phone=PHONE,
        )
    a.refresh_from_db()
    assert a.status == Status.NEW and a.category_id is None and a.grid_id is None
    assert RoutingDecision.objects.filter(appeal=a, kind=DecisionKind.PROPOSAL).exists()
    return a


def panel(client, appeal) -> str:
    r = client.get(reverse("web:dispatch_panel", args=[appeal.pk]))
    assert r.status_code == 200
    return r.content.decode()


def proposal_box(html: str) -> str:
    return html.split('id="proposal"', 1)[1].split('class="panel-form"', 1)[0]


def selected(html: str, name: str) -> set[str]:
    """Values selected (options) or checked (checkboxes) for a field of the dispatch form."""
    form = html.split('class="panel-form"', 1)[1]
    sel = re.search(rf'<select name="{name}".*?</select>', form, re.S)
    if sel:
        return set(re.findall(r'<option value="(\d+)"[^>]*\bselected\b', sel.group(0)))
    return {
        m.group(1)
        for m in re.finditer(rf'<input[^>]*name="{name}"[^>]*value="(\d+)"[^>]*>', form)
        if " checked" in m.group(0)
    }


def accept_data(html: str) -> dict:
    """The hidden fields of the one-click "accept" form."""
    form = re.search(r'<form[^>]*class="rt-accept".*?</form>', html, re.S).group(0)
    data: dict = {}
    for name, value in re.findall(r'<input type="hidden" name="(\w+)" value="([^"]*)"', form):
        if name == "csrfmiddlewaretoken":
            continue
        data.setdefault(name, []).append(unescape(value))
    return data


def test_panel_shows_the_top3_place_lead_source_and_confidence(login, org, proposed):
    html = panel(login(org.dispatcher), proposed)
    box = proposal_box(html)
    assert "智能分拨建议" in box and "模型 v1" in box and "置信度 <b>60%</b>" in box
    names = re.findall(r"<li data-top-category=\"\d*\"><span>([^<]+)</span>", box)
    assert names == ["城乡建设 / 路灯照明", "教育文体 / 校园周边", "不认识的类"]
    assert [int(w) for w in re.findall(r'data-width="(\d+)"', box)] == [60, 25, 10]
    assert "东街道 东一社区 东一社区第1网格" in box and "阳光花园" in box  # from the text
    assert "区城管局" in box and "区住建局" in box and "派单目录" in box
    assert "置信度60%低于阈值85%" in box  # why it was not dispatched automatically


def test_the_form_is_prefilled_with_the_proposal(login, org, proposed):
    html = panel(login(org.dispatcher), proposed)
    assert selected(html, "category") == {str(org.category.pk)}
    assert selected(html, "lead_unit") == {str(org.dept1.pk)}
    assert selected(html, "assist_units") == {str(org.dept2.pk)}
    assert selected(html, "grid") == {str(org.grid1.pk)}  # the estate's grid


def test_accepting_with_one_click_dispatches_and_confirms(
    login, org, proposed, django_capture_on_commit_callbacks
):
    client = login(org.dispatcher)
    data = accept_data(panel(client, proposed))
    assert data["category"] == [str(org.category.pk)] and data["lead_unit"] == [str(org.dept1.pk)]
    with django_capture_on_commit_callbacks(execute=True):
        r = client.post(reverse("web:appeal_action", args=[proposed.pk, "dispatch"]), data, **HX)
    assert r.status_code == 200 and "已派单至区城管局" in r.content.decode()
    proposed.refresh_from_db()
    assert proposed.status == Status.DISPATCHED
    assert (proposed.category, proposed.lead_unit, proposed.grid) == (
        org.category,
        org.dept1,
        org.grid1,
    )
    assert list(proposed.assignments.filter(role="assist").values_list("unit", flat=True)) == [
        org.dept2.pk
    ]
    ok = RoutingDecision.objects.get(appeal=proposed, kind=DecisionKind.CONFIRMED)
    assert not ok.corrected and ok.model_version == "v1"


def test_changing_the_proposal_is_recorded_as_a_correction(
    login, org, proposed, education, django_capture_on_commit_callbacks
):
    client = login(org.dispatcher)
    data = {
        "_from": "panel",
        "op": "dispatch",
        "category": education.pk,
        "urgency": "normal",
        "grid": org.grid1.pk,
        "lead_unit": org.dept3.pk,
    }
    with django_capture_on_commit_callbacks(execute=True):
        r = client.post(reverse("web:appeal_action", args=[proposed.pk, "dispatch"]), data, **HX)
    assert "已派单至区教育局" in r.content.decode()
    fix = RoutingDecision.objects.get(appeal=proposed, kind=DecisionKind.CORRECTION)
    assert fix.corrected and sorted(fix.proposal["wrong"]) == ["category", "lead_unit"]
    assert (fix.category, fix.lead_unit) == (education, org.dept3)
    assert fix.proposal["proposed_category_id"] == org.category.pk


def test_an_appeal_classified_otherwise_keeps_its_category_and_lead(
    login, org, model, make_appeal, education, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        a = make_appeal("学校门口路灯不亮", category=education)
    html = panel(login(org.dispatcher), a)
    assert "智能分拨建议" in html  # still shown, for the dispatcher to compare
    assert selected(html, "category") == {str(education.pk)}
    assert str(org.dept1.pk) not in selected(html, "lead_unit")
    assert selected(html, "assist_units") == set()


def test_a_unit_that_returned_the_appeal_is_not_prefilled(
    login, org, model, make_appeal, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        a = make_appeal("路灯不亮")
    with django_capture_on_commit_callbacks(execute=True):
        actions.classify(a, actor=org.dispatcher, category=org.category)
        actions.dispatch(a, actor=org.dispatcher, lead_unit=org.dept1)
        actions.return_appeal(a, actor=org.d1_handler, reason="应由街道负责")
    html = panel(login(org.dispatcher), a)
    assert "已退回过" in proposal_box(html)
    assert 'class="rt-accept"' not in html  # no one-click accept of a unit that returned it


def test_without_a_stored_proposal_it_is_computed_after_the_panel(login, org, make_appeal):
    # Registered without running the intake hook (as before routing was set up): computing
    # costs a dozen queries, so the panel loads it afterwards and does not pre-fill the form.
    a = make_appeal("路灯不亮", detail="小区门口的路灯坏了，晚上没有照明。")
    assert not RoutingDecision.objects.filter(appeal=a).exists()
    client = login(org.dispatcher)
    html = panel(client, a)
    url = reverse("web:dispatch_proposal", args=[a.pk])
    assert f'hx-get="{url}"' in proposal_box(html) and 'hx-trigger="load"' in html
    assert selected(html, "category") == set()
    box = client.get(url).content.decode()
    assert "关键词规则" in box and "城乡建设 / 路灯照明" in box and "置信度 <b>75%</b>" in box
    # No catalogue rule and no default unit: nothing to accept with one click.
    assert "派单目录无对应规则" in box and 'class="rt-accept"' not in box
    assert not RoutingDecision.objects.filter(appeal=a).exists()  # a GET stores nothing


def test_the_computed_proposal_offers_the_one_click_accept(login, org, model, make_appeal):
    a = make_appeal("路灯不亮")
    box = login(org.dispatcher).get(reverse("web:dispatch_proposal", args=[a.pk])).content
    data = accept_data(box.decode())
    assert data["lead_unit"] == [str(org.dept1.pk)] and data["assist_units"] == [str(org.dept2.pk)]
    assert data["grid"] == [str(org.grid1.pk)] and data["_from"] == ["panel"]


def test_nothing_to_propose_says_so(login, org, make_appeal, monkeypatch):
    from minhu.routing import proposals

    monkeypatch.setattr(proposals, "proposal_for", lambda appeal: None)
    a = make_appeal("咨询一件事情", detail="想问一下有关事项怎么办理。")
    box = login(org.dispatcher).get(reverse("web:dispatch_proposal", args=[a.pk]))
    assert box.status_code == 200 and "暂无智能分拨建议" in box.content.decode()


def test_the_proposal_fragment_is_for_the_centre_only(login, org, make_appeal):
    a = make_appeal()
    url = reverse("web:dispatch_proposal", args=[a.pk])
    assert login(org.s1_handler).get(url).status_code == 403
    assert (
        login(org.dispatcher).get(reverse("web:dispatch_proposal", args=[999999])).status_code
        == 404
    )


def test_an_automatic_dispatch_is_shown_as_such(
    login, org, model, make_appeal, django_capture_on_commit_callbacks
):
    model.top = [("streetlight", 0.95)]
    with django_capture_on_commit_callbacks(execute=True):
        a = make_appeal("路灯不亮")
    a.refresh_from_db()
    assert a.status == Status.DISPATCHED
    html = panel(login(org.dispatcher), a)
    box = proposal_box(html)
    assert "已自动派单" in box and "置信度 <b>95%</b>" in box
    assert 'class="rt-accept"' not in html


def test_a_routing_failure_leaves_the_panel_working(login, org, make_appeal, monkeypatch):
    from minhu.routing import proposals

    def broken(appeal):
        raise RuntimeError("model file damaged")

    a = make_appeal()
    client = login(org.dispatcher)
    monkeypatch.setattr(proposals, "latest_decision", broken)
    html = panel(client, a)
    assert 'id="proposal"' not in html and 'class="panel-form"' in html
    monkeypatch.setattr(proposals, "proposal_for", broken)
    r = client.get(reverse("web:dispatch_proposal", args=[a.pk]))
    assert r.status_code == 200 and "暂无智能分拨建议" in r.content.decode()


def test_the_centre_page_loads_the_routing_styles(login, org, proposed):
    html = login(org.dispatcher).get(reverse("web:dispatch")).content.decode()
    assert "routing/routing.css" in html and 'id="proposal"' in html


# --- reply check ----------------------------------------------------------------------------


def test_reply_form_checks_the_draft_before_sending(login, org, loop, make_appeal):
    a = loop.resolved(make_appeal())
    client = login(org.s1_handler)
    html = client.get(reverse("web:appeal", args=[a.pk])).content.decode()
    url = reverse("routing:reply_check", args=[a.pk])
    wrapper = re.search(r"<div data-reply-check[^>]*>", html).group(0)
    assert f'hx-post="{url}"' in wrapper and 'hx-trigger="input delay:800ms"' in wrapper
    assert 'hx-target="#rt-reply-check"' in wrapper and 'hx-include="closest form"' in wrapper
    assert 'data-action="reply-check"' in html and "检查答复" in html
    assert 'id="rt-reply-check"' in html  # the box the fragment replaces
    # What the fragment answers for a thin draft: a score and Chinese warnings.
    r = client.post(url, {"text": "已收悉。"}, **HX)
    body = r.content.decode()
    assert r.status_code == 200 and 'id="rt-reply-check"' in body
    assert "答复较弱" in body and "答复过于简短" in body


def test_a_weak_reply_can_still_be_sent(login, org, loop, make_appeal):
    a = loop.resolved(make_appeal())
    client = login(org.s1_handler)
    r = client.post(
        reverse("web:appeal_action", args=[a.pk, "reply"]),
        {"text": "您好，您反映的问题我们已经处理了。"},
        **HX,
    )
    assert r.status_code == 200 and "已答复群众" in r.content.decode()
    a.refresh_from_db()
    assert a.status == Status.REPLIED


def test_a_failed_reply_rechecks_the_kept_draft_on_load(login, org, loop, make_appeal):
    a = loop.resolved(make_appeal())
    client = login(org.s1_handler)
    r = client.post(reverse("web:appeal_action", args=[a.pk, "reply"]), {"text": "好"}, **HX)
    html = r.content.decode()
    a.refresh_from_db()
    assert a.status == Status.RESOLVED  # too short: refused by the action, draft kept
    assert 'hx-trigger="input delay:800ms, load"' in html


def test_no_reply_check_without_the_reply_form(login, org, loop, make_appeal):
    a = loop.resolved(make_appeal())
    html = login(org.s2_handler).get(reverse("web:appeal", args=[a.pk]))
    assert html.status_code == 404  # another street: not even visible
    html = login(org.dispatcher).get(reverse("web:appeal", args=[a.pk])).content.decode()
    assert "data-reply-check" not in html


# --- navigation -----------------------------------------------------------------------------

ROUTING_NAV = {
    "智能分拨": "/routing/",
    "热点问题": "/routing/hotspots/",
    "考核评价": "/evaluation/",
}


@pytest.mark.parametrize(
    "user,visible",
    [
        ("dispatcher", {"智能分拨", "热点问题"}),
        ("admin", {"智能分拨", "热点问题", "考核评价"}),
        ("district_leader", {"热点问题", "考核评价"}),
        ("s1_leader", {"热点问题", "考核评价"}),
        ("s1_handler", set()),
        ("callback", set()),
        ("grid1_worker", set()),
    ],
)
def test_routing_and_evaluation_links_follow_the_roles(login, org, user, visible):
    client = login(getattr(org, user))
    html = client.get(reverse("web:appeals")).content.decode()
    nav = html.split('class="nav"', 1)[1].split("</nav>", 1)[0]
    shown = {label for label, url in ROUTING_NAV.items() if f'href="{url}"' in nav}
    assert shown == visible
    for label in visible:  # every link shown opens
        assert client.get(ROUTING_NAV[label]).status_code == 200, label


def test_only_the_most_specific_nav_item_is_active(login, org):
    client = login(org.dispatcher)
    html = client.get("/routing/hotspots/").content.decode()
    nav = html.split('class="nav"', 1)[1].split("</nav>", 1)[0]
    active = re.findall(r'<a href="([^"]+)" class="on"', nav)
    assert active == ["/routing/hotspots/"]
    html = client.get(reverse("web:intake")).content.decode()
    nav = html.split('class="nav"', 1)[1].split("</nav>", 1)[0]
    assert re.findall(r'<a href="([^"]+)" class="on"', nav) == [reverse("web:intake")]


def test_the_panel_with_a_proposal_stays_within_the_query_budget(
    client,
    org,
    model,
    make_appeal,
    loop,
    django_capture_on_commit_callbacks,
    django_assert_max_num_queries,
):
    from .test_query_counts import MAX_QUERIES

    with django_capture_on_commit_callbacks(execute=True):
        made = [
            make_appeal(f"第{i}号路灯不亮", grid=(org.grid1, org.grid2)[i % 2]) for i in range(20)
        ]
    for a in made[:5]:
        loop.dispatched(a)
        actions.return_appeal(a, actor=org.s1_handler, reason="不属于本街道职责")
    assert RoutingDecision.objects.filter(kind=DecisionKind.PROPOSAL).count() == 20
    new, returned = made[-1], made[0]
    client.force_login(org.dispatcher)
    for url in (
        reverse("web:dispatch") + "?tab=new",
        reverse("web:dispatch") + f"?tab=returned&id={returned.pk}",
        reverse("web:dispatch_panel", args=[new.pk]),
        reverse("web:dispatch_panel", args=[returned.pk]),
        reverse("web:dispatch_proposal", args=[new.pk]),
    ):
        with django_assert_max_num_queries(MAX_QUERIES, info=url):
            r = client.get(url)
        assert r.status_code == 200 and 'id="proposal"' in r.content.decode(), url
