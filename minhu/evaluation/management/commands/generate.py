"""`minhu generate --appeals N`: bulk-generate realistic appeals for benchmarks and demos."""

import time

from django.core.management.base import BaseCommand

from minhu.evaluation import aggregates
from minhu.evaluation.generate import Generator, build_world


class Command(BaseCommand):
    help = "批量生成逼真的诉求、事件与回访（COPY/批量写入），并重建汇总表"

    def add_arguments(self, parser):
        parser.add_argument("--appeals", type=int, required=True)
        parser.add_argument("--years", type=float, default=2.0, help="spread over this many years")
        parser.add_argument("--seed", type=int, default=1)
        parser.add_argument("--batch", type=int, default=20_000)
        parser.add_argument(
            "--workers",
            type=int,
            default=1,
            help="PostgreSQL: load with this many processes (about one per core)",
        )
        parser.add_argument("--no-aggregate", action="store_true")

    def handle(self, *args, **opts):
        gen = Generator(
            opts["appeals"],
            years=opts["years"],
            seed=opts["seed"],
            batch=opts["batch"],
            workers=opts["workers"],
        )
        world = build_world(gen.rng)
        self.stdout.write(
            f"organisation: {len(world.streets)} streets/towns, {len(world.grids)} grids, "
            f"{len(world.departments)} departments, {len(world.categories)} categories"
        )
        counts = gen.run(world, progress=lambda m: self.stdout.write("  " + m))
        rate = counts["appeals"] / max(counts["seconds"], 0.001)
        self.stdout.write(
            f"generated {counts['appeals']:,} appeals, {counts['events']:,} events, "
            f"{counts['follow_ups']:,} follow-ups, {counts['assignments']:,} assignments, "
            f"{counts['misses']:,} deadline misses in {counts['seconds']}s ({rate:,.0f} appeals/s)"
        )
        if not opts["no_aggregate"]:
            t = time.perf_counter()
            result = aggregates.rebuild()
            self.stdout.write(f"aggregates rebuilt: {result} in {time.perf_counter() - t:.1f}s")
        self.stdout.write(f"database size: {aggregates.database_size()}")
