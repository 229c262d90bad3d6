"""Questionnaires: building (drafts only), publishing, answers with their rules (required,
choices, name/phone, one per phone), the rule that turns an answer into a work item, staff
turning one, results, the xlsx and the scope of every page."""

from __future__ import annotations

import io

import pytest
from openpyxl import load_workbook

from minhu.appeals.models import Appeal, AppellantKind
from minhu.core.errors import Conflict, IllegalTransition, InvalidInput, NotFound, PermissionDenied
from minhu.surveys import actions
from minhu.surveys.models import KIND, Identity, Response

PHONE = "13812345678"


@pytest.fixture
def survey(org):
    s = actions.create_survey(
        actor=org.c1_handler,
        title="东一社区环境满意度调查",
        identity=Identity.OPTIONAL,
        grid=org.grid1,
    )
    s.q_env = actions.add_question(
        s,
        actor=org.c1_handler,
        kind="single",
        text="您对小区环境卫生满意吗",
        required=True,
        options="满意\n一般\n不满意，有问题要反映",
        problem_options="不满意，有问题要反映",
    )
    s.q_what = actions.add_question(
        s,
        actor=org.c1_handler,
        kind="multiple",
        text="您最关心哪些方面",
        options=["垃圾", "停车", "绿化"],
    )
    s.q_rate = actions.add_question(
        s, actor=org.c1_handler, kind="rating", text="给物业打分", problem_rating_max=2
    )
    s.q_text = actions.add_question(s, actor=org.c1_handler, kind="text", text="具体问题和地点")
    actions.publish(s, actor=org.c1_handler)
    s.refresh_from_db()
    return s


def _answer(s, **kw):
    answers = {
        str(s.q_env.pk): kw.pop("env", "满意"),
        str(s.q_what.pk): kw.pop("what", ["垃圾"]),
        str(s.q_rate.pk): kw.pop("rate", "4"),
        str(s.q_text.pk): kw.pop("text", ""),
    }
    return actions.submit_response(s.slug, answers=answers, **kw)


def test_building_rules(org, survey):
    with pytest.raises(IllegalTransition):
        actions.add_question(survey, actor=org.c1_handler, kind="text", text="再加一题")
    draft = actions.create_survey(actor=org.c1_handler, title="草稿")
    with pytest.raises(InvalidInput) as e:
        actions.add_question(
            draft, actor=org.c1_handler, kind="single", text="只有一个选项", options="是"
        )
    assert e.value.code == "too_few_options"
    with pytest.raises(InvalidInput) as e:
        actions.add_question(
            draft,
            actor=org.c1_handler,
            kind="single",
            text="规则",
            options="是\n否",
            problem_options="也许",
        )
    assert e.value.code == "invalid_rule"
    with pytest.raises(InvalidInput) as e:
        actions.publish(draft, actor=org.c1_handler)
    assert e.value.code == "no_questions"
    with pytest.raises(PermissionDenied):
        actions.create_survey(actor=org.grid1_worker, title="网格员不能建")
    # Another street's handler does not see it at all.
    with pytest.raises(NotFound):
        actions.publish(draft, actor=org.s2_handler)


def test_answers_are_checked(org, survey):
    with pytest.raises(InvalidInput) as e:
        _answer(survey, env="")
    assert e.value.code == "required" and e.value.details["field"] == f"q{survey.q_env.pk}"
    with pytest.raises(InvalidInput) as e:
        _answer(survey, env="非常满意")
    assert e.value.code == "invalid_choice"
    with pytest.raises(InvalidInput):
        _answer(survey, what=["垃圾", "外星人"])
    with pytest.raises(InvalidInput):
        _answer(survey, rate="9")
    with pytest.raises(InvalidInput) as e:
        _answer(survey, phone="12")
    assert e.value.code == "invalid_phone"
    r = _answer(survey, name="张三", phone=PHONE)
    assert r.answers[str(survey.q_rate.pk)] == 4 and not r.problem and r.appeal is None
    assert Appeal.objects.count() == 0
    # Not one per phone: the same phone may answer again.
    _answer(survey, phone=PHONE)
    actions.close(survey, actor=org.c1_handler)
    with pytest.raises(IllegalTransition):
        _answer(survey)


