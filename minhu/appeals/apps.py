from django.apps import AppConfig


class AppealsConfig(AppConfig):
    name = "minhu.appeals"
    label = "appeals"
    verbose_name = "诉求"
