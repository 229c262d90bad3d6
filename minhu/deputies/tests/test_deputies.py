"""Deputies' suggestions: the register, entering one / many / an xlsx (every row or none), the
loop from suggestion to formal answer and the deputy's rating, counts, pages and exports."""

from __future__ import annotations

import io

import pytest
from openpyxl import load_workbook

from minhu.appeals import actions as appeal_actions
from minhu.appeals.models import Appeal, AppealEvent, Satisfaction, Status
from minhu.core.errors import Conflict, DomainError, InvalidInput, PermissionDenied
from minhu.core.models import ConfigChange
from minhu.core.xlsx import Workbook
from minhu.deputies import access, actions
from minhu.deputies.models import KIND, Deputy, DeputyLevel, Suggestion

PHONE = "13812345678"


@pytest.fixture
def deputy(org):
    return actions.create_deputy(
        actor=org.dispatcher,
        name="王建国",
        level=DeputyLevel.DISTRICT,
        constituency="东街道第3选区",
        phone=PHONE,
        workplace="东一社区",
    )


def _suggest(org, deputy, **kw):
    return actions.submit_suggestion(
        actor=org.dispatcher,
        deputy=deputy,
        title=kw.pop("title", "建议增设社区老年食堂"),
        content=kw.pop("content", "东一社区老年人多，午饭难，建议增设老年食堂。"),
        grid=kw.pop("grid", org.grid1),
        **kw,
    )


def _answer(org, s: Suggestion, text="您好，老年食堂已于本月开业，感谢代表建议。") -> Appeal:
    a = s.appeal
    appeal_actions.classify(a, actor=org.dispatcher, category=org.category)
    appeal_actions.dispatch(a, actor=org.dispatcher, lead_unit=org.street1)
    appeal_actions.claim(a, actor=org.s1_handler)
    appeal_actions.resolve(a, actor=org.s1_handler, outcome_kind="on_spot", outcome="食堂已开业")
    appeal_actions.reply(a, actor=org.s1_handler, text=text)
    a.refresh_from_db()
    return a


def test_register_validates_and_audits(org, deputy):
    assert ConfigChange.objects.filter(model="deputies.deputy", object_id=deputy.pk).exists()
    with pytest.raises(InvalidInput) as e:
        actions.create_deputy(
            actor=org.dispatcher, name="李", level="mayor", constituency="x", phone=PHONE
        )
    assert e.value.code == "invalid_choice"
    with pytest.raises(InvalidInput) as e:
        actions.create_deputy(
            actor=org.dispatcher, name="李", level="city", constituency="x", phone="123"
        )
    assert e.value.code == "invalid_phone"
    with pytest.raises(Conflict):
        actions.create_deputy(
            actor=org.dispatcher, name="王建国", level="city", constituency="x", phone=PHONE
        )
    with pytest.raises(PermissionDenied):
        actions.create_deputy(
            actor=org.s1_handler, name="赵", level="city", constituency="x", phone=PHONE
        )
    actions.update_deputy(deputy, actor=org.dispatcher, active=False)
    deputy.refresh_from_db()
    assert not deputy.active
    with pytest.raises(InvalidInput) as e:
        _suggest(org, deputy)
    assert e.value.code == "inactive_deputy"


def test_suggestion_becomes_a_work_item_with_the_deputy_as_appellant(org, deputy):
    s = _suggest(org, deputy)
    a = s.appeal
    assert (a.kind, a.channel, a.appellant_name, a.appellant_phone) == (
        KIND,
        "deputy",
        "王建国",
        PHONE,
    )
    assert (a.source_type, a.source_id) == ("deputies.Suggestion", str(s.pk))
    assert a.status == Status.NEW and a.grid == org.grid1
    assert AppealEvent.objects.filter(appeal=a, kind="register").count() == 1
    assert s.number.endswith("-0001")
    assert _suggest(org, deputy, title="第二条建议").number.endswith("-0002")


def test_answer_and_the_deputys_rating(org, deputy):
    s = _suggest(org, deputy)
    a = _answer(org, s)
    assert a.status == Status.REPLIED
    # The deputy rates through the tracking code with their own phone, like a resident.
    with pytest.raises(DomainError):
        appeal_actions.rate(a.code, phone="13900000000", satisfaction=Satisfaction.SATISFIED)
    appeal_actions.rate(a.code, phone=PHONE, satisfaction=Satisfaction.SATISFIED, comment="好")
    a.refresh_from_db()
    assert a.satisfaction == Satisfaction.SATISFIED
    [row] = access.counts_per_deputy(org.dispatcher)
    assert (row["deputy__name"], row["total"], row["answered"], row["satisfied"]) == (
        "王建国",
        1,
        1,
        1,
    )
    [unit_row] = access.counts_per_unit(org.dispatcher)
    assert (unit_row["appeal__lead_unit__name"], unit_row["total"]) == ("东街道", 1)


