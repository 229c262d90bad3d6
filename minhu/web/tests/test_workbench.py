"""Unit workbench: tabs per unit, claiming from the list, summoned departments."""

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from minhu.appeals import actions
from minhu.appeals.models import Appeal, Status

from .conftest import HX

pytestmark = pytest.mark.django_db


def wb(client, query=""):
    return client.get(reverse("web:workbench") + query)


def counts(html: str) -> dict:
    import re

    return {
        m.group(1): int(m.group(2))
        for m in re.finditer(r'data-tab="(\w+)">[^<]*<span class="count">(\d+)</span>', html)
    }


def test_only_unit_staff(login, org):
    for user in (org.dispatcher, org.callback, org.district_leader, org.grid1_worker):
        assert wb(login(user)).status_code == 403
    for user in (org.s1_handler, org.s1_leader, org.d1_handler):
        assert wb(login(user)).status_code == 200


def test_tabs_and_counts(login, org, loop, make_appeal):
    to_claim = loop.dispatched(make_appeal("待签收的"))
    working = loop.in_progress(make_appeal("办理中的"))
    resolved = loop.resolved(make_appeal("待答复的"))
    returned = loop.dispatched(make_appeal("退回的"))
    actions.return_appeal(returned, actor=org.s1_handler, reason="不属于本街道职责")
    late = loop.in_progress(make_appeal("超时的"))
    Appeal.objects.filter(pk=late.pk).update(current_due_at=timezone.now() - dt.timedelta(hours=2))
    other = loop.dispatched(make_appeal("西街道的", grid=org.grid2), lead=org.street2)
    client = login(org.s1_handler)
    html = wb(client).content.decode()
    c = counts(html)
    assert c["claim"] == 1 and c["progress"] == 2 and c["reply"] == 1
    assert c["overdue"] == 1 and c["returned"] == 1 and c["summoned"] == 0
    assert to_claim.code in html and other.code not in html and working.code not in html
    html = wb(client, "?tab=progress").content.decode()
    assert working.code in html and late.code in html and to_claim.code not in html
    html = wb(client, "?tab=reply").content.decode()
    assert resolved.code in html
    html = wb(client, "?tab=overdue").content.decode()
    assert late.code in html and working.code not in html and "已超时" in html
    html = wb(client, "?tab=returned").content.decode()
    assert returned.code in html and "不属于本街道职责" in html
    # Another street sees its own only.
    html = wb(login(org.s2_handler)).content.decode()
    assert other.code in html and to_claim.code not in html


def test_claim_from_row(login, org, loop, make_appeal):
    a = loop.dispatched(make_appeal(), assist=[org.dept1])
    client = login(org.d1_handler)
    html = wb(client).content.decode()
    assert a.code in html and "协办" in html
    r = client.post(
        reverse("web:appeal_action", args=[a.pk, "claim"]),
        {"_from": "wb", "unit_id": org.dept1.pk},
        **HX,
    )
    html = r.content.decode()
    assert f'id="wb-{a.pk}"' in html and "已签收（协办）" in html
    assert a.assignments.get(unit=org.dept1).status == "claimed"
    # Claiming twice: the action's message in the row.
    r = client.post(
        reverse("web:appeal_action", args=[a.pk, "claim"]),
        {"_from": "wb", "unit_id": org.dept1.pk},
        **HX,
    )
    assert "该工单已被签收" in r.content.decode()


def test_claim_without_htmx_redirects_back(login, org, loop, make_appeal):
    a = loop.dispatched(make_appeal())
    client = login(org.s1_handler)
    r = client.post(
        reverse("web:appeal_action", args=[a.pk, "claim"]),
        {"_from": "wb", "unit_id": org.street1.pk, "next": "/workbench/?tab=claim"},
    )
    assert r.status_code == 302 and r.url == "/workbench/?tab=claim"
    assert Appeal.objects.get(pk=a.pk).status == Status.IN_PROGRESS


def test_others_cannot_claim(login, org, loop, make_appeal):
    a = loop.dispatched(make_appeal())
    url = reverse("web:appeal_action", args=[a.pk, "claim"])
    # Outside the scope: not found.
    assert login(org.d3_handler).post(url, {"_from": "wb"}, **HX).status_code == 404
    # The community's handler sees its grids' appeals, but seeing is not acting.
    r = login(org.c1_handler).post(url, {"_from": "wb"}, **HX)
    assert r.status_code == 200 and Appeal.objects.get(pk=a.pk).status == Status.DISPATCHED
    # Sees it (its grid) but is not the unit's staff: the action's message.
    r = login(org.grid1_worker).post(
        reverse("web:appeal_action", args=[a.pk, "claim"]),
        {"_from": "wb", "unit_id": org.street1.pk},
        **HX,
    )
    assert "您不是该单位的承办人员" in r.content.decode()
    assert Appeal.objects.get(pk=a.pk).status == Status.DISPATCHED


def test_summoned_tab(login, org, loop, make_appeal):
    a = loop.in_progress(make_appeal("外墙脱落"))
    actions.blow_whistle(
        a, actor=org.s1_handler, departments=[org.dept1], reason="需要城管协助处置"
    )
    client = login(org.d1_handler)
    html = wb(client).content.decode()
    assert counts(html)["summoned"] == 1
    html = wb(client, "?tab=summoned").content.decode()
    assert a.code in html and "待报到" in html and "需要城管协助处置" in html
    actions.report_summons(a, actor=org.d1_handler, share="负责拆除")
    actions.answer_summons(a, actor=org.d1_handler, answer="已拆除完毕")
    html = wb(client, "?tab=summoned").content.decode()
    assert a.code not in html.split("<tbody>", 1)[1]
    html = wb(client, "?tab=summoned&show=all").content.decode()
    assert a.code in html


def test_unit_switch_for_users_in_two_units(login, org, loop, make_appeal):
    from minhu.orgs.models import Membership, Role

    Membership.objects.create(user=org.s1_handler, unit=org.dept2, role=Role.HANDLER)
    a = loop.dispatched(make_appeal(), lead=org.dept2)
    client = login(org.s1_handler)
    html = wb(client).content.decode()
    assert 'name="unit"' in html and "区住建局" in html and "东街道" in html
    html = wb(client, f"?unit={org.dept2.pk}&tab=claim").content.decode()
    assert a.code in html
    html = wb(client, f"?unit={org.street1.pk}&tab=claim").content.decode()
    assert a.code not in html
    # A unit the user does not belong to falls back to one of theirs.
    html = wb(client, f"?unit={org.street2.pk}&tab=claim").content.decode()
    assert f'<option value="{org.street2.pk}" selected>' not in html


def test_search_within_tab(login, org, loop, make_appeal):
    a = loop.dispatched(make_appeal("路灯不亮"))
    b = loop.dispatched(make_appeal("井盖丢失"))
    html = wb(login(org.s1_handler), "?tab=claim&q=井盖").content.decode()
    assert b.code in html and a.code not in html


def test_deactivated_membership_closes_the_workbench(login, org):
    from minhu.orgs.models import Membership

    Membership.objects.filter(user=org.s2_handler).update(active=False)
    assert wb(login(org.s2_handler)).status_code == 403
