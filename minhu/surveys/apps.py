from django.apps import AppConfig


class SurveysConfig(AppConfig):
    name = "minhu.surveys"
    verbose_name = "问卷调查"

    def ready(self) -> None:
        from django.utils.translation import gettext_lazy as _

        from minhu.appeals.kinds import WorkKind, register_kind

        from .models import KIND, SOURCE_MODEL

        # An answer that reports a problem: a resident's appeal in all but its source (named
        # answers are called back and rated; anonymous ones are not).
        register_kind(WorkKind(code=KIND, label=_("问卷反映问题"), source_model=SOURCE_MODEL))

        from minhu.demo.parts import DemoPart, register_part

        from . import demo

        register_part(
            DemoPart(
                code="surveys",
                label="问卷调查",
                order=41,
                build=demo.build,
                is_built=demo.built,
                logins=demo.logins,
            )
        )
