"""`minhu generate --appeals N`: fill the database with N realistic appeals, their events,
assignments, follow-ups and deadline misses, by a bulk path (COPY on PostgreSQL, executemany on
SQLite) that bypasses the verbs but writes exactly what the verbs would have written.

Each appeal gets a handling plan (dispatch, claim, contact, resolve, reply, follow-up, close
after realistic delays); the steps whose time has come happened, the rest have not, so the
status, the timestamps, the events and the follow-ups always agree. Bad answers reopen the
appeal (round 1) as the real loop does. Units differ in quality, so rankings differ."""

from __future__ import annotations

import datetime as dt
import io
import json
import math
import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from queue import Empty

from django.db import connection, transaction
from django.db.models import Max
from django.utils import timezone

from minhu.appeals.models import (
    CODE_ALPHABET,
    Appeal,
    AppealEvent,
    Assignment,
    FollowUp,
)
from minhu.categories.models import Category
from minhu.core import partitions
from minhu.deadlines.models import DeadlineMiss
from minhu.orgs.models import Unit, UnitKind

UTC = dt.UTC
_json = json.JSONEncoder(ensure_ascii=False).encode
H = dt.timedelta(hours=1)
DAY = dt.timedelta(days=1)

SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程"
)
STREET_NAMES = [
    "中山",
    "解放",
    "人民",
    "建设",
    "和平",
    "新华",
    "东关",
    "西关",
    "南关",
    "北关",
    "朝阳",
]
TOWN_NAMES = ["青山", "白鹭", "云台"]
DEPARTMENTS = [
    "城管局",
    "住建局",
    "生态环境局",
    "市场监管局",
    "交通运输局",
    "水务局",
    "教育局",
    "卫健委",
    "人社局",
    "民政局",
    "公安分局",
    "应急管理局",
    "自然资源局",
    "农业农村局",
    "文旅局",
    "商务局",
    "发改局",
    "财政局",
    "司法局",
    "退役军人事务局",
    "医保局",
    "税务局",
    "消防救援大队",
    "供电公司",
    "自来水公司",
    "燃气公司",
    "房管局",
    "园林绿化局",
    "数据局",
    "信访局",
]
# top category -> (department index, [(sub category, [subjects])])
TAXONOMY = [
    (
        "城乡建设",
        1,
        [
            ("路灯照明", ["路灯不亮", "路灯损坏", "楼道灯不亮"]),
            ("道路维修", ["路面坑洼", "井盖缺失", "人行道破损"]),
            ("违章建筑", ["楼顶违建", "私搭乱建", "占用绿地建房"]),
            ("老旧小区改造", ["外墙脱落", "加装电梯", "雨水管破损"]),
            ("房屋安全", ["墙体开裂", "危房", "阳台漏水"]),
            ("物业管理", ["物业不作为", "电梯故障", "小区门禁损坏"]),
        ],
    ),
    (
        "市容环境",
        0,
        [
            ("垃圾清运", ["垃圾未及时清运", "垃圾桶满溢", "建筑垃圾乱倒"]),
            ("占道经营", ["流动摊贩占道", "店外经营", "夜市扰民"]),
            ("噪音扰民", ["夜间施工噪音", "广场舞噪音", "商铺音响扰民"]),
            ("油烟污染", ["餐馆油烟", "露天烧烤"]),
            ("绿化养护", ["树木遮挡", "草坪枯死", "树枝断裂"]),
            ("违规停车", ["占用消防通道", "乱停共享单车", "车辆堵门"]),
        ],
    ),
    (
        "交通出行",
        4,
        [
            ("公交运营", ["公交晚点", "公交站牌损坏", "线路调整"]),
            ("交通信号", ["红绿灯故障", "信号配时不合理"]),
            ("停车管理", ["停车难", "停车收费不合理"]),
            ("出租网约车", ["出租车拒载", "网约车绕路"]),
            ("道路拥堵", ["早高峰拥堵", "学校门口拥堵"]),
            ("交通设施", ["护栏损坏", "标线不清"]),
        ],
    ),
    (
        "水电气暖",
        25,
        [
            ("供水", ["停水", "水压低", "水质发黄"]),
            ("供电", ["频繁停电", "电压不稳"]),
            ("燃气", ["燃气泄漏", "燃气未通"]),
            ("供暖", ["暖气不热", "供暖费争议"]),
            ("排水", ["下水道堵塞", "污水外溢", "路面积水"]),
            ("通信", ["宽带故障", "信号差"]),
        ],
    ),
    (
        "社会保障",
        8,
        [
            ("社保", ["社保转移", "养老金发放"]),
            ("医保", ["医保报销", "医保卡异常"]),
            ("低保救助", ["低保申请", "临时救助"]),
            ("养老服务", ["老年食堂", "居家养老"]),
            ("残疾人服务", ["无障碍设施", "残疾人补贴"]),
            ("就业", ["工资拖欠", "就业培训"]),
        ],
    ),
    (
        "教育卫生",
        6,
        [
            ("入学", ["入学咨询", "学区划分"]),
            ("校外培训", ["违规培训", "退费纠纷"]),
            ("医疗服务", ["看病难", "医疗纠纷"]),
            ("疫苗接种", ["接种预约", "疫苗咨询"]),
            ("食品安全", ["食品过期", "餐饮卫生"]),
            ("公共卫生", ["蚊虫滋生", "病媒防治"]),
        ],
    ),
    (
        "市场监管",
        3,
        [
            ("消费维权", ["预付卡退费", "商品质量", "虚假宣传"]),
            ("价格", ["价格欺诈", "乱收费"]),
            ("无证经营", ["无证经营", "黑作坊"]),
            ("特种设备", ["电梯安全", "锅炉安全"]),
            ("知识产权", ["假冒商标"]),
            ("营商环境", ["审批慢", "办事难", "政策咨询"]),
        ],
    ),
    (
        "治安安全",
        10,
        [
            ("治安", ["盗窃", "纠纷调解"]),
            ("消防安全", ["楼道堆物", "电动车充电"]),
            ("安全隐患", ["广告牌松动", "高空坠物"]),
            ("诈骗", ["电信诈骗", "非法集资"]),
            ("邻里纠纷", ["漏水纠纷", "宠物扰民"]),
            ("安全生产", ["工地安全", "危化品"]),
        ],
    ),
]
CHANNELS = [
    ("hotline", 45),
    ("h5", 14),
    ("miniprogram", 14),
    ("wechat_group", 9),
    ("visit", 9),
    ("consultation", 2),
    ("deputy", 2),
    ("questionnaire", 2),
    ("enterprise", 3),
]
STATUS_NEW, STATUS_DISPATCHED, STATUS_IN_PROGRESS = "new", "dispatched", "in_progress"
STATUS_RESOLVED, STATUS_REPLIED, STATUS_CLOSED = "resolved", "replied", "closed"


