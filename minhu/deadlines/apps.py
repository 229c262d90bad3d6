from django.apps import AppConfig


class DeadlinesConfig(AppConfig):
    name = "minhu.deadlines"
    label = "deadlines"
    verbose_name = "时限"
