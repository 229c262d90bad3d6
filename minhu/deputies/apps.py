from django.apps import AppConfig


class DeputiesConfig(AppConfig):
    name = "minhu.deputies"
    verbose_name = "人大代表建议"

    def ready(self) -> None:
        from django.utils.translation import gettext_lazy as _

        from minhu.appeals.kinds import WorkKind, register_kind

        from .models import KIND, SOURCE_MODEL

        # The deputy is the appellant: contacted, answered formally and asked to rate, like
        # any resident; the channel `deputy` is a built-in one (appeals.models.Channel).
        register_kind(WorkKind(code=KIND, label=_("人大代表建议"), source_model=SOURCE_MODEL))

        from minhu.demo.parts import DemoPart, register_part

        from . import demo

        register_part(
            DemoPart(
                code="deputies",
                label="人大代表建议",
                order=40,
                build=demo.build,
                is_built=demo.built,
                logins=demo.logins,
            )
        )
