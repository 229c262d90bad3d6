"""The fictional demo district 云湖区: its organisation, accounts, taxonomy, time limits and
collection points, as plain data. `builder.py` turns this into rows."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal

from minhu.deadlines.models import Measure, Step
from minhu.orgs.models import Role, UnitKind

PASSWORD = "minhu2026"

DISTRICT = ("云湖区", "yunhu")
CENTRE = ("区12345调度中心", "centre")
# Rough centre of the (fictional) map, used for grid coordinates.
BASE_LAT, BASE_LNG = Decimal("34.2650"), Decimal("108.9420")


@dataclass(frozen=True)
class CommunityDef:
    name: str  # 湖滨社区 / 青龙村
    code: str  # unique pinyin slug, also the username prefix of its staff
    compounds: tuple[str, ...]  # residential compounds or village groups (addresses)


@dataclass(frozen=True)
class StreetDef:
    name: str
    code: str
    kind: str
    roads: tuple[str, ...]
    communities: tuple[CommunityDef, ...]
    # Offset of the street's centre from the district centre (degrees).
    offset: tuple[float, float] = (0.0, 0.0)


def _c(name: str, code: str, *compounds: str) -> CommunityDef:
    return CommunityDef(name, code, compounds)


STREETS: tuple[StreetDef, ...] = (
    StreetDef(
        "东湖街道",
        "donghu",
        UnitKind.STREET,
        ("湖滨路", "东湖大道", "柳岸街", "望湖路", "荷塘巷"),
        (
            _c("湖滨社区", "hubin", "湖滨花园", "碧水苑", "湖畔人家"),
            _c("柳岸社区", "liuan", "柳岸新村", "金柳小区", "柳岸华庭"),
            _c("望湖社区", "wanghu", "望湖苑", "湖光小区", "云湖一号"),
            _c("东兴社区", "dongxing", "东兴家园", "兴隆小区", "东兴商住楼"),
            _c("荷塘社区", "hetang", "荷塘月色小区", "莲香苑", "荷风雅居"),
        ),
        (0.018, 0.022),
    ),
    StreetDef(
        "西城街道",
        "xicheng",
        UnitKind.STREET,
        ("西关正街", "古楼路", "文庙巷", "玉泉路", "桂香街"),
        (
            _c("古楼社区", "gulou", "古楼小区", "钟鼓楼家属院", "老纺织厂宿舍"),
            _c("文庙社区", "wenmiao", "文庙新苑", "书院里", "学府小区"),
            _c("西关社区", "xiguan", "西关新村", "西关一号院", "物资局家属院"),
            _c("玉泉社区", "yuquan", "玉泉山庄", "泉水湾", "玉泉花园"),
            _c("桂香社区", "guixiang", "桂香园", "丹桂苑", "香樟小区"),
        ),
        (0.012, -0.024),
    ),
    StreetDef(
        "南关街道",
        "nanguan",
        UnitKind.STREET,
        ("南关大街", "长乐路", "永宁街", "朱雀大道", "安仁路"),
        (
            _c("南苑社区", "nanyuan", "南苑小区", "南苑新居", "阳光里"),
            _c("长乐社区", "changle", "长乐坊", "长乐花园", "康乐小区"),
            _c("永宁社区", "yongning", "永宁家园", "宁馨苑", "电建家属院"),
            _c("朱雀社区", "zhuque", "朱雀华府", "雀园", "朱雀公寓"),
            _c("安仁社区", "anren", "安仁坊", "仁和小区", "安居苑"),
        ),
        (-0.020, 0.004),
    ),
    StreetDef(
        "北苑街道",
        "beiyuan",
        UnitKind.STREET,
        ("北辰路", "星河大道", "锦华路", "翠屏街", "龙湾路"),
        (
            _c("北辰社区", "beichen", "北辰星城", "北辰佳苑", "辰光小区"),
            _c("星河社区", "xinghe", "星河湾", "银河小区", "星光公寓"),
            _c("锦华社区", "jinhua", "锦华苑", "锦绣家园", "华庭小区"),
            _c("翠屏社区", "cuiping", "翠屏山庄", "翠微苑", "屏山小区"),
            _c("龙湾社区", "longwan", "龙湾半岛", "龙湾新城", "水岸名都"),
        ),
        (0.036, -0.002),
    ),
    StreetDef(
        "青龙镇",
        "qinglong",
        UnitKind.TOWN,
        ("青龙大道", "镇政府街", "108国道", "龙泉路", "村村通公路"),
        (
            _c("青龙村", "qinglongcun", "一组", "二组", "三组", "村委会"),
            _c("杏花村", "xinghuacun", "一组", "二组", "杏花小学"),
            _c("石桥村", "shiqiao", "东组", "西组", "石桥头"),
            _c("柳树湾村", "liushuwan", "上湾组", "下湾组", "村卫生室"),
            _c("马家庄村", "majiazhuang", "马家组", "新庄组", "村广场"),
        ),
        (-0.045, -0.040),
    ),
    StreetDef(
        "白鹭镇",
        "bailu",
        UnitKind.TOWN,
        ("白鹭大道", "滨河路", "桃园路", "镇东街", "县道X203"),
        (
            _c("白鹭村", "bailucun", "一组", "二组", "白鹭湿地旁"),
            _c("上河村", "shanghe", "河东组", "河西组", "上河渡口"),
            _c("下河村", "xiahe", "一组", "三组", "下河桥"),
            _c("桃园村", "taoyuan", "桃园一组", "桃园二组", "采摘园"),
            _c("王家坝村", "wangjiaba", "坝上组", "坝下组", "村委会"),
        ),
        (-0.040, 0.048),
    ),
)


def grid_count(street_index: int, community_index: int) -> int:
    """100 grids: urban communities 4, 4, 4, 3, 3 (4 streets: 72); villages 3, 3, 3, 3, 2
    (2 towns: 28)."""
    if street_index < 4:
        return 4 if community_index < 3 else 3
    return 3 if community_index < 4 else 2


@dataclass(frozen=True)
class DepartmentDef:
    name: str
    code: str
    phone: str
    office: str  # a plausible responsible office (责任科室)
    leader: bool = False  # does it get a unit-leader account


DEPARTMENTS: tuple[DepartmentDef, ...] = (
    DepartmentDef("区城管局", "chengguan", "029-8861-2301", "市容环卫科", leader=True),
    DepartmentDef("区住建局", "zhujian", "029-8861-2302", "物业管理科", leader=True),
    DepartmentDef("区教育局", "jiaoyu", "029-8861-2303", "基础教育科", leader=True),
    DepartmentDef("区卫健局", "weijian", "029-8861-2304", "医政医管科", leader=True),
    DepartmentDef("区人社局", "renshe", "029-8861-2305", "劳动保障监察大队", leader=True),
    DepartmentDef("区市场监管局", "shichang", "029-8861-2306", "消费者权益保护科", leader=True),
    DepartmentDef("区生态环境分局", "shengtai", "029-8861-2307", "环境监察大队"),
    DepartmentDef("区交通运输局", "jiaotong", "029-8861-2308", "运输管理科"),
    DepartmentDef("区水务局", "shuiwu", "029-8861-2309", "供排水管理科"),
    DepartmentDef("区民政局", "minzheng", "029-8861-2310", "社会救助科"),
    DepartmentDef("区公安分局", "gongan", "029-8861-2311", "治安管理大队", leader=True),
    DepartmentDef("区应急管理局", "yingji", "029-8861-2312", "安全生产监管科"),
    DepartmentDef("区文旅局", "wenlv", "029-8861-2313", "文化市场管理科"),
    DepartmentDef("区商务局", "shangwu", "029-8861-2314", "商贸流通科"),
    DepartmentDef("区发改委", "fagai", "029-8861-2315", "营商环境科"),
    DepartmentDef("区自然资源分局", "ziran", "029-8861-2316", "不动产登记中心"),
    DepartmentDef("区医保局", "yibao", "029-8861-2317", "待遇保障科"),
    DepartmentDef("区司法局", "sifa", "029-8861-2318", "人民调解科"),
    DepartmentDef("区信访局", "xinfang", "029-8861-2319", "办信科"),
    DepartmentDef("区税务局", "tax", "029-8861-2320", "纳税服务科"),
)


# --- accounts -------------------------------------------------------------------------------


@dataclass(frozen=True)
class AccountDef:
    username: str
    display_name: str
    role: str
    unit_code: str
    superuser: bool = False


def accounts() -> list[AccountDef]:
    """Every demo login, in the order the logins table prints them."""
    rows = [
        AccountDef("admin", "系统管理员", Role.ADMIN, DISTRICT[1], superuser=True),
        AccountDef("dispatcher", "调度员 刘敏", Role.DISPATCHER, CENTRE[1]),
        AccountDef("dispatcher2", "调度员 陈静", Role.DISPATCHER, CENTRE[1]),
        AccountDef("callback", "回访员 赵丽", Role.CALLBACK, CENTRE[1]),
        AccountDef("callback2", "回访员 孙悦", Role.CALLBACK, CENTRE[1]),
        AccountDef("leader", "区长 王建国", Role.DISTRICT_LEADER, DISTRICT[1]),
    ]
    surnames = "张李王赵周吴郑冯"
    for i, s in enumerate(STREETS):
        short = s.name.removesuffix("街道").removesuffix("镇")
        rows.append(
            AccountDef(f"{s.code}-handler", f"{short}承办人 {surnames[i]}伟", Role.HANDLER, s.code)
        )
        title = "主任" if s.kind == UnitKind.STREET else "镇长"
        rows.append(
            AccountDef(
                f"{s.code}-leader", f"{s.name}{title} {surnames[i]}明", Role.UNIT_LEADER, s.code
            )
        )
    for d in DEPARTMENTS:
        short = d.name.removeprefix("区")
        rows.append(AccountDef(f"{d.code}-handler", f"{short}承办人", Role.HANDLER, d.code))
        if d.leader:
            rows.append(AccountDef(f"{d.code}-leader", f"{short}负责人", Role.UNIT_LEADER, d.code))
    for s in STREETS:
        for c in s.communities:
            title = "社区书记" if s.kind == UnitKind.STREET else "村支书"
            rows.append(AccountDef(f"{c.code}-handler", f"{c.name}{title}", Role.HANDLER, c.code))
    for si, s in enumerate(STREETS):
        for ci, c in enumerate(s.communities):
            for g in range(1, grid_count(si, ci) + 1):
                rows.append(
                    AccountDef(
                        f"{c.code}-grid{g}",
                        f"{c.name}第{g}网格网格员",
                        Role.GRID_WORKER,
                        f"{c.code}-g{g}",
                    )
                )
    return rows


# --- taxonomy -------------------------------------------------------------------------------


@dataclass(frozen=True)
class SubCategoryDef:
    name: str
    code: str
    lead_kind: str  # UnitKind the centre usually sends it to
    lead_dept: str = ""  # department code, when a department leads
    keywords: str = ""


@dataclass(frozen=True)
class TopCategoryDef:
    name: str
    code: str
    children: tuple[SubCategoryDef, ...] = field(default_factory=tuple)


D, S, C = UnitKind.DEPARTMENT, UnitKind.STREET, UnitKind.COMMUNITY


def _s(name, code, kind, dept="", kw=""):
    return SubCategoryDef(name, code, kind, dept, kw)


CATEGORIES: tuple[TopCategoryDef, ...] = (
    TopCategoryDef(
        "城乡建设",
        "urban",
        (
            _s("路灯照明", "streetlight", D, "chengguan", "路灯 不亮 照明 灯坏 黑灯"),
            _s("道路破损", "road-damage", D, "zhujian", "坑洼 破损 塌陷 井盖 人行道"),
            _s("物业管理", "property", S, "", "物业 电梯 保洁 物业费 门禁"),
            _s("违章建筑", "illegal-building", S, "", "违建 私搭乱建 加盖 封阳台 圈占"),
            _s("供水排水", "water-supply", D, "shuiwu", "停水 水压 下水道 堵塞 污水 漏水"),
            _s("老旧小区改造", "old-estate", D, "zhujian", "老旧小区 改造 加装电梯 管网 外墙"),
        ),
    ),
    TopCategoryDef(
        "劳动和社会保障",
        "labour",
        (
            _s("拖欠工资", "wage-arrears", D, "renshe", "欠薪 拖欠 工资 农民工 工钱"),
            _s("社保缴纳", "social-insurance", D, "renshe", "社保 养老保险 断缴 补缴 参保"),
            _s("医保报销", "medical-insurance", D, "yibao", "医保 报销 异地就医 门诊 统筹"),
            _s("就业创业", "employment", D, "renshe", "就业 招聘 培训 创业 贷款"),
            _s("养老服务", "elderly-care", D, "minzheng", "养老 老年人 助餐 高龄补贴 日间照料"),
        ),
    ),
    TopCategoryDef(
        "教育文体",
        "education",
        (
            _s("入学招生", "enrolment", D, "jiaoyu", "入学 招生 学位 划片 转学"),
            _s("校外培训", "tutoring", D, "jiaoyu", "培训机构 补课 退费 校外培训"),
            _s("校园周边", "school-safety", D, "jiaoyu", "学校门口 接送 校车 周边 安全"),
            _s("文体设施", "sports-facility", D, "wenlv", "健身器材 球场 图书馆 广场舞 文化活动"),
        ),
    ),
    TopCategoryDef(
        "商贸旅游",
        "commerce",
        (
            _s("消费纠纷", "consumer-dispute", D, "shichang", "退货 维权 欺诈 质量 投诉商家"),
            _s("食品安全", "food-safety", D, "shichang", "食品 过期 变质 餐馆 卫生"),
            _s("预付卡退费", "prepaid-card", D, "shangwu", "预付卡 会员卡 跑路 退费 充值"),
            _s("旅游服务", "tourism", D, "wenlv", "景区 导游 门票 旅行社 强制消费"),
            _s("占道经营", "street-vending", D, "chengguan", "占道 摆摊 流动摊贩 夜市 出店经营"),
        ),
    ),
    TopCategoryDef(
        "环境保护",
        "environment",
        (
            _s("噪声扰民", "noise", D, "shengtai", "噪音 施工 扰民 夜间 广场舞 噪声"),
            _s("油烟污染", "cooking-fumes", D, "shengtai", "油烟 烧烤 餐饮 排烟 气味"),
            _s("垃圾清运", "garbage", D, "chengguan", "垃圾 清运 堆放 垃圾桶 分类"),
            _s("水体污染", "water-pollution", D, "shengtai", "河道 黑臭 排污 水质 死鱼"),
            _s("扬尘污染", "dust", D, "zhujian", "扬尘 工地 渣土 灰尘 未覆盖"),
        ),
    ),
    TopCategoryDef(
        "卫生计生",
        "health",
        (
            _s("医疗服务", "medical-service", D, "weijian", "医院 看病 医生 挂号 服务态度"),
            _s("疫苗接种", "vaccination", D, "weijian", "疫苗 接种 预约 儿童 狂犬"),
            _s("病媒防治", "pest-control", D, "weijian", "老鼠 蟑螂 蚊子 消杀 灭鼠"),
            _s("母婴健康", "maternal", D, "weijian", "孕检 产检 母婴室 婴儿 生育"),
        ),
    ),
    TopCategoryDef(
        "交通运输",
        "transport",
        (
            _s("公交线路", "bus", D, "jiaotong", "公交 线路 站点 班次 末班车"),
            _s("出租网约车", "taxi", D, "jiaotong", "出租车 网约车 拒载 绕路 宰客"),
            _s("停车管理", "parking", S, "", "停车 车位 乱停 占用 充电桩"),
            _s("交通设施", "traffic-facility", D, "gongan", "红绿灯 信号灯 斑马线 标线 护栏"),
        ),
    ),
    TopCategoryDef(
        "社会治安",
        "security",
        (
            _s("治安隐患", "public-order", D, "gongan", "治安 偷盗 监控 可疑 打架"),
            _s("邻里纠纷", "neighbour-dispute", C, "", "邻居 纠纷 漏水 矛盾 调解"),
            _s("电信诈骗", "fraud", D, "gongan", "诈骗 电话 刷单 冒充 转账"),
            _s("消防安全", "fire-safety", D, "yingji", "消防 通道 电动车 充电 灭火器"),
        ),
    ),
    TopCategoryDef(
        "营商环境",
        "business",
        (
            _s("政务服务", "gov-service", D, "fagai", "办事 审批 窗口 材料 跑腿"),
            _s("惠企政策", "enterprise-policy", D, "fagai", "补贴 政策兑现 奖补 申报 扶持"),
            _s("涉企收费", "enterprise-fees", D, "shichang", "收费 乱收费 罚款 检查 摊派"),
            _s("税费办理", "tax-service", D, "tax", "发票 退税 纳税 税务 申报"),
            _s("不动产登记", "real-estate", D, "ziran", "房产证 不动产 过户 登记 办证"),
        ),
    ),
    TopCategoryDef(
        "民生保障",
        "welfare",
        (
            _s("低保救助", "subsistence", D, "minzheng", "低保 救助 困难 临时救助 特困"),
            _s("残疾人服务", "disability", D, "minzheng", "残疾 无障碍 残疾证 辅具 盲道"),
            _s("信访咨询", "petition", D, "xinfang", "信访 反映 答复 咨询 复查"),
            _s("法律援助", "legal-aid", D, "sifa", "法律援助 律师 调解 维权 公证"),
        ),
    ),
)


# --- time limits and calendar ---------------------------------------------------------------


@dataclass(frozen=True)
class PolicyDef:
    step: str
    category: str  # category code, "" for none
    urgency: str
    amount: Decimal
    measure: str


WD, WH, ND, NH = (
    Measure.WORKING_DAYS,
    Measure.WORKING_HOURS,
    Measure.NATURAL_DAYS,
    Measure.NATURAL_HOURS,
)

POLICIES: tuple[PolicyDef, ...] = (
    # District defaults (the same as the built-in ones, stored so admins can see and edit them).
    PolicyDef(Step.CLAIM, "", "", Decimal(2), WH),
    PolicyDef(Step.CONTACT, "", "", Decimal(24), NH),
    PolicyDef(Step.RESOLVE, "", "", Decimal(3), WD),
    PolicyDef(Step.REPORT, "", "", Decimal(1), WD),
    PolicyDef(Step.ANSWER, "", "", Decimal(7), ND),
    # By urgency.
    PolicyDef(Step.CLAIM, "", "urgent", Decimal(1), NH),
    PolicyDef(Step.RESOLVE, "", "urgent", Decimal(1), WD),
    PolicyDef(Step.CLAIM, "", "critical", Decimal("0.5"), NH),
    PolicyDef(Step.CONTACT, "", "critical", Decimal(1), NH),
    PolicyDef(Step.RESOLVE, "", "critical", Decimal(24), NH),
    # By category: complex matters get longer, the business environment a fast track.
    PolicyDef(Step.RESOLVE, "wage-arrears", "", Decimal(5), WD),
    PolicyDef(Step.RESOLVE, "enrolment", "", Decimal(5), WD),
    PolicyDef(Step.RESOLVE, "illegal-building", "", Decimal(10), WD),
    PolicyDef(Step.RESOLVE, "old-estate", "", Decimal(15), WD),
    PolicyDef(Step.RESOLVE, "water-supply", "", Decimal(2), WD),
    PolicyDef(Step.RESOLVE, "water-supply", "urgent", Decimal(8), NH),
    PolicyDef(Step.RESOLVE, "fire-safety", "", Decimal(1), WD),
    PolicyDef(Step.RESOLVE, "food-safety", "critical", Decimal(12), NH),
    PolicyDef(Step.CLAIM, "business", "", Decimal(1), WH),
    PolicyDef(Step.RESOLVE, "business", "", Decimal(2), WD),
)

# Examples of admin corrections to the official calendar. chinese-calendar has no data for
# 2027 yet, so the district enters the expected Spring Festival days itself (to be checked
# against the State Council's notice) and a make-up working day.
CALENDAR_OVERRIDES: tuple[tuple[dt.date, bool, str], ...] = (
    (dt.date(2027, 1, 1), False, "元旦"),
    (dt.date(2027, 2, 5), False, "春节（示例，待国务院通知核对）"),
    (dt.date(2027, 2, 8), False, "春节（示例，待国务院通知核对）"),
    (dt.date(2027, 2, 9), False, "春节（示例，待国务院通知核对）"),
    (dt.date(2027, 2, 10), False, "春节（示例，待国务院通知核对）"),
    (dt.date(2027, 2, 11), False, "春节（示例，待国务院通知核对）"),
    (dt.date(2027, 2, 20), True, "春节调休上班（示例）"),
)


# --- collection points ----------------------------------------------------------------------


@dataclass(frozen=True)
class PointDef:
    name: str
    code: str
    unit_code: str
    address: str
    service_hall: bool = False
    enterprise: bool = False


def collection_points() -> list[PointDef]:
    rows = [
        PointDef("云湖区政务服务中心", "hall-district", DISTRICT[1], "云湖区东湖大道88号", True),
        PointDef(
            "营商环境意见码（区政务服务中心企业专区）",
            "enterprise-district",
            DISTRICT[1],
            "云湖区东湖大道88号二楼",
            enterprise=True,
        ),
        PointDef(
            "云湖经开区企业服务驿站",
            "enterprise-park",
            "bailu",
            "白鹭镇白鹭大道创业园1号楼",
            enterprise=True,
        ),
    ]
    for s in STREETS:
        rows.append(
            PointDef(
                f"{s.name}便民服务中心",
                f"hall-{s.code}",
                s.code,
                f"{s.name}{s.roads[0]}1号",
                True,
            )
        )
    point_names = ("党群服务站意见征集点", "新时代文明实践站意见箱", "协商议事室")
    for si, s in enumerate(STREETS):
        for ci in (0, 2):
            c = s.communities[ci]
            rows.append(
                PointDef(
                    f"{c.name}{point_names[(si + ci) % 3]}",
                    f"point-{c.code}",
                    c.code,
                    f"{s.name}{s.roads[(ci + 1) % len(s.roads)]}{c.compounds[0]}旁",
                )
            )
    return rows
