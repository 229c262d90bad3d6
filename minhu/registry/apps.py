from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RegistryConfig(AppConfig):
    name = "minhu.registry"
    label = "registry"
    verbose_name = _("户籍台账")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from minhu.demo.parts import DemoPart, register_part

        from . import demo

        register_part(
            DemoPart(
                code="registry",
                label="户籍台账",
                order=10,
                build=demo.build,
                is_built=demo.is_built,
                logins=demo.logins,
            )
        )
