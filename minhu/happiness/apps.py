from django.apps import AppConfig


class HappinessConfig(AppConfig):
    name = "minhu.happiness"
    label = "happiness"
    verbose_name = "幸福清单与领办项目"

    def ready(self) -> None:
        from django.utils.translation import gettext_lazy as _

        from minhu.appeals.kinds import ChannelInfo, WorkKind, register_channel, register_kind
        from minhu.deadlines.models import Step

        from .models import PROJECT_CHANNEL, PROJECT_KIND, PROJECT_SOURCE

        # A led project (领办"一件事"): tracked to done by its lead unit, with no appellant to
        # call, closed without a follow-up, judged by its own milestones, not the three rates.
        register_kind(
            WorkKind(
                code=PROJECT_KIND,
                label=_("领办项目"),
                needs_contact=False,
                follow_up_to_close=False,
                counts_in_rates=False,
                steps=(Step.CLAIM, Step.RESOLVE),
                source_model=PROJECT_SOURCE,
            )
        )
        register_channel(ChannelInfo(code=PROJECT_CHANNEL, label=_("领办项目"), public=False))

        from minhu.demo.parts import DemoPart, register_part

        from . import demo

        register_part(
            DemoPart(
                code="happiness",
                label="幸福清单与领办项目",
                order=43,
                build=demo.build,
                is_built=demo.built,
                logins=demo.logins,
            )
        )
