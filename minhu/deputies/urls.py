from django.urls import path

from . import views

app_name = "deputies"
urlpatterns = [
    path("", views.suggestions_view, name="suggestions"),
    path("new/", views.new_view, name="new"),
    path("bulk/", views.bulk_view, name="bulk"),
    path("bulk/template.xlsx", views.template_view, name="template"),
    path("imports/<id:pk>/", views.import_view, name="import"),
    path("answers.xlsx", views.answers_xlsx_view, name="answers_xlsx"),
    path("register/", views.register_view, name="register"),
    path("stats/", views.stats_view, name="stats"),
    path("<id:pk>/", views.suggestion_view, name="suggestion"),
]
