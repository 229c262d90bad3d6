"""`minhu demo`: load the demo district 云湖区 (see docs/demo.md)."""

from __future__ import annotations

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError

from minhu.appeals.models import Appeal
from minhu.demo.builder import (
    DemoError,
    build_demo,
    demo_state,
    format_logins,
    resident_example,
)
from minhu.demo.district import DISTRICT
from minhu.orgs.models import Unit


class Command(BaseCommand):
    help = "载入演示数据：虚构的云湖区（组织架构、账号、分类、时限、征集点和各状态的诉求）"

    def add_arguments(self, parser):
        parser.add_argument(
            "--appeals", type=int, default=300, help="诉求数量（默认 300，含被合并的重复诉求）"
        )
        parser.add_argument("--seed", type=int, default=0, help="随机种子（相同种子结果相同）")
        parser.add_argument(
            "--if-empty",
            action="store_true",
            help="数据库已有单位时什么也不做（make run 使用）；未建完的演示数据会续建",
        )
        parser.add_argument("--logins", action="store_true", help="只打印演示账号表")
        parser.add_argument("--all", action="store_true", help="与 --logins 一起：列出全部账号")
        parser.add_argument("--flush", action="store_true", help="先清空数据库中的全部数据")
        parser.add_argument(
            "--yes-really", action="store_true", help="确认清空（数据库中已有诉求时必需）"
        )

    def handle(self, *args, **opts):
        if opts["logins"]:
            self.stdout.write(format_logins(full=opts["all"]))
            if not Unit.objects.filter(code=DISTRICT[1]).exists():
                self.stdout.write("（演示数据尚未载入：运行 minhu demo）")
                return
            example = resident_example()
            if example:
                self.stdout.write(
                    f"群众查询/评价示例（/h5/）：查询码 {example.code}，"
                    f"手机号 {example.appellant_phone}（{example.subject}，已答复待评价）"
                )
            return
        if opts["appeals"] < 0:
            raise CommandError("--appeals 不能为负数")
        if opts["flush"]:
            if Appeal.objects.exists() and not opts["yes_really"]:
                raise CommandError(
                    "数据库中已有诉求，--flush 会删除全部数据。确认请加 --yes-really"
                )
            call_command("flush", interactive=False, verbosity=0)
            self.stdout.write("已清空数据库")
        elif opts["if_empty"]:
            state, done = demo_state(opts["seed"], opts["appeals"])
            from minhu.demo.parts import buildable_parts

            if state == "complete" and buildable_parts():
                build_demo(seed=opts["seed"], appeals=opts["appeals"], stdout=self.stdout)
                self.stdout.write("数据库中已有数据，跳过演示数据（--if-empty）")
                return
            if state not in ("empty", "partial"):
                self.stdout.write("数据库中已有数据，跳过演示数据（--if-empty）")
                return
        try:
            build_demo(seed=opts["seed"], appeals=opts["appeals"], stdout=self.stdout)
        except DemoError as e:
            raise CommandError(str(e))
