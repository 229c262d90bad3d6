from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class VisitsConfig(AppConfig):
    name = "minhu.visits"
    label = "visits"
    verbose_name = _("入户走访")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from minhu.appeals.kinds import ChannelInfo, WorkKind, register_channel, register_kind
        from minhu.deadlines.models import Step

        from .access import may_send_problem

        register_kind(
            WorkKind(
                code="visit_problem",
                label=_("走访问题"),
                needs_contact=False,  # the household may have no phone on record
                follow_up_to_close=True,  # the household gets the answer and the follow-up
                counts_in_rates=True,
                steps=(Step.CLAIM, Step.CONTACT, Step.RESOLVE),
                source_model="visits.VisitProblem",
                # A visitor without a registering role sends their own visit's problem.
                may_register=may_send_problem,
            )
        )
        register_channel(
            ChannelInfo(code="visit", label=_("入户走访"), public=False, unit_staff=True)
        )
        from minhu.demo.parts import DemoPart, register_part

        from . import demo

        register_part(
            DemoPart(
                code="visits",
                label="入户走访",
                order=20,
                build=demo.build,
                is_built=demo.is_built,
                logins=demo.logins,
                needs=("registry",),
            )
        )