def test_one_per_phone_and_named(org):
    s = actions.create_survey(
        actor=org.dispatcher, title="实名问卷", identity=Identity.NAMED, one_per_phone=True
    )
    q = actions.add_question(s, actor=org.dispatcher, kind="rating", text="满意度", required=True)
    actions.publish(s, actor=org.dispatcher)
    with pytest.raises(InvalidInput) as e:
        actions.submit_response(s.slug, answers={str(q.pk): "5"}, phone=PHONE)
    assert e.value.details["field"] == "name"
    actions.submit_response(s.slug, answers={str(q.pk): "5"}, name="李四", phone=PHONE)
    with pytest.raises(Conflict) as e:
        actions.submit_response(s.slug, answers={str(q.pk): "3"}, name="李四", phone=PHONE)
    assert e.value.code == "already_answered"
    assert Response.objects.filter(survey=s).count() == 1


def test_rule_turns_an_answer_into_a_work_item(org, survey):
    r = _answer(
        survey, env="不满意，有问题要反映", text="3号楼垃圾站满了没人清", phone=PHONE, name="王"
    )
    a = r.appeal
    assert r.problem and a is not None
    assert (a.kind, a.channel, a.grid_id, a.appellant_phone) == (
        KIND,
        "questionnaire",
        org.grid1.pk,
        PHONE,
    )
    assert (a.source_type, a.source_id) == ("surveys.Response", str(r.pk))
    assert "3号楼垃圾站满了没人清" in a.detail and "东一社区环境满意度调查" in a.detail
    # A low rating is a problem too; anonymous answers become anonymous appeals.
    r2 = _answer(survey, rate="1")
    assert r2.appeal.appellant_kind == AppellantKind.ANONYMOUS and r2.appeal.appellant_phone == ""


def test_staff_turn_an_answer_into_a_work_item_once(org, survey):
    r = _answer(survey, text="楼道灯坏了")
    assert r.appeal is None
    with pytest.raises(NotFound):
        actions.make_appeal(r, actor=org.s2_handler)
    actions.make_appeal(r, actor=org.c1_handler, note="答卷中提到楼道灯坏了")
    r.refresh_from_db()
    assert r.appeal.registered_by == org.c1_handler and "楼道灯坏了" in r.appeal.detail
    with pytest.raises(IllegalTransition):
        actions.make_appeal(r, actor=org.c1_handler)


def test_pages_results_export_and_scope(org, survey, client):
    _answer(survey, phone=PHONE, text="希望增加停车位")
    _answer(survey, env="不满意，有问题要反映", what=["停车", "绿化"], rate="2")
    client.force_login(org.c1_handler)
    body = client.get(f"/surveys/{survey.pk}/results/").content.decode()
    assert "希望增加停车位" in body and 'id="survey-charts"' in body
    body = client.get(f"/surveys/{survey.pk}/responses/").content.decode()
    assert PHONE not in body and "138****5678" in body  # a community handler: masked
    assert client.get(f"/surveys/{survey.pk}/qr.svg").content.startswith(b"<?xml")
    ws = load_workbook(io.BytesIO(client.get(f"/surveys/{survey.pk}/export.xlsx").content)).active
    rows = list(ws.iter_rows(values_only=True))
    assert len(rows) == 3 and rows[1][3] == "138****5678" and rows[2][5] == "停车、绿化"
    client.force_login(org.dispatcher)
    body = client.get(f"/surveys/{survey.pk}/responses/").content.decode()
    assert PHONE in body
    client.force_login(org.s2_handler)
    assert client.get(f"/surveys/{survey.pk}/").status_code == 404
    assert client.get(f"/surveys/{survey.pk}/export.xlsx").status_code == 404


