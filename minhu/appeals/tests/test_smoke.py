from minhu.appeals import actions
from minhu.appeals.models import Channel, Satisfaction, Status


def test_full_loop(org):
    a = actions.register_appeal(
        actor=None,
        channel=Channel.H5,
        subject="路灯不亮",
        detail="小区门口路灯坏了一周",
        appellant_name="张三",
        appellant_phone="13812345678",
        grid=org.grid1,
    )
    assert a.status == Status.NEW and a.street == org.street1
    actions.classify(a, actor=org.dispatcher, category=org.category)
    actions.dispatch(a, actor=org.dispatcher, lead_unit=org.street1, assist_units=[org.dept1])
    actions.claim(a, actor=org.s1_handler)
    actions.claim(a, actor=org.d1_handler)
    ext = actions.request_extension(a, actor=org.s1_handler, days=2, reason="需要采购灯具")
    actions.decide_extension(ext, actor=org.dispatcher, approve=True)
    actions.blow_whistle(
        a, actor=org.s1_leader, departments=[org.dept1, org.dept2], reason="需要城管和住建协同"
    )
    actions.report_summons(a, actor=org.d1_handler, share="负责更换灯具")
    actions.report_summons(a, actor=org.d2_handler, share="负责线路改造")
    actions.resolve(a, actor=org.s1_handler, outcome_kind="coordinated", outcome="已更换灯具")
    actions.reply(a, actor=org.s1_handler, text="您好，路灯已修好，感谢您的反映。")
    actions.rate(
        a.code, phone="13812345678", satisfaction=Satisfaction.UNSATISFIED, comment="还是暗"
    )
    a.refresh_from_db()
    assert a.status == Status.IN_PROGRESS and a.reopen_count == 1
    actions.resolve(a, actor=org.s1_handler, outcome_kind="on_spot", outcome="加装一盏路灯")
    actions.reply(a, actor=org.s1_handler, text="您好，已加装路灯，请您查看效果。")
    actions.record_follow_up(
        a, actor=org.callback, contacted=True, solved=True, satisfaction=Satisfaction.SATISFIED
    )
    actions.close(a, actor=org.dispatcher)
    a.refresh_from_db()
    assert a.status == Status.CLOSED
    kinds = list(a.events.values_list("kind", flat=True))
    assert kinds[0] == "register" and kinds[-1] == "close"