def _code(n: int) -> str:
    """A unique 10-letter tracking code from the row id (prefix Z: never random-looking)."""
    chars = []
    for _ in range(9):
        n, r = divmod(n, len(CODE_ALPHABET))
        chars.append(CODE_ALPHABET[r])
    return "Z" + "".join(reversed(chars))


@dataclass
class World:
    district: Unit
    streets: list[Unit]
    grids: list[tuple[int, int, int, str]]  # (grid id, community id, street id, label)
    departments: list[Unit]
    categories: list[tuple[int, int, list[str], str]]  # (id, dept id, subjects, name)
    quality: dict[int, float] = field(default_factory=dict)


def build_world(rng: random.Random) -> World:
    """Use the organisation in the database, or create a Lianhu-sized one (11 streets/towns,
    131 communities, 364 grids, 84 departments, 48 categories) if there is none."""
    district = Unit.objects.filter(kind=UnitKind.DISTRICT).order_by("pk").first()
    if district is None or not Unit.objects.filter(kind__in=["street", "town"]).exists():
        district = district or Unit.objects.create(name="示范区", code="gen-d", kind="district")
        Unit.objects.get_or_create(
            code="gen-centre", defaults={"name": "区调度中心", "kind": "center", "parent": district}
        )
        communities = []
        names = [(n + "街道", "street") for n in STREET_NAMES[:8]] + [
            (n + "镇", "town") for n in TOWN_NAMES
        ]
        for i, (name, kind) in enumerate(names):
            s = Unit.objects.create(name=name, code=f"gen-s{i}", kind=kind, parent=district)
            for j in range(12 if i < 10 else 11):
                ckind = "village" if kind == "town" else "community"
                c = Unit.objects.create(
                    name=f"{name[:2]}{j + 1}{'村' if ckind == 'village' else '社区'}",
                    code=f"gen-s{i}c{j}",
                    kind=ckind,
                    parent=s,
                )
                communities.append(c)
        for k in range(364):
            c = communities[k % len(communities)]
            n = k // len(communities) + 1
            Unit.objects.create(
                name=f"{c.name}第{n}网格", code=f"{c.code}g{n}", kind="grid", parent=c
            )
        for i in range(84):
            name = "区" + DEPARTMENTS[i] if i < len(DEPARTMENTS) else f"区直单位{i + 1:02d}"
            Unit.objects.create(name=name, code=f"gen-dept{i}", kind="department", parent=district)
    if not Category.objects.filter(parent__isnull=False).exists():
        for i, (top, _, subs) in enumerate(TAXONOMY):
            t = Category.objects.create(name=top, code=f"gen-c{i}", sort=i)
            for j, (sub, _) in enumerate(subs):
                Category.objects.create(name=sub, code=f"gen-c{i}-{j}", parent=t, sort=j)
    streets = list(Unit.objects.filter(kind__in=["street", "town"], active=True).order_by("pk"))
    street_ids = {s.pk for s in streets}
    by_id = {u.pk: u for u in Unit.objects.filter(active=True).only("pk", "path", "name", "kind")}
    grids = []
    for g in Unit.objects.filter(kind="grid", active=True).order_by("pk"):
        ids = [int(p) for p in g.path.strip("/").split("/") if p]
        street = next((i for i in ids if i in street_ids), None)
        if street is None:
            continue
        community = g.parent_id
        grids.append((g.pk, community, street, f"{by_id[street].name}{g.name}"))
    departments = list(Unit.objects.filter(kind="department", active=True).order_by("pk"))
    subjects = {sub: subj for _, _, subs in TAXONOMY for sub, subj in subs}
    top_dept = {top: d for top, d, _ in TAXONOMY}
    categories = []
    for c in Category.objects.filter(parent__isnull=False, active=True).select_related("parent"):
        d = top_dept.get(c.parent.name, rng.randrange(len(departments)))
        dept = departments[d % len(departments)].pk if departments else None
        categories.append((c.pk, dept, subjects.get(c.name, [c.name + "问题"]), c.name))
    if not grids or not categories:
        raise RuntimeError("no grids or categories to generate appeals for")
    w = World(district, streets, grids, departments, categories)
    for u in [*streets, *departments, *(Unit.objects.filter(kind__in=["community", "village"]))]:
        w.quality[u.pk] = rng.uniform(0.82, 0.99)
    return w


