from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CategoriesConfig(AppConfig):
    name = "minhu.categories"
    label = "categories"
    verbose_name = _("诉求分类")
