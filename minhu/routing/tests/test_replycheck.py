import datetime as dt

import pytest
from django.utils import timezone

from minhu.routing.replycheck import check_reply, score_reply, timeliness_of

from .helpers import register

SUBJECT = "阳光小区路灯不亮"
DETAIL = "阳光小区3栋门口的路灯坏了一个多星期，晚上一片漆黑，老人出行很不安全，希望尽快修复。"
GOOD = (
    "您好！您反映的阳光小区3栋门口路灯不亮的问题已收悉。经现场核实，该路灯因线路老化短路损坏。"
    "我街道已安排维修人员于6月3日更换线路和灯具，目前路灯已恢复正常照明。"
    "如还有问题，请联系东街道城管科，电话0512-66881234。感谢您的监督。"
)


def test_good_reply_scores_high_without_warnings():
    r = score_reply(SUBJECT, DETAIL, GOOD, working_days=2)
    assert r["level"] == "good" and r["score"] >= 0.7
    assert r["parts"] == {"greeting": True, "action": True, "result": True, "contact": True}
    assert r["completeness"] == 1.0 and r["timeliness"] == 1.0
    assert r["relevance"] >= 0.5
    assert r["warnings"] == []


@pytest.mark.parametrize("reply", ["已收悉", "网友：您好！留言已收悉", "您好，已转相关部门处理。"])
def test_few_character_replies_score_low(reply):
    r = score_reply(SUBJECT, DETAIL, reply, working_days=1)
    assert r["score"] < 0.3 and r["level"] == "weak"
    assert "答复过于简短，请说明调查核实情况和办理结果" in r["warnings"]


def test_off_topic_reply_is_flagged_for_relevance():
    off = (
        "您好！关于您反映的学校招生问题，经核实，今年招生工作按照教育局统一部署进行，"
        "划片范围已在官网公布，已安排专人解答。如有疑问请拨打咨询电话0512-66880000。"
    )
    r = score_reply(SUBJECT, DETAIL, off, working_days=2)
    good = score_reply(SUBJECT, DETAIL, GOOD, working_days=2)
    assert r["relevance"] < 0.35 < good["relevance"]
    assert any("关联度低" in w for w in r["warnings"])


def test_missing_parts_are_warned_in_chinese():
    r = score_reply(
        SUBJECT,
        DETAIL,
        "阳光小区3栋门口的路灯问题，我们会尽快研究路灯的维修方案和时间。",
        working_days=1,
    )
    assert not r["parts"]["greeting"] and not r["parts"]["contact"]
    assert "缺少称呼或问候语（如“您好”）" in r["warnings"]
    assert "未留联系方式（如联系电话）" in r["warnings"]


def test_timeliness_in_working_days():
    assert timeliness_of(0) == timeliness_of(3) == 1.0
    assert timeliness_of(7) == 0.75
    assert timeliness_of(40) == 0.1
    late = score_reply(SUBJECT, DETAIL, GOOD, working_days=12)
    assert late["timeliness"] == 0.4 and "已用12个工作日，答复不够及时" in late["warnings"]
    assert late["score"] < score_reply(SUBJECT, DETAIL, GOOD, working_days=2)["score"]


def test_check_reply_counts_working_days_since_intake(org):
    # Registered Friday 2024-05-31 10:00; checked Tuesday 2024-06-04 10:00: Mon 3, Tue 4 = 2
    # working days (the weekend does not count; the receipt day does not count).
    tz = timezone.get_current_timezone()
    received = dt.datetime(2024, 5, 31, 10, 0, tzinfo=tz)
    a = register(org, SUBJECT, DETAIL, grid=org.grid1, created_at=received)
    r = check_reply(a, GOOD, now=dt.datetime(2024, 6, 4, 10, 0, tzinfo=tz))
    assert r["working_days"] == 2 and r["timeliness"] == 1.0
    # Across the Dragon Boat holiday (2024-06-10 is a public holiday).
    r = check_reply(a, GOOD, now=dt.datetime(2024, 6, 11, 10, 0, tzinfo=tz))
    assert r["working_days"] == 6
