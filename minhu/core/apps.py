from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "minhu.core"
    label = "core"
    verbose_name = "核心"
