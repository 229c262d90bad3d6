from django.apps import AppConfig


class DemoConfig(AppConfig):
    name = "minhu.demo"
    label = "demo"
    verbose_name = "演示数据"
