from django.apps import AppConfig


class RoutingConfig(AppConfig):
    name = "minhu.routing"
    label = "routing"
    verbose_name = "智能分拨"
