from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ServicesConfig(AppConfig):
    name = "minhu.services"
    label = "services"
    verbose_name = _("服务超市")

    def ready(self):
        from minhu.appeals.kinds import ChannelInfo, WorkKind, register_channel, register_kind
        from minhu.deadlines.models import Step

        from . import actions
        from .models import CHANNEL, KIND, SOURCE_MODEL

        register_kind(
            WorkKind(
                code=KIND,
                label=_("服务订单"),
                needs_contact=True,  # the resident who ordered: the provider calls, they rate
                follow_up_to_close=False,  # the resident's rating or the desk closes it
                counts_in_rates=False,  # judged in the services' own figures, not the 3 rates
                ranking_group="",
                steps=(Step.CLAIM, Step.RESOLVE),
                source_model=SOURCE_MODEL,
                extra={"due_at": actions.due_at},  # the service's time limit
            )
        )
        # The front desk (a community's staff) registers the orders it places.
        register_channel(
            ChannelInfo(code=CHANNEL, label=_("服务超市"), public=False, unit_staff=True)
        )

        from minhu.demo.parts import DemoPart, register_part

        from . import demo

        register_part(
            DemoPart(
                code="services",
                label="物业服务360超市",
                order=31,  # after the consultation part: its outside parties are the providers
                build=demo.build,
                is_built=demo.is_built,
                logins=demo.logins,
            )
        )

        from minhu.web.tiles import Tile, register_tile

        from . import stats

        register_tile(
            Tile(code="services", title=_("服务超市"), order=11, figures=stats.overview_tile)
        )
