from django.apps import AppConfig


class ResidentsConfig(AppConfig):
    name = "minhu.residents"
    label = "residents"
    verbose_name = "群众端"