# --- writing ----------------------------------------------------------------------------------


def _columns(model) -> list[str]:
    return [f.column for f in model._meta.concrete_fields]


class Writer:
    """Rows as tuples in the model's concrete-field order, written in bulk."""

    def __init__(self):
        self.pg = connection.vendor == "postgresql"
        self.ops = connection.ops

    def dt(self, value: dt.datetime | None):
        """Times are kept in UTC here: isoformat is the fast path for both backends (SQLite
        stores naive UTC text like Django's adapt_datetimefield_value)."""
        if value is None:
            return None
        if value.tzinfo is not UTC:
            value = value.astimezone(UTC)
        return value.isoformat() if self.pg else value.replace(tzinfo=None).isoformat(" ")

    def write(self, model, rows: list[tuple]) -> None:
        if not rows:
            return
        table = model._meta.db_table
        cols = _columns(model)
        with connection.cursor() as cur:
            if self.pg:
                buf = io.StringIO()
                for r in rows:
                    buf.write("\t".join(_pg_text(v) for v in r))
                    buf.write("\n")
                quoted = ", ".join(f'"{c}"' for c in cols)
                with cur.cursor.copy(f'COPY "{table}" ({quoted}) FROM STDIN') as copy:
                    copy.write(buf.getvalue())
            else:
                marks = ", ".join(["%s"] * len(cols))
                quoted = ", ".join(f'"{c}"' for c in cols)
                cur.executemany(f'INSERT INTO "{table}" ({quoted}) VALUES ({marks})', rows)

    def fast_load(self, models) -> list[str]:
        """PostgreSQL bulk load: skip per-row FK triggers (the rows are consistent by
        construction) and drop the secondary indexes; returns the statements that recreate
        them (run by restore())."""
        if not self.pg:
            return []
        tables = [m._meta.db_table for m in models]
        self.skip_triggers()
        with connection.cursor() as cur:
            cur.execute(
                """
                SELECT i.indexname, i.indexdef FROM pg_indexes i
                WHERE i.schemaname = current_schema() AND i.tablename = ANY(%s)
                  AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conname = i.indexname)
                """,
                [tables],
            )
            found = cur.fetchall()
            for name, _ in found:
                cur.execute(f'DROP INDEX IF EXISTS "{name}"')
        # A partitioned table's index is listed `ON ONLY` it: rebuild it on every partition.
        return [ddl.replace(" ON ONLY ", " ON ", 1) for _, ddl in found]

    def skip_triggers(self) -> None:
        """Per session: no FK triggers (superuser only; otherwise they stay on)."""
        if not self.pg:
            return
        with connection.cursor() as cur:
            try:
                with transaction.atomic():
                    cur.execute("SET session_replication_role = replica")
            except Exception:  # not a superuser: keep the triggers
                pass

    def restore(self, ddl: list[str]) -> None:
        if not self.pg:
            return
        with connection.cursor() as cur:
            for statement in ddl:
                cur.execute(statement)
            cur.execute("SET session_replication_role = origin")

    def reset_sequences(self, models) -> None:
        if not self.pg:
            return
        with connection.cursor() as cur:
            for m in models:
                t = m._meta.db_table
                cur.execute(
                    f"SELECT setval(pg_get_serial_sequence('\"{t}\"', 'id'), "
                    f'COALESCE((SELECT MAX(id) FROM "{t}"), 1))'
                )


def _pg_text(v) -> str:
    if v is None:
        return "\\N"
    if v is True:
        return "t"
    if v is False:
        return "f"
    s = str(v)
    if "\\" in s or "\t" in s or "\n" in s or "\r" in s:
        s = s.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r")
    return s


def _next_ids() -> dict[str, int]:
    return {
        m.__name__: (m.objects.aggregate(m=Max("id"))["m"] or 0) + 1
        for m in (Appeal, AppealEvent, Assignment, FollowUp, DeadlineMiss)
    }


