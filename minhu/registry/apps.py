from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RegistryConfig(AppConfig):
    name = "minhu.registry"
    label = "registry"
    verbose_name = _("户籍台账")
    default_auto_field = "django.db.models.BigAutoField"
