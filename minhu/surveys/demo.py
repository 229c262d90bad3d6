"""The questionnaires' share of the demo district (minhu.demo.parts): one published survey of
湖滨社区 with answers, two of which report problems and became work items, and a draft."""

from __future__ import annotations

import random

from minhu.orgs.models import Unit, User

from . import actions
from .models import Identity, Survey

COMMENTS = ("", "", "", "楼道灯晚上不亮", "希望多建几个充电桩", "", "垃圾分类做得不错", "")


def built() -> bool:
    return Survey.objects.exists()


def build(*, seed: int, now, out) -> str:
    rng = random.Random(seed + 41)
    handler = User.objects.get(username="hubin-handler")
    grid = Unit.objects.filter(code="hubin-g1").first()
    s = actions.create_survey(
        actor=handler,
        title="湖滨社区人居环境满意度调查",
        intro="请花一分钟告诉我们您对小区环境的看法，反映的问题将由专人办理。",
        identity=Identity.OPTIONAL,
        grid=grid,
    )
    env = actions.add_question(
        s,
        actor=handler,
        kind="single",
        text="您对小区环境卫生满意吗",
        required=True,
        options=["满意", "基本满意", "不满意，有问题要反映"],
        problem_options=["不满意，有问题要反映"],
    )
    care = actions.add_question(
        s,
        actor=handler,
        kind="multiple",
        text="您最关心哪些方面",
        options=["垃圾清运", "停车", "绿化", "照明"],
    )
    rate = actions.add_question(
        s, actor=handler, kind="rating", text="给物业服务打分", required=True, problem_rating_max=1
    )
    text = actions.add_question(s, actor=handler, kind="text", text="具体问题和地点")
    actions.publish(s, actor=handler)
    problems = 0
    for i in range(14):
        bad = i in (3, 9)
        answers = {
            str(env.pk): "不满意，有问题要反映"
            if bad
            else rng.choice(["满意", "满意", "基本满意"]),
            str(care.pk): rng.sample(["垃圾清运", "停车", "绿化", "照明"], rng.randint(1, 2)),
            str(rate.pk): str(rng.choice([3, 4, 4, 5, 5])),
            str(text.pk): "3号楼垃圾站满了三天没人清运"
            if i == 3
            else ("湖滨花园东门路灯坏了" if i == 9 else rng.choice(COMMENTS)),
        }
        phone = f"1390517{1000 + i:04d}" if i % 2 == 0 else ""
        r = actions.submit_response(s.slug, answers=answers, phone=phone)
        problems += r.appeal_id is not None
    draft = actions.create_survey(actor=handler, title="社区老年食堂需求调查（草稿）")
    actions.add_question(
        draft, actor=handler, kind="single", text="您是否需要老年食堂", options=["需要", "不需要"]
    )
    return f"问卷 2 份（1 份收集中），答卷 14 份，其中 {problems} 份反映问题已转为诉求"


def logins() -> list[tuple[str, str, str, str]]:
    return [("hubin-handler", "minhu2026", "社区书记（问卷调查）", "湖滨社区")]
