"""A merged duplicate's appellant gets an answer addressed to them, their own follow-up call
(in the follow-up queue) and their own rating; the parent closes once every appellant was
followed up."""

from __future__ import annotations

import pytest
from django.test import Client

from minhu.appeals import actions
from minhu.appeals.models import AppealEvent, EventKind, FollowUp, Satisfaction, Status
from minhu.core.errors import IllegalTransition
from minhu.notifications.models import Notification, NotificationKind

from .factories import PHONE, in_progress, register

pytestmark = pytest.mark.django_db
CHILD_PHONE, OTHER_PHONE = "13900000000", "13900000001"


def _replied_with_children(org):
    parent = in_progress(org, appellant_name="王女士")
    li = register(org, phone=CHILD_PHONE, appellant_name="李先生", subject="东门路灯坏了")
    zhao = register(org, phone=OTHER_PHONE, appellant_name="赵女士", subject="路灯一直不亮")
    for child in (li, zhao):
        actions.merge(child, actor=org.dispatcher, parent=parent)
    actions.resolve(parent, actor=org.s1_handler, outcome_kind="on_spot", outcome="已更换灯泡")
    actions.reply(parent, actor=org.s1_handler, text="王女士您好，路灯已修好，感谢您的反映。")
    for a in (parent, li, zhao):
        a.refresh_from_db()
    return parent, li, zhao


def test_each_merged_appellant_gets_a_reply_addressed_to_them(org):
    parent, li, zhao = _replied_with_children(org)
    assert parent.reply.startswith("王女士您好")
    assert li.reply.startswith("李先生，您好") and "王女士" not in li.reply
    assert "东门路灯坏了" in li.reply and "已更换灯泡" in li.reply and li.code in li.reply
    assert zhao.reply.startswith("赵女士，您好") and "王女士" not in zhao.reply
    sms = {
        n.phone: n.body
        for n in Notification.objects.filter(kind=NotificationKind.REPLIED, channel="sms")
    }
    assert "王女士" in sms[PHONE]
    assert "李先生" in sms[CHILD_PHONE] and "王女士" not in sms[CHILD_PHONE]
    assert "赵女士" in sms[OTHER_PHONE] and "王女士" not in sms[OTHER_PHONE]
    event = AppealEvent.objects.filter(appeal=li, kind=EventKind.REPLY).get()
    assert event.note == li.reply and event.data["via_parent"] == parent.code


def test_merged_appellants_are_called_rate_and_gate_the_closing(org):
    parent, li, zhao = _replied_with_children(org)
    web = Client()
    web.force_login(org.callback)
    queue = web.get("/follow-up/").content.decode()
    assert parent.code in queue and li.code in queue and zhao.code in queue

    actions.record_follow_up(
        parent, actor=org.callback, contacted=True, solved=True, satisfaction=Satisfaction.SATISFIED
    )
    with pytest.raises(IllegalTransition) as exc:
        actions.close(parent, actor=org.dispatcher)
    assert exc.value.code == "merged_follow_up_required" and li.code in exc.value.message

    # 李先生 is called about his own appeal; the answer judges the parent's lead unit.
    fu = actions.record_follow_up(
        li, actor=org.callback, contacted=True, solved=True, satisfaction=Satisfaction.BASIC
    )
    assert (fu.appeal_id, fu.rated_appeal_id, fu.unit_id) == (parent.pk, li.pk, org.street1.pk)
    li.refresh_from_db()
    assert li.satisfaction == Satisfaction.BASIC and li.status == Status.MERGED
    assert AppealEvent.objects.filter(appeal=li, kind=EventKind.FOLLOW_UP).count() == 1
    assert (
        AppealEvent.objects.get(
            appeal=parent, kind=EventKind.FOLLOW_UP, data__via_child=li.code
        ).data["follow_up"]
        == fu.pk
    )
    # 赵女士 rates herself with her own code and phone.
    rating = actions.rate(zhao.code, phone=OTHER_PHONE, satisfaction=Satisfaction.SATISFIED)
    assert rating.rated_appeal_id == zhao.pk

    queue = web.get("/follow-up/").content.decode()
    assert li.code not in queue and zhao.code not in queue
    actions.close(parent, actor=org.dispatcher)
    assert FollowUp.objects.filter(appeal=parent).count() == 3
    with pytest.raises(IllegalTransition):  # closed: no more calls
        actions.record_follow_up(
            li, actor=org.callback, contacted=True, solved=True, satisfaction="satisfied"
        )


def test_three_unreached_calls_to_a_merged_appellant_also_let_it_close(org):
    parent, li, zhao = _replied_with_children(org)
    actions.record_follow_up(
        parent, actor=org.callback, contacted=True, solved=True, satisfaction="satisfied"
    )
    actions.rate(zhao.code, phone=OTHER_PHONE, satisfaction="satisfied")
    for _ in range(3):
        actions.record_follow_up(li, actor=org.callback, reached=False)
    actions.close(parent, actor=org.dispatcher)


def test_an_appeal_merged_after_the_parent_was_answered_gets_its_own_reply(org):
    parent, li, zhao = _replied_with_children(org)
    late = register(org, phone="13900000002", appellant_name="孙先生", subject="西门路灯也坏了")
    actions.merge(late, actor=org.dispatcher, parent=parent)
    late.refresh_from_db()
    assert late.status == Status.MERGED and late.replied_at is not None
    assert late.reply.startswith("孙先生，您好") and "王女士" not in late.reply
    assert "西门路灯也坏了" in late.reply and "已更换灯泡" in late.reply
    event = AppealEvent.objects.filter(appeal=late, kind=EventKind.REPLY).get()
    assert event.note == late.reply and event.data["via_parent"] == parent.code
    sms = Notification.objects.filter(
        kind=NotificationKind.REPLIED, channel="sms", phone="13900000002"
    ).get()
    assert "孙先生" in sms.body and "王女士" not in sms.body

    # 孙先生 is now in the follow-up round: the parent may not close before he is reached.
    for child in (None, li, zhao):
        actions.record_follow_up(
            child or parent,
            actor=org.callback,
            contacted=True,
            solved=True,
            satisfaction=Satisfaction.SATISFIED,
        )
    with pytest.raises(IllegalTransition) as exc:
        actions.close(parent, actor=org.dispatcher)
    assert exc.value.code == "merged_follow_up_required" and late.code in exc.value.message
    actions.record_follow_up(
        late, actor=org.callback, contacted=True, solved=True, satisfaction=Satisfaction.SATISFIED
    )
    actions.close(parent, actor=org.dispatcher)


def test_an_appeal_merged_before_the_reply_gets_no_early_answer(org):
    parent = in_progress(org, appellant_name="王女士")
    li = register(org, phone=CHILD_PHONE, appellant_name="李先生")
    actions.merge(li, actor=org.dispatcher, parent=parent)
    li.refresh_from_db()
    assert li.replied_at is None and li.reply == ""
    assert not AppealEvent.objects.filter(appeal=li, kind=EventKind.REPLY).exists()
