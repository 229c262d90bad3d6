"""`minhu bench-registry-import`: the registry's xlsx import at scale. Builds 1,000 grids,
writes one workbook of N households (default 200,000) with 3 residents each (600,000, valid
fictional ID numbers), their buildings and some shops, then imports it the way the background
job does (`importer.read` with its progress, then `importer.apply` in one transaction with its
write progress) and imports it a second time (nothing changes). Prints time, rows/s and the
process's peak memory per phase. Meant for an empty throwaway database:
`benchmarks/registry_import_bench.py` starts one (PostgreSQL)."""

from __future__ import annotations

import datetime as dt
import resource
import sys
import tempfile
import time
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction

from minhu.core.xlsx import Workbook
from minhu.orgs.models import Unit
from minhu.registry import importer, personal
from minhu.registry.models import Household, RegistryChange, Resident
from minhu.registry.testing import bench_grids

TAGS = ["", "", "", "", "独居老人", "低保", "出租", "退役军人"]


def _peak_mb() -> float:
    kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return kb / 1024 if sys.platform != "darwin" else kb / 1024 / 1024


def id_number(i: int) -> str:
    """The i-th distinct valid ID number (area, birth date and sequence vary with i)."""
    day = dt.date(1940, 1, 1) + dt.timedelta(days=(i // 1000) % 25_000)
    first17 = f"{370401 + i // 25_000_000}{day:%Y%m%d}{i % 1000:03d}"
    return first17 + personal.id_check_digit(first17)


class Command(BaseCommand):
    help = "户籍台账导入的规模测试：生成并导入 N 户（每户 3 人）的 Excel，打印耗时与内存"

    def add_arguments(self, parser):
        parser.add_argument("--households", type=int, default=200_000)
        parser.add_argument("--residents-per-household", type=int, default=3)
        parser.add_argument("--file", help="keep the generated workbook here")
        parser.add_argument("--no-reimport", action="store_true")

    def handle(self, *args, **opts):
        if Household.objects.exists() or Unit.objects.exists():
            raise CommandError(
                "需要一个空数据库（benchmarks/registry_import_bench.py 会启动临时库）"
            )
        n, per = opts["households"], opts["residents_per_household"]
        w = self.stdout.write
        admin, grids = self._org()
        path = Path(opts["file"] or tempfile.mkstemp(suffix=".xlsx", prefix="registry-")[1])
        t = time.perf_counter()
        rows = self._workbook(path, n, per, grids)
        w(
            f"{connection.vendor}: workbook of {rows:,} rows ({n:,} households, {n * per:,} "
            f"residents) written: {path.stat().st_size / 1e6:.1f} MB in "
            f"{time.perf_counter() - t:.1f} s"
        )
        base = _peak_mb()
        w(f"peak memory before the import: {base:.0f} MB")
        content = path.read_bytes()
        for run in ("first import", "re-import") if not opts["no_reimport"] else ("first import",):
            self._import(run, content, admin, grids, w)
        w(
            f"rows in the database: {Household.objects.count():,} households, "
            f"{Resident.objects.count():,} residents, {RegistryChange.objects.count():,} "
            "change rows"
        )
        if not opts["file"]:
            path.unlink()

    def _import(self, run, content, admin, grids, w):
        last = [0.0]

        def progress(label):
            def report(done, total):
                now = time.perf_counter()
                if now - last[0] >= 10 or done >= total:
                    last[0] = now
                    w(f"  {run} {label}: {done:,} / {total:,} rows ({_peak_mb():.0f} MB peak)")

            return report

        t = time.perf_counter()
        parsed = importer.read(content, grids=grids, progress=progress("checked"))
        check = time.perf_counter() - t
        if parsed.errors:
            raise CommandError(f"unexpected errors: {[e.as_dict() for e in parsed.errors[:5]]}")
        w(
            f"{run}: check {parsed.total:,} rows in {check:.1f} s "
            f"({parsed.total / check:,.0f} rows/s), peak memory {_peak_mb():.0f} MB"
        )
        t = time.perf_counter()
        counts = importer.apply(
            parsed, actor=admin, source=f"bench:{run}", progress=progress("written")
        )
        write = time.perf_counter() - t
        w(
            f"{run}: write in {write:.1f} s ({parsed.total / write:,.0f} rows/s), "
            f"peak memory {_peak_mb():.0f} MB; total {check + write:.1f} s "
            f"({parsed.total / (check + write):,.0f} rows/s)"
        )
        w(f"{run}: {counts.as_dict()}")

    @transaction.atomic
    def _org(self):
        _district, grids, admin = bench_grids()
        return admin, grids

    def _workbook(self, path: Path, n: int, per: int, grids) -> int:
        """Buildings of 2 units × 6 floors × 2 rooms (24 households), in estates of 10
        buildings; shops one per 40 households. Streamed to disk (write-only workbook)."""
        wb = Workbook()
        per_grid = max(1, -(-n // len(grids)))

        def where(i):
            g = grids[min(i // per_grid, len(grids) - 1)]
            b = i % per_grid // 24
            k = i % 24
            return (
                g,
                f"小区{b // 10 + 1}",
                f"{b + 1}号楼",
                str(k // 12 + 1),
                f"{k % 12 // 2 + 1}0{k % 2 + 1}",
            )

        ws = wb.sheet("楼宇")
        ws.append([h for h, _f, _r in importer.SHEETS["楼宇"]])
        seen, count = set(), 0
        for i in range(n):
            g, estate, building, _u, _r = where(i)
            if (g.code, estate, building) in seen:
                continue
            seen.add((g.code, estate, building))
            ws.append(
                [
                    g.code,
                    estate,
                    "小区",
                    f"{g.name}{estate}",
                    building,
                    2,
                    6,
                    "是" if i % 7 == 0 else "",
                ]
            )
            count += 1
        del seen
        ws = wb.sheet("住户")
        ws.append([h for h, _f, _r in importer.SHEETS["住户"]])
        for i in range(n):
            g, estate, building, unit, room = where(i)
            addr = f"{g.name}{estate}{building}{unit}单元{room}室"
            ws.append(
                [
                    g.code,
                    estate,
                    building,
                    unit,
                    room,
                    addr,
                    f"户主{i}",
                    f"139{i:08d}",
                    per,
                    TAGS[i % len(TAGS)],
                ]
            )
            count += 1
        ws = wb.sheet("居民")
        ws.append([h for h, _f, _r in importer.SHEETS["居民"]])
        relations = ["户主", "配偶", "子女", "父母", "其他"]
        for i in range(n):
            g, estate, building, unit, room = where(i)
            for k in range(per):
                ws.append(
                    [
                        g.code,
                        estate,
                        building,
                        unit,
                        room,
                        "",
                        f"居民{i}-{k}",
                        relations[min(k, 4)],
                        id_number(i * per + k),
                        f"138{i:08d}" if k == 0 else "",
                    ]
                )
                count += 1
        ws = wb.sheet("商铺")
        ws.append([h for h, _f, _r in importer.SHEETS["商铺"]])
        for i in range(0, n, 40):
            g = grids[min(i // per_grid, len(grids) - 1)]
            ws.append(
                [
                    g.code,
                    f"便民店{i}",
                    f"经营者{i}",
                    "零售",
                    f"137{i:08d}",
                    f"91370400MA{i:08d}",
                    f"{g.name}沿街{i}号",
                ]
            )
            count += 1
        with path.open("wb") as f:
            wb.save(f)
        return count
