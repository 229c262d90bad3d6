from django.apps import AppConfig


class EvaluationConfig(AppConfig):
    name = "minhu.evaluation"
    label = "evaluation"
    verbose_name = "考核评价"
