from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class EvaluationConfig(AppConfig):
    name = "minhu.evaluation"
    label = "evaluation"
    verbose_name = _("考核评价")

    def ready(self):
        from minhu.appeals.kinds import ChannelInfo, WorkKind, register_channel, register_kind
        from minhu.deadlines.models import Step
        from minhu.orgs.models import Role

        from . import promises

        # 约谈 promises (seed 001): the unit called in must keep its public promise by its date;
        # the loop tracks it like any work item and a missed one is overdue.
        register_kind(
            WorkKind(
                code=promises.KIND,
                label=_("约谈整改承诺"),
                needs_contact=False,  # no appellant: the public is told on the 阅卷 page
                follow_up_to_close=False,  # the centre checks the result and closes it
                counts_in_rates=False,  # not a resident's appeal: outside the unit's rates
                ranking_group="",
                steps=(Step.CLAIM, Step.RESOLVE),
                source_model="evaluation.Interview",
                extra={
                    # the leader who records the talk registers it, through its channel only
                    "register_roles": (Role.DISTRICT_LEADER,),
                    "channel": promises.CHANNEL,
                    "resolve_due": promises.resolve_due,
                },
            )
        )
        register_channel(ChannelInfo(code=promises.CHANNEL, label=_("约谈"), public=False))
