from django.apps import AppConfig


class OrgsConfig(AppConfig):
    name = "minhu.orgs"
    label = "orgs"
    verbose_name = "组织"