def test_pasted_rows_all_or_nothing(org, deputy):
    text = (
        "代表姓名\t代表电话\t标题\t建议内容\t网格编码\n"
        "王建国\t\t修缮健身器材\t小区健身器材老化，建议修缮\ts1c1g1\n"
        "不存在\t\t增设路灯\t东门外路段太暗，建议增设路灯\t\n"
        "王建国\t\t短\t短\tnope\n"
    )
    with pytest.raises(InvalidInput) as e:
        actions.submit_rows(actor=org.dispatcher, rows=actions.parse_pasted(text))
    errors = {(x["row"], x["column"]) for x in e.value.details["errors"]}
    assert errors == {(3, "代表姓名"), (4, "标题"), (4, "建议内容"), (4, "网格编码")}
    assert Suggestion.objects.count() == 0 and Appeal.objects.count() == 0
    ok = "王建国\t\t修缮健身器材\t小区健身器材老化，建议修缮\ts1c1g1\n王建国|13812345678|增设路灯|东门外路段太暗，建议增设路灯"
    created = actions.submit_rows(actor=org.dispatcher, rows=actions.parse_pasted(ok))
    assert [s.appeal.grid_id for s in created] == [org.grid1.pk, None]


def test_same_name_needs_the_phone(org, deputy):
    actions.create_deputy(
        actor=org.dispatcher,
        name="王建国",
        level="city",
        constituency="市代表团",
        phone="13900001111",
    )
    with pytest.raises(InvalidInput) as e:
        actions.submit_rows(
            actor=org.dispatcher, rows=actions.parse_pasted("王建国||增设路灯|东门外太暗，建议增设")
        )
    assert e.value.details["errors"][0]["column"] == "代表电话"
    [s] = actions.submit_rows(
        actor=org.dispatcher,
        rows=actions.parse_pasted("王建国|13900001111|增设路灯|东门外太暗，建议增设"),
    )
    assert s.deputy.level == "city"


def _xlsx(rows, header=actions.COLUMNS) -> io.BytesIO:
    wb = Workbook()
    ws = wb.sheet("s")
    ws.append(header)
    for r in rows:
        ws.append(r)
    buf = io.BytesIO()
    wb.save(buf)
    buf.seek(0)
    buf.size = len(buf.getvalue())
    buf.name = "suggestions.xlsx"
    return buf


def test_xlsx_import(org, deputy):
    bad = _xlsx(
        [
            ["王建国", "", "修缮健身器材", "小区健身器材老化，建议修缮", ""],
            ["王建国", "", "", "", ""],
        ]
    )
    with pytest.raises(InvalidInput) as e:
        actions.import_file(actor=org.dispatcher, upload=bad)
    assert [(x["row"], x["column"]) for x in e.value.details["errors"]] == [
        (3, "标题"),
        (3, "建议内容"),
    ]
    assert Suggestion.objects.count() == 0
    good = _xlsx([["王建国", "", "=HYPERLINK(1)修缮", "小区健身器材老化，建议修缮", ""]])
    [s] = actions.import_file(actor=org.dispatcher, upload=good)
    assert s.title == "=HYPERLINK(1)修缮"
    with pytest.raises(InvalidInput) as e:
        actions.import_file(actor=org.dispatcher, upload=_xlsx([], header=["姓名"]))
    assert e.value.code == "bad_header"
    junk = io.BytesIO(b"not a zip")
    junk.size, junk.name = 9, "junk.xlsx"
    with pytest.raises(InvalidInput) as e:
        actions.import_file(actor=org.dispatcher, upload=junk)
    assert e.value.code == "unreadable_file"
    doc = io.BytesIO(b"x")
    doc.size, doc.name = 1, "a.docx"
    with pytest.raises(InvalidInput) as e:
        actions.import_file(actor=org.dispatcher, upload=doc)
    assert e.value.code == "unsupported_file"
    # A csv (GBK, as Excel saves it in China) reads the same way.
    csv = io.BytesIO(
        "代表姓名,代表电话,标题,建议内容,网格编码\n王建国,,增设路灯,东门外路段太暗，建议增设路灯,\n".encode(
            "gb18030"
        )
    )
    csv.size, csv.name = len(csv.getvalue()), "s.csv"
    [s] = actions.import_file(actor=org.dispatcher, upload=csv)
    assert s.title == "增设路灯"


