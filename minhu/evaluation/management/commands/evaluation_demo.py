"""Fill the accountability side of a demo district (see minhu.evaluation.demo)."""

from django.core.management.base import BaseCommand

from minhu.evaluation.demo import populate


class Command(BaseCommand):
    help = "为演示数据发布排名、基层评机关、约谈、红黑榜与督办"

    def add_arguments(self, parser):
        parser.add_argument("--seed", type=int, default=0)

    def handle(self, *args, **opts):
        populate(seed=opts["seed"], stdout=self.stdout)