def test_h5_answer_page(org, survey, client):
    url = f"/h5/q/{survey.slug}/"
    assert "您对小区环境卫生满意吗" in client.get(url).content.decode()
    r = client.post(
        url,
        {
            f"q{survey.q_env.pk}": "",
            f"q{survey.q_what.pk}": ["停车"],
            f"q{survey.q_text.pk}": "东门路灯坏了",
        },
    )
    body = r.content.decode()
    assert r.status_code == 400 and "请回答" in body
    # What the resident chose and wrote is kept.
    assert (
        'value="停车" checked' in body
        and 'value="垃圾">' in body
        and "东门路灯坏了</textarea>" in body
    )
    r = client.post(
        url,
        {
            f"q{survey.q_env.pk}": "不满意，有问题要反映",
            f"q{survey.q_text.pk}": "垃圾站满了",
            "phone": PHONE,
        },
    )
    assert r.status_code == 302
    done = client.get(r["Location"]).content.decode()
    code = Response.objects.get().appeal.code
    assert code in done
    draft = actions.create_survey(actor=org.c1_handler, title="草稿")
    assert client.get(f"/h5/q/{draft.slug}/").status_code == 404


def test_h5_answers_are_rate_limited(org, survey, client, settings):
    settings.MINHU_H5_LIMITS = {"survey": (2, 600)}
    url = f"/h5/q/{survey.slug}/"
    for _i in range(2):
        assert client.post(url, {f"q{survey.q_env.pk}": "满意"}).status_code == 302
    assert client.post(url, {f"q{survey.q_env.pk}": "满意"}).status_code == 429
    assert Response.objects.count() == 2


def test_questions_are_edited_and_reordered_on_drafts(client, org):
    draft = actions.create_survey(actor=org.c1_handler, title="草稿问卷")
    a = actions.add_question(draft, actor=org.c1_handler, kind="text", text="第一题")
    b = actions.add_question(
        draft, actor=org.c1_handler, kind="single", text="第二题", options="是\n否"
    )
    c = actions.add_question(draft, actor=org.c1_handler, kind="rating", text="第三题")
    order = lambda: list(draft.questions.values_list("text", flat=True))  # noqa: E731
    actions.move_question(c, actor=org.c1_handler, up=True)
    assert order() == ["第一题", "第三题", "第二题"]
    actions.move_question(a, actor=org.c1_handler, up=False)
    assert order() == ["第三题", "第一题", "第二题"]
    with pytest.raises(InvalidInput) as e:
        actions.move_question(c, actor=org.c1_handler, up=True)
    assert e.value.code == "at_edge"
    q = actions.edit_question(
        b,
        actor=org.c1_handler,
        text="第二题（改）",
        required=True,
        options="是\n否\n不清楚",
        problem_options="否",
    )
    q.refresh_from_db()
    assert (q.kind, q.text, q.required, q.options, q.problem_options) == (
        "single",
        "第二题（改）",
        True,
        ["是", "否", "不清楚"],
        ["否"],
    )
    with pytest.raises(InvalidInput) as e:
        actions.edit_question(b, actor=org.c1_handler, text="第二题", options="只有一个")
    assert e.value.code == "too_few_options"
    with pytest.raises(InvalidInput) as e:
        actions.edit_question(c, actor=org.c1_handler, text="第三题", problem_rating_max=9)
    assert e.value.code == "invalid_rule"
    # Another street's staff: not found; a published survey: no more changes.
    with pytest.raises(NotFound):
        actions.move_question(a, actor=org.s2_handler, up=True)
    actions.publish(draft, actor=org.c1_handler)
    with pytest.raises(IllegalTransition):
        actions.edit_question(a, actor=org.c1_handler, text="发布后再改")
    # The page's forms.
    draft2 = actions.create_survey(actor=org.c1_handler, title="草稿二")
    x = actions.add_question(draft2, actor=org.c1_handler, kind="text", text="甲题")
    actions.add_question(draft2, actor=org.c1_handler, kind="text", text="乙题")
    client.force_login(org.c1_handler)
    page = client.get(f"/surveys/{draft2.pk}/").content.decode()
    assert 'data-action="move-down"' in page and f'data-edit="{x.pk}"' in page
    r = client.post(f"/surveys/{draft2.pk}/", {"op": "down", "question": x.pk})
    assert r.status_code == 302
    assert list(draft2.questions.values_list("text", flat=True)) == ["乙题", "甲题"]
    r = client.post(f"/surveys/{draft2.pk}/", {"op": "edit", "question": x.pk, "text": "甲题改"})
    assert r.status_code == 302 and draft2.questions.get(pk=x.pk).text == "甲题改"
