from django.urls import path

from . import views

app_name = "routing"
urlpatterns = [
    path("", views.routing_admin, name="admin"),
    path("models/<id:pk>/activate/", views.model_activate, name="model_activate"),
    path("models/deactivate/", views.models_deactivate, name="models_deactivate"),
    path("suggestions/adopt/", views.suggestion_adopt, name="suggestion_adopt"),
    path("rules/", views.rules, name="rules"),
    path("rules/new/", views.rule_edit, name="rule_new"),
    path("rules/<id:pk>/", views.rule_edit, name="rule_edit"),
    path("rules/<id:pk>/deactivate/", views.rule_deactivate, name="rule_deactivate"),
    path("hotspots/", views.hotspot_list, name="hotspots"),
    path("hotspots/problems/", views.problem_mark, name="problem_mark"),
    path("hotspots/problems/<id:pk>/cancel/", views.problem_cancel, name="problem_cancel"),
    path("proposal/<id:appeal_id>/", views.proposal_fragment, name="proposal"),
    path("link/<id:appeal_id>/", views.link, name="link"),
    path("reply-check/<id:appeal_id>/", views.reply_check, name="reply_check"),
]