# --- the appeals ----------------------------------------------------------------------------


class Generator:
    def __init__(
        self,
        n: int,
        *,
        years: float = 2.0,
        seed: int = 1,
        batch: int = 20_000,
        workers: int = 1,
    ):
        self.n, self.years, self.batch, self.seed = n, years, batch, seed
        self.workers = max(1, workers)
        self.rng = random.Random(seed)
        self.now = timezone.now().replace(microsecond=0).astimezone(UTC)
        self.writer = Writer()
        self.counts = {"appeals": 0, "events": 0, "follow_ups": 0, "assignments": 0, "misses": 0}
        self.field_defaults: dict[str, dict] = {}

    # Local hours at which appeals arrive, and their weights.
    HOURS = list(range(7, 22))
    HOUR_W = [2, 5, 8, 9, 8, 6, 7, 8, 8, 7, 6, 5, 4, 3, 2]

    # A day's share of the volume: a falling trend (about −20% year on year), quieter weekends.
    def day_plan(self) -> list[tuple[dt.date, int]]:
        days = max(1, int(self.years * 365))
        today = timezone.localdate(self.now)
        # Today only gets the share of its appeals whose hours have passed (run at 01:00, today
        # would otherwise be squeezed into the hours before now and look like a spike).
        local = timezone.localtime(self.now)
        passed = sum(
            w * min(1.0, max(0.0, local.hour + local.minute / 60 - h))
            for h, w in zip(self.HOURS, self.HOUR_W, strict=True)
        )
        today_share = passed / sum(self.HOUR_W)
        first = today - dt.timedelta(days=days - 1)
        weights = []
        for i in range(days):
            d = first + dt.timedelta(days=i)
            age = (days - 1 - i) / 365
            w = 1.25**age * (0.7 if d.weekday() >= 5 else 1.0)
            w *= 1 + 0.15 * math.sin((d.timetuple().tm_yday / 365) * 2 * math.pi)
            if d == today:
                w *= today_share
            weights.append(w)
        total = sum(weights)
        if not total:  # one day, before its first hour: everything today all the same
            weights[-1] = total = 1.0
        counts = [int(self.n * w / total) for w in weights]
        short = self.n - sum(counts)
        recent = [i for i in range(days - 1, -1, -1) if weights[i] > 0]
        for i in range(short):
            counts[recent[i % len(recent)]] += 1
        return [(first + dt.timedelta(days=i), c) for i, c in enumerate(counts) if c]

    def run(self, world: World, progress: Callable[[str], None] | None = None) -> dict:
        t0 = time.perf_counter()
        ids = _next_ids()
        self.ids = ids
        todo: list[dt.datetime] = []
        tz = timezone.get_current_timezone()
        hours, hour_w = self.HOURS, self.HOUR_W
        for day, count in self.day_plan():
            for _ in range(count):
                h = self.rng.choices(hours, hour_w)[0]
                moment = dt.datetime(
                    day.year,
                    day.month,
                    day.day,
                    h,
                    self.rng.randrange(60),
                    self.rng.randrange(60),
                    tzinfo=tz,
                )
                moment = moment.astimezone(UTC)
                if moment >= self.now:
                    moment = self.now - dt.timedelta(minutes=self.rng.randrange(5, 600))
                todo.append(moment)
        todo.sort()
        tables = [Appeal, AppealEvent, Assignment, FollowUp, DeadlineMiss]
        if todo:  # the months of the load get their event partitions (PostgreSQL)
            partitions.cover(AppealEvent._meta.db_table, todo[0], self.now)
        ddl = self.writer.fast_load(tables) if len(todo) >= 100_000 else []
        if ddl and progress:
            progress(f"dropped {len(ddl)} secondary indexes for the load")
        workers = self.workers if self.writer.pg else 1
        self.fast = bool(ddl)
        try:
            if workers > 1:
                self._run_workers(world, todo, workers, t0, progress)
            else:
                self._load(world, todo, t0, progress)
        except BaseException:
            # The batches that committed stay; the dropped indexes must come back anyway.
            self.writer.restore(ddl)
            raise
        self.writer.reset_sequences(tables)
        self.counts["load_seconds"] = round(time.perf_counter() - t0, 1)
        if ddl:
            t1 = time.perf_counter()
            self.writer.restore(ddl)
            self.counts["index_seconds"] = round(time.perf_counter() - t1, 1)
            if progress:
                progress(f"recreated {len(ddl)} indexes in {self.counts['index_seconds']}s")
        self.counts["seconds"] = round(time.perf_counter() - t0, 1)
        return self.counts

    def _load(self, world, todo, t0, progress, report=None) -> None:
        done = 0
        for start in range(0, len(todo), self.batch):
            chunk = todo[start : start + self.batch]
            with transaction.atomic():
                self._batch(world, chunk)
            done += len(chunk)
            if report:
                report(len(chunk))
            elif progress:
                rate = done / (time.perf_counter() - t0)
                progress(f"{done:,}/{len(todo):,} appeals ({rate:,.0f}/s)")

    # PostgreSQL only: K forked processes, each loading every K-th appeal with its own random
    # stream and its own id ranges (appeal ids interleave so they still follow creation time;
    # the other tables get disjoint blocks, the sequences are reset to the maximum afterwards).
    # A worker's batches commit on its own connection; a failing worker stops the command.
    SPAN = {"AppealEvent": 48, "Assignment": 8, "FollowUp": 8, "DeadlineMiss": 8}
    stride = 1  # a worker's appeal ids step by the number of workers
    limits: dict[str, int] = {}  # a worker's first id past its block, per table

    def _run_workers(self, world, todo, workers, t0, progress) -> None:
        import multiprocessing

        ctx = multiprocessing.get_context("fork")
        queue = ctx.Queue()
        base, share = dict(self.ids), -(-len(todo) // workers)
        connection.close()  # every process opens its own
        procs = []
        for k in range(workers):
            limits = {
                name: (base[name] + k * share * span, base[name] + (k + 1) * share * span)
                for name, span in self.SPAN.items()
            }
            p = ctx.Process(
                target=self._worker,
                args=(world, todo[k::workers], k, workers, limits, base["Appeal"], queue),
            )
            p.start()
            procs.append(p)
        done, finished, failure = 0, 0, None
        while finished < workers:
            try:
                kind, k, payload = queue.get(timeout=5)
            except Empty:
                if any(p.exitcode not in (None, 0) for p in procs):
                    failure = "a generator worker died"
                    break
                continue
            if kind == "progress":
                done += payload
                if progress:
                    rate = done / (time.perf_counter() - t0)
                    progress(f"{done:,}/{len(todo):,} appeals ({rate:,.0f}/s, {workers} workers)")
            else:
                finished += 1
                if kind == "error":
                    failure = f"worker {k}: {payload}"
                    break
                for name, v in payload.items():
                    self.counts[name] += v
        for p in procs:
            if failure and p.is_alive():
                p.terminate()
            p.join()
        if failure or any(p.exitcode for p in procs):
            raise RuntimeError(failure or "a generator worker died")

    def _worker(self, world, todo, k, workers, limits, appeal_base, queue) -> None:
        import os
        import traceback

        try:
            connection.close()
            self.rng = random.Random(f"{self.seed}/{k}")
            self.counts = dict.fromkeys(self.counts, 0)
            self.ids = {name: lo for name, (lo, _hi) in limits.items()}
            self.ids["Appeal"] = appeal_base + k
            self.stride = workers
            self.limits = {name: hi for name, (_lo, hi) in limits.items()}
            if self.fast:
                self.writer.skip_triggers()
            self._load(world, todo, 0, None, report=lambda n: queue.put(("progress", k, n)))
            queue.put(("done", k, self.counts))
            code = 0
        except BaseException:
            queue.put(("error", k, traceback.format_exc(limit=5)))
            code = 1
        connection.close()
        queue.close()
        queue.join_thread()  # flush the messages before leaving without clean-up
        os._exit(code)

    def _take(self, name: str) -> int:
        v = self.ids[name]
        if name == "Appeal":
            self.ids[name] = v + self.stride
            return v
        self.ids[name] = v + 1
        if name in self.limits and v >= self.limits[name]:
            raise RuntimeError(f"{name} ids of this worker exhausted")
        return v

    def _batch(self, world: World, moments: list[dt.datetime]) -> None:
        rng, W = self.rng, self.writer
        appeals, events, assigns, fus, misses = [], [], [], [], []
        channels, channel_w = zip(*CHANNELS, strict=True)
        now = self.now
        for created in moments:
            aid = self._take("Appeal")
            grid, community, street, place = rng.choice(world.grids)
            cat_id, cat_dept, subjects, cat_name = rng.choice(world.categories)
            channel = rng.choices(channels, channel_w)[0]
            kind = (
                "enterprise"
                if channel == "enterprise"
                else ("anonymous" if rng.random() < 0.05 else "person")
            )
            subject = rng.choice(subjects)
            name = "" if kind == "anonymous" else rng.choice(SURNAMES) + rng.choice("先生女士")[:2]
            phone = (
                "" if kind == "anonymous" else f"1{rng.choice('3589')}{rng.randrange(10**9):09d}"
            )
            r = rng.random()
            if cat_dept and r < 0.4:
                lead = cat_dept
            elif r < 0.55:
                lead = community
            else:
                lead = street
            q = world.quality.get(lead, 0.9)
            urgency = "urgent" if rng.random() < 0.03 else "normal"
            # The plan.
            t_dispatch = created + dt.timedelta(minutes=rng.randrange(5, 90))
            late_claim = rng.random() < 0.04
            t_claim = t_dispatch + dt.timedelta(
                minutes=rng.randrange(10, 120 if not late_claim else 900)
            )
            x = rng.random()
            if x < 0.01:
                resolve_in, outcome_kind = dt.timedelta(days=rng.uniform(20, 60)), "long_term"
            elif x < 0.3:
                resolve_in, outcome_kind = dt.timedelta(hours=rng.uniform(1, 8)), "on_spot"
            elif x < 0.9:
                resolve_in, outcome_kind = dt.timedelta(days=rng.uniform(0.5, 4)), "coordinated"
            else:
                resolve_in, outcome_kind = dt.timedelta(days=rng.uniform(3, 8)), "coordinated"
            t_resolve = t_claim + resolve_in
            # The unit calls the person before it finishes (mostly within the first day).
            t_contact = t_claim + min(resolve_in * rng.uniform(0.05, 0.6), 20 * H * rng.random())
            t_reply = t_resolve + dt.timedelta(minutes=rng.randrange(30, 360))
            t_follow = t_reply + dt.timedelta(hours=rng.uniform(4, 48))
            claim_due = t_dispatch + 4 * H
            contact_due = t_dispatch + 24 * H
            resolve_due = t_dispatch + dt.timedelta(days=4, hours=8)
            status, _from_s = STATUS_NEW, ""
            ev: list[tuple] = []  # (kind, time, from, to, unit, note, data, actor_name)

            def e(k, t, fr, to, unit=None, note="", data=None, who="系统", ev=ev):
                ev.append((k, t, fr, to, unit, note, data or {}, who))

            e(
                "register",
                created,
                "",
                "new",
                None,
                "",
                {"channel": channel, "generated": True},
                "群众"
                if channel in ("h5", "miniprogram", "enterprise", "questionnaire")
                else "话务员",
            )
            e(
                "classify",
                created + dt.timedelta(minutes=2),
                "new",
                "new",
                None,
                "",
                {"source": "auto", "changes": {"category": [None, cat_id]}},
            )
            a = {
                "dispatched_at": None,
                "claimed_at": None,
                "contacted_at": None,
                "resolved_at": None,
                "replied_at": None,
                "closed_at": None,
                "current_step": "",
                "current_due_at": None,
                "outcome_kind": "",
                "outcome": "",
                "measures": "",
                "office": "",
                "person": "",
                "reply": "",
                "satisfaction": "",
                "solved": None,
                "reopen": 0,
            }
            assignment_status, claimed_at = None, None
            if t_dispatch <= now:
                e("dispatch", t_dispatch, "new", "dispatched", lead, "", {"lead": lead, "round": 1})
                status = STATUS_DISPATCHED
                a["dispatched_at"] = t_dispatch
                a["current_step"], a["current_due_at"] = "claim", claim_due
                assignment_status = "pending"
            if t_claim <= now and status == STATUS_DISPATCHED:
                e(
                    "claim",
                    t_claim,
                    "dispatched",
                    "in_progress",
                    lead,
                    "",
                    {"role": "lead", "late": t_claim > claim_due},
                )
                status = STATUS_IN_PROGRESS
                a["claimed_at"] = claimed_at = t_claim
                a["current_step"], a["current_due_at"] = "resolve", resolve_due
                assignment_status = "claimed"
                if t_claim > claim_due:
                    misses.append(
                        (
                            self._take("DeadlineMiss"),
                            aid,
                            "claim",
                            lead,
                            claim_due,
                            t_claim,
                            t_claim,
                        )
                    )
            if t_contact <= now and status == STATUS_IN_PROGRESS:
                e(
                    "contact",
                    t_contact,
                    status,
                    status,
                    lead,
                    "已电话联系诉求人",
                    {"first": True, "on_time": t_contact <= contact_due},
                )
                a["contacted_at"] = t_contact
                if t_contact > contact_due:
                    misses.append(
                        (
                            self._take("DeadlineMiss"),
                            aid,
                            "contact",
                            lead,
                            contact_due,
                            t_contact,
                            t_contact,
                        )
                    )
            elif status == STATUS_IN_PROGRESS and now > contact_due:
                pass
            round_no = 0
            t_res, t_rep, t_fol = t_resolve, t_reply, t_follow
            fu_rows = []
            while True:
                if not (t_res <= now and status == STATUS_IN_PROGRESS):
                    break
                outcome = f"已处理：{subject}问题已{rng.choice(['整改完毕', '协调解决', '修复完成', '督促落实'])}"
                e(
                    "resolve",
                    t_res,
                    "in_progress",
                    "resolved",
                    lead,
                    outcome,
                    {"outcome_kind": outcome_kind, "on_time": t_res <= resolve_due},
                )
                status = STATUS_RESOLVED
                a.update(
                    resolved_at=t_res,
                    outcome_kind=outcome_kind,
                    outcome=outcome,
                    measures=f"现场核实，{rng.choice(['安排维修', '约谈责任主体', '联合执法', '协调相关单位'])}",
                    office=rng.choice(["综合科", "执法队", "办公室", "服务中心"]),
                    person=rng.choice(SURNAMES) + rng.choice(["科长", "队长", "主任"]),
                    current_step="",
                    current_due_at=None,
                )
                assignment_status = "done"
                if round_no == 0 and t_res > resolve_due:
                    misses.append(
                        (
                            self._take("DeadlineMiss"),
                            aid,
                            "resolve",
                            lead,
                            resolve_due,
                            t_res,
                            t_res,
                        )
                    )
                if t_rep > now:
                    break
                reply = f"您好，您反映的{subject}问题已处理，感谢您的监督。"
                e("reply", t_rep, "resolved", "replied", lead, reply, {})
                status = STATUS_REPLIED
                a.update(replied_at=t_rep, reply=reply)
                if t_fol > now:
                    break
                late = t_res > resolve_due
                if rng.random() < 0.05:  # an unreached call first
                    fid = self._take("FollowUp")
                    fu_rows.append(
                        (
                            fid,
                            aid,
                            None,
                            "callback",
                            lead,
                            round_no,
                            False,
                            None,
                            None,
                            "",
                            "",
                            None,
                            t_fol - 2 * H,
                        )
                    )
                    e(
                        "follow_up",
                        t_fol - 2 * H,
                        status,
                        status,
                        None,
                        "",
                        {"follow_up": fid, "reached": False},
                        "回访员",
                    )
                resident = rng.random() < 0.2
                contacted = None if resident else rng.random() < min(0.995, q + 0.05)
                solved = rng.random() < (q - (0.12 if late else 0))
                if solved:
                    sat = rng.choices(
                        ["satisfied", "basic", "unsatisfied"],
                        [q, (1 - q) * 0.8 + 0.05, (1 - q) * 0.2],
                    )[0]
                else:
                    sat = rng.choices(["basic", "unsatisfied"], [0.4, 0.6])[0]
                fid = self._take("FollowUp")
                fu_rows.append(
                    (
                        fid,
                        aid,
                        None,
                        "resident" if resident else "callback",
                        lead,
                        round_no,
                        True,
                        contacted,
                        solved,
                        sat,
                        "",
                        None,
                        t_fol,
                    )
                )
                a.update(satisfaction=sat, solved=solved)
                if resident:
                    e(
                        "rate",
                        t_fol,
                        status,
                        status,
                        None,
                        "",
                        {"satisfaction": sat, "solved": solved, "follow_up": fid},
                        "群众",
                    )
                else:
                    e(
                        "follow_up",
                        t_fol,
                        status,
                        status,
                        None,
                        "",
                        {
                            "follow_up": fid,
                            "reached": True,
                            "contacted": contacted,
                            "solved": solved,
                            "satisfaction": sat,
                        },
                        "回访员",
                    )
                bad = sat == "unsatisfied" or not solved
                if bad and round_no < 1 and rng.random() < 0.8:
                    round_no += 1
                    e(
                        "reopen",
                        t_fol,
                        "replied",
                        "in_progress",
                        lead,
                        "群众评价：不满意",
                        {"automatic": True, "reopen_count": round_no},
                    )
                    status = STATUS_IN_PROGRESS
                    a.update(
                        reopen=round_no,
                        resolved_at=None,
                        replied_at=None,
                        current_step="resolve",
                        current_due_at=t_fol + dt.timedelta(days=4, hours=8),
                    )
                    assignment_status = "claimed"
                    t_res = t_fol + dt.timedelta(days=rng.uniform(0.5, 3))
                    t_rep = t_res + dt.timedelta(minutes=rng.randrange(30, 300))
                    t_fol = t_rep + dt.timedelta(hours=rng.uniform(4, 30))
                    continue
                t_close = t_fol + dt.timedelta(minutes=rng.randrange(20, 240))
                if t_close <= now:
                    e("close", t_close, "replied", "closed", None, "", {})
                    status = STATUS_CLOSED
                    a["closed_at"] = t_close
                break
            # Rows.
            appeals.append(
                self._appeal_row(
                    aid,
                    created,
                    channel,
                    kind,
                    name,
                    phone,
                    subject,
                    place,
                    grid,
                    street,
                    cat_id,
                    urgency,
                    status,
                    lead,
                    a,
                    claim_due,
                    contact_due,
                    resolve_due,
                    t_dispatch <= now,
                )
            )
            if assignment_status:
                assigns.append(
                    (
                        self._take("Assignment"),
                        aid,
                        lead,
                        "lead",
                        assignment_status,
                        True,
                        1,
                        W.dt(t_dispatch),
                        W.dt(claim_due),
                        W.dt(claimed_at),
                        None,
                        "",
                    )
                )
            for row in fu_rows:
                fus.append(row[:-1] + (W.dt(row[-1]),))
            for k, t, fr, to, unit, note, data, who in ev:
                events.append(
                    (
                        self._take("AppealEvent"),
                        aid,
                        k,
                        None,
                        who,
                        unit,
                        fr,
                        to,
                        note,
                        _json(data),
                        W.dt(t),
                    )
                )
        W.write(Appeal, appeals)
        W.write(Assignment, self._order(Assignment, assigns))
        W.write(FollowUp, self._order(FollowUp, fus))
        W.write(AppealEvent, self._order(AppealEvent, events))
        W.write(
            DeadlineMiss,
            self._order(
                DeadlineMiss,
                [(m[0], m[1], m[2], m[3], W.dt(m[4]), W.dt(m[5]), W.dt(m[6])) for m in misses],
            ),
        )
        self.counts["appeals"] += len(appeals)
        self.counts["events"] += len(events)
        self.counts["follow_ups"] += len(fus)
        self.counts["assignments"] += len(assigns)
        self.counts["misses"] += len(misses)

    # Column orders: rows above are built in a fixed "logical" order; map them to the model's.
    LOGICAL = {
        "Assignment": [
            "id",
            "appeal_id",
            "unit_id",
            "role",
            "status",
            "active",
            "round",
            "dispatched_at",
            "claim_due_at",
            "claimed_at",
            "claimed_by_id",
            "note",
        ],
        "FollowUp": [
            "id",
            "appeal_id",
            "rated_appeal_id",
            "source",
            "unit_id",
            "round",
            "reached",
            "contacted",
            "solved",
            "satisfaction",
            "comment",
            "actor_id",
            "created_at",
        ],
        "AppealEvent": [
            "id",
            "appeal_id",
            "kind",
            "actor_id",
            "actor_name",
            "unit_id",
            "from_status",
            "to_status",
            "note",
            "data",
            "created_at",
        ],
        "DeadlineMiss": ["id", "appeal_id", "step", "unit_id", "due_at", "detected_at", "done_at"],
    }

    def _order(self, model, rows: list[tuple]) -> list[tuple]:
        """Rows in the model's column order (columns added to the model later get defaults)."""
        logical = self.LOGICAL[model.__name__]
        cols = _columns(model)
        if cols == logical:
            return rows
        import operator

        extra = [self._default(model, c) for c in cols if c not in logical]
        src = logical + [c for c in cols if c not in logical]
        getter = operator.itemgetter(*[src.index(c) for c in cols])
        if extra:
            extra_t = tuple(extra)
            return [getter(r + extra_t) for r in rows]
        return [getter(r) for r in rows]

    def _default(self, model, column: str):
        f = next(f for f in model._meta.concrete_fields if f.column == column)
        if f.has_default():
            v = f.get_default()
            if isinstance(v, dict | list):
                return json.dumps(v)
            if isinstance(v, dt.datetime):
                return self.writer.dt(v)
            return v
        if f.null:
            return None
        return "" if f.get_internal_type() in ("CharField", "TextField") else 0

    def _appeal_row(
        self,
        aid,
        created,
        channel,
        kind,
        name,
        phone,
        subject,
        place,
        grid,
        street,
        cat_id,
        urgency,
        status,
        lead,
        a,
        claim_due,
        contact_due,
        resolve_due,
        dispatched,
    ) -> tuple:
        W = self.writer
        values = {
            "id": aid,
            "code": _code(aid),
            "channel": channel,
            "collection_point_id": None,
            "appellant_kind": kind,
            "appellant_name": name,
            "appellant_phone": phone,
            "enterprise_name": f"{name[:1]}氏商贸有限公司" if kind == "enterprise" else "",
            "subject": subject,
            "detail": f"{place}附近{subject}，已经持续一段时间，希望尽快处理。",
            "address": f"{place}{self.rng.randrange(1, 40)}号楼",
            "grid_id": grid,
            "street_id": street,
            "latitude": None,
            "longitude": None,
            "category_id": cat_id,
            "urgency": urgency,
            "status": status,
            "lead_unit_id": lead if dispatched else None,
            "parent_id": None,
            "about_unit_id": None,
            "registered_by_id": None,
            "created_at": W.dt(created),
            "dispatched_at": W.dt(a["dispatched_at"]),
            "claimed_at": W.dt(a["claimed_at"]),
            "contacted_at": W.dt(a["contacted_at"]),
            "resolved_at": W.dt(a["resolved_at"]),
            "replied_at": W.dt(a["replied_at"]),
            "closed_at": W.dt(a["closed_at"]),
            "claim_due_at": W.dt(claim_due) if dispatched else None,
            "contact_due_at": W.dt(contact_due) if dispatched else None,
            "resolve_due_at": W.dt(
                a["current_due_at"] if a["reopen"] and a["current_due_at"] else resolve_due
            )
            if dispatched
            else None,
            "current_due_at": W.dt(a["current_due_at"]),
            "current_step": a["current_step"],
            "outcome_kind": a["outcome_kind"],
            "outcome": a["outcome"],
            "roadmap": "",
            "timetable": "",
            "explanation": "",
            "measures": a["measures"],
            "responsible_office": a["office"],
            "responsible_person": a["person"],
            "reply": a["reply"],
            "satisfaction": a["satisfaction"],
            "solved": a["solved"],
            "reopen_count": a["reopen"],
            "return_count": 0,
            "extension_days": 0,
            "updated_at": W.dt(
                a["closed_at"] or a["replied_at"] or a["resolved_at"] or a["claimed_at"] or created
            ),
        }
        cols = self.field_defaults.get("Appeal")
        if cols is None:
            cols = _columns(Appeal)
            self.field_defaults["Appeal"] = cols
        return tuple(values[c] if c in values else self._default(Appeal, c) for c in cols)
