"""End-to-end in a real headless Chromium: each role in its own browser context, by clicking.

Saves the screenshots under docs/screenshots/ (dispatch centre, workbench, appeal page,
follow-up queue, leader overview)."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from minhu.appeals import actions
from minhu.appeals.models import Appeal, Channel, Status, SummonsStatus
from minhu.conftest import screenshot
from minhu.orgs.testing import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = "13812345678"


def login(page, username: str) -> None:
    page.goto(page.base + "/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(re.compile(r"^(?!.*/login/).*$"))


def register(org, subject: str, detail: str, grid=None, **kw) -> Appeal:
    return actions.register_appeal(
        actor=None,
        channel=kw.pop("channel", Channel.H5),
        subject=subject,
        detail=detail,
        appellant_name=kw.pop("appellant_name", "王女士"),
        appellant_phone=kw.pop("appellant_phone", PHONE),
        grid=grid or org.grid1,
        address=kw.pop("address", "东一社区3号楼"),
        **kw,
    )


def background(org) -> None:
    """Some other appeals so that lists look like a working day."""
    subjects = [
        ("路灯不亮，夜间出行不安全", "东一社区东门路灯已经坏了两周，老人晚上出门很不方便。"),
        ("楼道堆放杂物", "5号楼楼道堆满纸箱和旧家具，存在消防隐患，请尽快清理。"),
        ("下水道堵塞返味", "小区南侧下水道堵塞，污水外溢，气味很大。"),
        ("广场舞噪音扰民", "每晚八点到十点广场舞音响声音太大，影响休息。"),
        ("共享单车乱停放", "地铁口共享单车堆满人行道，行人无法通行。"),
    ]
    for i, (subject, detail) in enumerate(subjects):
        a = register(org, subject, detail, grid=org.grid1 if i % 2 == 0 else org.grid2)
        if i >= 3:
            actions.classify(a, actor=org.dispatcher, category=org.category, urgency="urgent")
            actions.dispatch(
                a, actor=org.dispatcher, lead_unit=org.street1 if i == 3 else org.street2
            )


def routing_model(org, monkeypatch):
    """Smart routing as at a centre with a trained model (v1, its predictions set here: the
    classifier itself is tested in minhu/routing) and a catalogue rule: street lights go to
    the appeal's street, with the city management bureau assisting. 72 % is below the
    automatic-dispatch threshold, so the appeals wait for the dispatcher with a proposal."""
    from minhu.categories.models import Category
    from minhu.routing import actions as routing_actions
    from minhu.routing import classifier
    from minhu.routing.models import LeadLocal
    from minhu.routing.tests.helpers import FakeClassifier

    Category.objects.create(name="道路破损", code="road", parent=org.top_category)
    env = Category.objects.create(name="环境保护", code="env")
    Category.objects.create(name="噪声扰民", code="noise", parent=env)
    fake = FakeClassifier([("streetlight", 0.72), ("road", 0.17), ("noise", 0.06)])
    classifier.clear_cache()
    monkeypatch.setattr(classifier, "load_blob", lambda blob: fake)
    routing_actions.store_model(
        actor=None,
        blob=b"x",
        labels=fake.labels,
        params={},
        evaluation={},
        trained_on="history",
        n_samples=120,
    )
    routing_actions.save_dispatch_rule(
        actor=org.dispatcher,
        category=org.category,
        lead_local=LeadLocal.STREET,
        assist_units=[org.dept1],
    )


def htmx_idle(page) -> None:
    """Wait until htmx has no request, swap or settle in progress (its triggers are bound after
    the settle)."""
    page.wait_for_function(
        "() => !document.querySelector('.htmx-request, .htmx-swapping, .htmx-settling, .htmx-added')"
    )


def test_full_loop_by_clicking(org_tx, new_desk_page, phone_page, monkeypatch):
    from minhu.routing import classifier
    from minhu.routing.models import DecisionKind, RoutingDecision

    org = org_tx
    routing_model(org, monkeypatch)
    background(org)
    appeal = register(
        org,
        "小区门口路灯坏了一周",
        "东一社区北门的两盏路灯一周前开始不亮，晚上接孩子放学很危险，希望尽快修好。",
    )

    # --- the dispatcher classifies and dispatches ------------------------------------------
    disp = new_desk_page()
    login(disp, "dispatcher")
    expect(disp.locator("h1")).to_contain_text("调度中心")
    disp.locator(f"#row-{appeal.pk}").click()
    panel = disp.locator("#panel")
    expect(panel.locator("h2")).to_have_text(appeal.subject)
    # The machine's proposal: top 3 with bars, place and lead unit, model and confidence ...
    proposal = panel.locator("#proposal")
    expect(proposal.locator(".rt-top li")).to_have_count(3)
    expect(proposal.locator(".rt-top li").first).to_contain_text("城乡建设 / 路灯照明")
    expect(proposal.locator(".rt-top li").first).to_contain_text("72%")
    expect(proposal.locator("[data-proposal-source]")).to_have_text("模型 v1")
    expect(proposal.locator("[data-proposal-lead]")).to_contain_text("东街道")
    expect(proposal.locator("[data-proposal-lead]")).to_contain_text("区城管局")
    # ... and the form already filled in with it.
    expect(panel.locator("select[data-cat-top]")).to_have_value(str(org.top_category.pk))
    expect(panel.locator("select[data-cat-sub]")).to_have_value(str(org.category.pk))
    expect(panel.locator("#id_lead_unit")).to_have_value(str(org.street1.pk))
    expect(panel.locator("[data-schk-count]")).to_have_text("已选 1")
    # The dispatcher checks it (searching still works) and dispatches as proposed.
    panel.locator("#id_lead_unit").locator("xpath=..").locator("input[data-ssel-q]").fill("东街")
    expect(panel.locator("#id_lead_unit")).to_have_value(str(org.street1.pk))
    panel.locator("#id_assist_units input[data-schk-q]").fill("城管")
    expect(
        panel.locator("#id_assist_units label", has_text="区城管局").locator("input")
    ).to_be_checked()
    screenshot(disp, "dispatch-centre")
    panel.locator("button[data-action=dispatch]").click()
    expect(panel).to_contain_text("已派单至东街道")
    expect(disp.locator(f"#row-{appeal.pk}")).to_have_count(0)
    appeal.refresh_from_db()
    assert appeal.status == Status.DISPATCHED and appeal.lead_unit_id == org.street1.pk
    # Dispatched as proposed: routing records the confirmation (its event hook).
    assert RoutingDecision.objects.filter(appeal=appeal, kind=DecisionKind.CONFIRMED).exists()

    # --- another new appeal: accepted with one click ----------------------------------------
    other = register(org, "路灯不亮", "东一社区南门路灯晚上不亮。")
    disp.goto(disp.base + f"/dispatch/?tab=new&id={other.pk}")
    disp.locator("#panel button[data-action=accept-proposal]").click()
    expect(panel).to_contain_text("已派单至东街道")
    other.refresh_from_db()
    assert other.status == Status.DISPATCHED and other.category_id == org.category.pk
    classifier.clear_cache()

    # --- the street claims, asks for an extension -----------------------------------------
    unit = new_desk_page()
    login(unit, "s1h")
    expect(unit.locator("h1")).to_contain_text("单位工作台")
    row = unit.locator(f"#wb-{appeal.pk}")
    expect(row).to_be_visible()
    screenshot(unit, "workbench")
    row.locator("button[data-action=claim]").click()
    expect(unit.locator(f"#wb-{appeal.pk}")).to_contain_text("已签收")
    unit.locator(f"#wb-{appeal.pk} a", has_text="打开办理").click()
    expect(unit.locator(".a-title")).to_contain_text("办理中")
    unit.locator("summary", has_text="申请延期").click()
    unit.fill("input[name=days]", "2")
    unit.locator("form[hx-post$='/act/extension/'] textarea[name=reason]").fill(
        "需要采购新的灯具，供货需要两天。"
    )
    unit.locator("form[hx-post$='/act/extension/'] button[type=submit]").click()
    expect(unit.locator("#appeal-main .flash-success")).to_contain_text("延期申请已提交")

    # --- the centre approves it ------------------------------------------------------------
    disp.goto(disp.base + "/dispatch/?tab=extensions")
    ext_row = disp.locator("#queue tbody tr", has_text=appeal.code)
    ext_row.locator("button[data-action=approve]").click()
    expect(disp.locator("#queue tbody tr", has_text=appeal.code)).to_contain_text("已批准")
    appeal.refresh_from_db()
    assert appeal.extension_days == 2

    # --- the street contacts, resolves and replies -----------------------------------------
    unit.reload()
    unit.locator("form[hx-post$='/act/contact/'] textarea").fill(
        "已电话联系王女士，约定明天上午维修。"
    )
    unit.locator("form[hx-post$='/act/contact/'] button[type=submit]").click()
    expect(unit.locator("#appeal-main .flash-success")).to_contain_text("已记录联系情况")
    unit.locator("summary", has_text=re.compile("^办结")).click()
    resolve = unit.locator("form[hx-post$='/act/resolve/']")
    expect(resolve.locator("textarea[name=roadmap]")).to_be_hidden()
    resolve.locator("label", has_text="协调解决").click()
    resolve.locator("textarea[name=outcome]").fill("已协调路灯所更换两盏路灯灯具。")
    resolve.locator("button[type=submit]").click()
    expect(unit.locator(".a-title")).to_contain_text("已办理待答复")
    # Let htmx finish swapping in the reply form (its triggers are bound after the settle), then
    # type as a person would: the last keystroke fires the input trigger.
    htmx_idle(unit)
    reply_text = unit.locator("form[hx-post$='/act/reply/'] textarea")
    reply_text.fill("王女士您好，北门两盏路灯已更换完毕，感谢您的反映")
    reply_text.press_sequentially("。")
    # The reply check runs while typing: a score and what is missing, sending stays possible.
    check = unit.locator("#rt-reply-check")
    expect(check.locator(".rt-score")).to_be_visible()
    expect(check.locator(".rt-warnings")).to_contain_text("未留联系方式")
    unit.locator("form[hx-post$='/act/reply/'] button[type=submit]").click()
    expect(unit.locator(".a-title")).to_contain_text("已答复待回访")

    # --- the resident rates 不满意 on the H5 tracking page: the appeal reopens ---------------
    phone_page.goto(f"{phone_page.base}/h5/track/")
    phone_page.fill("#id_code", appeal.code)
    phone_page.fill("#id_phone", PHONE)
    phone_page.get_by_role("button", name="查询", exact=True).click()
    phone_page.wait_for_url(re.compile(rf"/h5/track/{appeal.code}/$"))
    phone_page.locator("label.tile-unsatisfied").click()
    phone_page.fill("#id_comment", "只修好了一盏")
    phone_page.get_by_role("button", name="提交评价").click()
    phone_page.get_by_text("已退回承办单位重新办理").wait_for()
    unit.reload()
    expect(unit.locator(".a-title")).to_contain_text("办理中")
    expect(unit.locator(".a-title")).to_contain_text("重办1次")
    expect(unit.locator(".timeline")).to_contain_text("重办")

    # --- resolved again (long-term plan this time), replied ---------------------------------
    unit.locator("summary", has_text=re.compile("^办结")).click()
    resolve = unit.locator("form[hx-post$='/act/resolve/']")
    resolve.locator("label", has_text="长期推进").click()
    expect(resolve.locator("textarea[name=roadmap]")).to_be_visible()
    resolve.locator("textarea[name=outcome]").fill("另一盏路灯线路老化，需整体改造。")
    resolve.locator("button[type=submit]").click()
    # Long-term needs a roadmap: the action's Chinese message appears at the field.
    expect(resolve.locator(".err")).to_contain_text("请填写路线图")
    resolve = unit.locator("form[hx-post$='/act/resolve/']")
    resolve.locator("textarea[name=roadmap]").fill("先临时照明，再改造线路。")
    resolve.locator("textarea[name=timetable]").fill("本周内临时照明，月底前完成线路改造。")
    resolve.locator("textarea[name=explanation]").fill("线路需要停电施工，已与物业沟通。")
    resolve.locator("button[type=submit]").click()
    expect(unit.locator(".a-title")).to_contain_text("已办理待答复")
    unit.locator("form[hx-post$='/act/reply/'] textarea").fill(
        "王女士您好，已安装临时照明，线路改造月底前完成。"
    )
    unit.locator("form[hx-post$='/act/reply/'] button[type=submit]").click()
    expect(unit.locator(".a-title")).to_contain_text("已答复待回访")

    # --- the callback operator follows up ---------------------------------------------------
    cb = new_desk_page()
    login(cb, "callback")
    expect(cb.locator("h1")).to_contain_text("回访销号")
    cb.locator(f"#row-{appeal.pk}").click()
    form = cb.locator("#panel form.fu-form")
    expect(cb.locator("#panel .phone")).to_have_text(PHONE)
    htmx_idle(cb)  # the panel's hx-post is bound once the swap has settled
    form.locator("[id^=id_contacted] label", has_text="是").click()
    form.locator("[id^=id_solved] label", has_text="是").click()
    form.locator("[id^=id_satisfaction] label", has_text="基本满意").click()
    form.locator("textarea[name=comment]").fill("临时照明已经装好了")
    screenshot(cb, "follow-up-queue")
    form.locator("button[data-action=follow-up]").click()
    expect(cb.locator("#panel .flash-success")).to_contain_text("回访已记录")
    expect(cb.locator("#count-close")).to_have_text("1")

    # --- the centre closes it --------------------------------------------------------------
    disp.goto(disp.base + "/follow-up/?tab=close")
    disp.locator(f"#row-{appeal.pk}").click()
    disp.locator("#panel button[data-action=close]").click()
    expect(disp.locator("#panel .flash-success")).to_contain_text("已销号")
    appeal.refresh_from_db()
    assert appeal.status == Status.CLOSED

    disp.goto(disp.base + f"/appeals/{appeal.pk}/")
    expect(disp.locator(".a-title")).to_contain_text("已销号")
    expect(disp.locator(".timeline")).to_contain_text("销号")
    screenshot(disp, "appeal-page")

    # --- the district leader's overview -----------------------------------------------------
    lead = new_desk_page()
    login(lead, "dleader")
    expect(lead.locator("h1")).to_contain_text("运行概览")
    expect(lead.locator(".kpis")).to_contain_text("今日新增")
    screenshot(lead, "leader-overview")


def test_whistle_path(org_tx, new_desk_page):
    org = org_tx
    appeal = register(org, "老旧小区外墙脱落", "东一社区7号楼外墙砖块脱落，砸坏了楼下的车。")
    actions.classify(appeal, actor=org.dispatcher, category=org.category)
    actions.dispatch(appeal, actor=org.dispatcher, lead_unit=org.street1)
    actions.claim(appeal, actor=org.s1_handler)

    street = new_desk_page()
    login(street, "s1l")
    street.goto(street.base + f"/appeals/{appeal.pk}/")
    street.locator("summary", has_text="吹哨").click()
    form = street.locator("form[hx-post$='/act/whistle/']")
    form.locator("label", has_text="区城管局").locator("input").check()
    form.locator("label", has_text="区住建局").locator("input").check()
    form.locator("textarea[name=reason]").fill("外墙维修需要住建局和城管局共同处置。")
    form.locator("button[type=submit]").click()
    expect(street.locator(".a-title")).to_contain_text("吹哨中")

    for username, share in (("d1h", "负责现场安全围挡"), ("d2h", "负责组织外墙维修")):
        dept = new_desk_page()
        login(dept, username)
        dept.goto(dept.base + "/workbench/?tab=summoned")
        dept.locator("tbody tr", has_text=appeal.code).locator("a.mono").click()
        report = dept.locator("form[hx-post$='/act/report/']")
        report.locator("textarea[name=share]").fill(share)
        report.locator("button[type=submit]").click()
        expect(dept.locator("#appeal-main .flash-success")).to_contain_text("已报到")

    street.reload()
    rows = street.locator(".card", has_text="吹哨报到").locator(".summons")
    expect(rows).to_have_count(2)
    expect(rows.nth(0)).to_contain_text("按时")
    expect(rows.nth(1)).to_contain_text("按时")
    assert set(appeal.summonses.values_list("status", flat=True)) == {SummonsStatus.REPORTED}


def test_hotline_intake_and_keyboard(org_tx, new_desk_page):
    org = org_tx
    first = register(org, "井盖丢失", "东一社区南门井盖丢失，夜里很危险。")
    page = new_desk_page()
    login(page, "dispatcher")
    page.goto(page.base + "/appeals/new/")
    # Enterprise name only for enterprises; name and phone not for anonymous callers.
    expect(page.locator("input[name=enterprise_name]")).to_be_hidden()
    page.locator("label", has_text="企业").first.click()
    expect(page.locator("input[name=enterprise_name]")).to_be_visible()
    page.locator("label", has_text="匿名").click()
    expect(page.locator("input[name=appellant_phone]")).to_be_hidden()
    page.locator("label", has_text="个人").click()
    page.fill("input[name=appellant_name]", "赵先生")
    page.fill("input[name=appellant_phone]", "1390000")  # too short: the action says so
    page.fill("input[name=subject]", "楼下烧烤油烟扰民")
    page.fill("textarea[name=detail]", "每天晚上楼下烧烤摊油烟很大，窗户都不能开。")
    page.locator("button[data-action=register]").click()
    expect(page.locator(".err")).to_contain_text("联系电话格式不正确")
    expect(page.locator("input[name=subject]")).to_have_value("楼下烧烤油烟扰民")
    page.fill("input[name=appellant_phone]", "13900001111")
    page.locator("[data-ssel] input[data-ssel-q]").fill("东一")
    page.locator("textarea[name=detail]").press("Control+Enter")
    expect(page.locator(".flash-success")).to_contain_text("已登记诉求")
    created = Appeal.objects.get(subject="楼下烧烤油烟扰民")
    assert created.channel == Channel.HOTLINE and created.grid_id == org.grid1.pk
    # Its panel is open in the dispatch centre; j / k move between the queue's rows.
    expect(page.locator("#panel h2")).to_have_text("楼下烧烤油烟扰民")
    page.locator("body").click(position={"x": 5, "y": 600})  # below the side navigation
    page.keyboard.press("k")
    expect(page.locator("#queue tr.sel")).to_have_id(f"row-{first.pk}")
    expect(page.locator("#panel h2")).to_have_text("井盖丢失")
    page.keyboard.press("j")
    expect(page.locator("#panel h2")).to_have_text("楼下烧烤油烟扰民")
    page.keyboard.press("/")
    expect(page.locator("[data-global-search]")).to_be_focused()
