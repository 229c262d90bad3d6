from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AppealsConfig(AppConfig):
    name = "minhu.appeals"
    label = "appeals"
    verbose_name = _("诉求")

    def ready(self) -> None:
        from minhu.orgs.usage import register_open_work

        from .queries import open_appeal_count

        register_open_work("appeals", open_appeal_count)