def test_import_runs_in_the_background_with_progress(
    org, deputy, django_capture_on_commit_callbacks
):
    rows = [[deputy.name, "", f"第{i}条建议标题", "建议内容至少五个字以上", ""] for i in range(5)]
    with django_capture_on_commit_callbacks(execute=True):
        imp = actions.start_import(actor=org.dispatcher, upload=_xlsx(rows))
    imp.refresh_from_db()
    assert (imp.status, imp.total_rows, imp.checked_rows, imp.created_count) == ("done", 5, 5, 5)
    assert Suggestion.objects.count() == 5
    bad = rows + [["不在册", "", "标题标题", "建议内容至少五个字以上", ""]]
    with django_capture_on_commit_callbacks(execute=True):
        imp = actions.start_import(actor=org.dispatcher, upload=_xlsx(bad))
    imp.refresh_from_db()
    assert imp.status == "rejected" and imp.errors == [
        {"row": 7, "column": "代表姓名", "message": "代表名册中没有这位在册代表"}
    ]
    assert Suggestion.objects.count() == 5  # nothing of the rejected file
    with pytest.raises(PermissionDenied):
        actions.start_import(actor=org.s1_handler, upload=_xlsx(rows))


def test_pages_scope_and_masking(org, deputy, client):
    s = _suggest(org, deputy)
    _answer(org, s)
    client.force_login(org.dispatcher)
    r = client.get("/deputies/")
    assert r.status_code == 200 and s.number in r.content.decode()
    r = client.get(f"/deputies/{s.pk}/")
    body = r.content.decode()
    assert "老年食堂已于本月开业" in body and PHONE in body and s.appeal.code in body
    r = client.get("/deputies/register/")
    assert PHONE in r.content.decode()
    # A district leader reads it all, phones masked.
    client.force_login(org.district_leader)
    body = client.get(f"/deputies/{s.pk}/").content.decode()
    assert PHONE not in body and "138****5678" in body
    assert PHONE not in client.get("/deputies/register/").content.decode()
    assert client.get("/deputies/new/").status_code == 404
    # A street handler does not see the channel's pages at all.
    client.force_login(org.s1_handler)
    assert client.get("/deputies/").status_code == 404
    assert client.get(f"/deputies/{s.pk}/").status_code == 404


def test_answers_xlsx_masks_for_leaders(org, deputy, client):
    s = _suggest(org, deputy)
    _answer(org, s)
    client.force_login(org.district_leader)
    r = client.get("/deputies/answers.xlsx")
    ws = load_workbook(io.BytesIO(r.content)).active
    rows = list(ws.iter_rows(values_only=True))
    assert rows[1][0] == s.number and rows[1][4] == "138****5678"
    assert rows[1][10].startswith("您好，老年食堂")


def test_forms_through_the_pages(org, client, django_capture_on_commit_callbacks):
    client.force_login(org.dispatcher)
    r = client.post(
        "/deputies/register/",
        {"name": "李代表", "level": "city", "constituency": "市代表团", "phone": "13700001111"},
    )
    assert r.status_code == 302
    d = Deputy.objects.get(name="李代表")
    r = client.post("/deputies/new/", {"deputy": d.pk, "title": "短", "content": "x"})
    assert r.status_code == 400 and "标题" in r.content.decode()
    r = client.post(
        "/deputies/new/",
        {"deputy": d.pk, "title": "增设路灯", "content": "东门外路段太暗，建议增设路灯"},
    )
    s = Suggestion.objects.get()
    assert r.status_code == 302 and r["Location"] == f"/deputies/{s.pk}/"
    r = client.post("/deputies/bulk/", {"mode": "rows", "rows": "李代表||短|x"})
    assert r.status_code == 400
    assert 'id="row-errors"' in r.content.decode()
    upload = _xlsx([["李代表", "", "修缮健身器材", "小区健身器材老化，建议修缮", ""]])
    upload.name = "s.xlsx"
    with django_capture_on_commit_callbacks(execute=True):
        r = client.post("/deputies/bulk/", {"mode": "xlsx", "file": upload})
    assert r.status_code == 302 and r["Location"].startswith("/deputies/imports/")
    assert Suggestion.objects.count() == 2
    page = client.get(r["Location"]).content.decode()
    assert 'data-status="done"' in page and 'http-equiv="refresh"' not in page
    r = client.get("/deputies/bulk/template.xlsx")
    assert load_workbook(io.BytesIO(r.content)).active["A1"].value == "代表姓名"
    assert client.get("/deputies/stats/").status_code == 200
