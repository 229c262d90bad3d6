from django.apps import AppConfig


class NotificationsConfig(AppConfig):
    name = "minhu.notifications"
    label = "notifications"
    verbose_name = "通知"
