from django.apps import AppConfig


class CategoriesConfig(AppConfig):
    name = "minhu.categories"
    label = "categories"
    verbose_name = "诉求分类"
