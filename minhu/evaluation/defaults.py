"""Default lists an administrator can edit: the 17 kinds of conduct that harm the business
environment (the seeds name the number, not the items), the negative-list indicators streets and
towns use to rate departments, and starter red/black-list rules."""

HARMFUL_CONDUCT = [
    ("illegal-enforcement", "违规执法（乱检查、乱罚款、乱收费）"),
    ("bribery", "吃拿卡要、索取好处"),
    ("shirking", "推诿扯皮、敷衍塞责"),
    ("delay", "办事拖延、超时办结"),
    ("policy-not-implemented", "惠企政策落实不到位"),
    ("extra-thresholds", "违规设置审批门槛或前置条件"),
    ("broken-promises", "政府承诺不兑现、新官不理旧账"),
    ("arrears", "拖欠企业账款"),
    ("interference", "违规插手干预企业经营"),
    ("secret-leak", "泄露企业商业秘密"),
    ("no-response", "对企业诉求不回应、不答复"),
    ("bad-attitude", "门难进、脸难看、事难办"),
    ("illegal-fees", "违规收费或转嫁费用"),
    ("selective-enforcement", "选择性执法、重复检查"),
    ("designated-agency", "违规指定中介服务"),
    ("local-protection", "地方保护、妨碍公平竞争"),
    ("data-barriers", "数据壁垒、要求企业重复提交材料"),
]
NEGATIVE_INDICATORS = [
    ("shirking", "推诿扯皮"),
    ("no-report", "吹哨不报到或报到超时"),
    ("late-answer", "反馈答复不及时"),
    ("overload", "向基层层层加码、转嫁任务"),
    ("formalism", "文山会海、重复填表报数"),
    ("poor-coordination", "协同配合不力"),
    ("bad-attitude", "服务态度差"),
    ("unclear-policy", "政策解释不清、指导不到位"),
]


def seed_default_lists(HarmfulConduct, NegativeIndicator, RedBlackRule) -> None:  # noqa: N803
    """Creates whatever of the default lists is missing. Takes the model classes so that the data
    migration can pass its historical models and the code its real ones."""
    for i, (code, name) in enumerate(HARMFUL_CONDUCT, start=1):
        HarmfulConduct.objects.get_or_create(code=code, defaults={"name": name, "sort": i})
    for i, (code, name) in enumerate(NEGATIVE_INDICATORS, start=1):
        NegativeIndicator.objects.get_or_create(code=code, defaults={"name": name, "sort": i})
    delay = HarmfulConduct.objects.get(code="delay")
    shirking = HarmfulConduct.objects.get(code="shirking")
    if not RedBlackRule.objects.exists():
        RedBlackRule.objects.create(
            name="综合排名第一", list_kind="red", rule_type="rank_top", threshold=1
        )
        RedBlackRule.objects.create(
            name="综合排名末位",
            list_kind="black",
            rule_type="rank_bottom",
            threshold=1,
            conduct=delay,
        )
        RedBlackRule.objects.create(
            name="超时件数过多",
            list_kind="black",
            rule_type="overdue_at_least",
            threshold=10,
            conduct=delay,
        )
        RedBlackRule.objects.create(
            name="负面清单问题较多",
            list_kind="black",
            rule_type="negative_at_least",
            threshold=3,
            conduct=shirking,
        )


def ensure_default_lists() -> None:
    """The default lists, for a database emptied after migrating (flush, transactional tests)."""
    from .models import HarmfulConduct, NegativeIndicator, RedBlackRule

    seed_default_lists(HarmfulConduct, NegativeIndicator, RedBlackRule)
