from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ConsultationConfig(AppConfig):
    name = "minhu.consultation"
    label = "consultation"
    verbose_name = _("有事好商量")

    def ready(self):
        from minhu.appeals.kinds import ChannelInfo, WorkKind, register_channel, register_kind
        from minhu.deadlines.models import Step

        from .actions import decision_due_at

        register_kind(
            WorkKind(
                code="meeting_decision",
                label=_("议事决定"),
                needs_contact=False,  # the topic's resident when there is one, else nobody
                follow_up_to_close=False,  # the resident's rating or the centre closes it
                counts_in_rates=False,  # kept out of the three rates of resident appeals
                ranking_group="",
                steps=(Step.CLAIM, Step.RESOLVE),
                source_model="consultation.Decision",
                extra={"due_at": decision_due_at},  # the decision's 完成期限
            )
        )
        register_channel(
            ChannelInfo(code="meeting", label=_("议事会"), public=False, unit_staff=True)
        )

        from minhu.demo.parts import DemoPart, register_part

        from . import demo

        register_part(
            DemoPart(
                code="consultation",
                label="有事好商量与社会力量",
                order=30,
                build=demo.build,
                is_built=demo.is_built,
                logins=demo.logins,
            )
        )

        from minhu.web.tiles import Tile, register_tile

        from . import stats

        register_tile(
            Tile(code="consultation", title=_("有事好商量"), order=10, figures=stats.overview_tile)
        )
