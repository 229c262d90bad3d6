from django.urls import path

from . import views

urlpatterns = [
    path(
        "routing/appeals/<id:appeal_id>/proposal/",
        views.ProposalView.as_view(),
        name="routing-proposal",
    ),
    path(
        "routing/appeals/<id:appeal_id>/duplicates/",
        views.DuplicatesView.as_view(),
        name="routing-duplicates",
    ),
    path("routing/appeals/<id:appeal_id>/links/", views.LinksView.as_view(), name="routing-links"),
    path(
        "routing/appeals/<id:appeal_id>/reply-check/",
        views.ReplyCheckView.as_view(),
        name="routing-reply-check",
    ),
    path("routing/hotspots/", views.HotspotsView.as_view(), name="routing-hotspots"),
    path("routing/models/", views.ModelsView.as_view(), name="routing-models"),
    path(
        "routing/models/<id:pk>/activate/",
        views.ModelActivateView.as_view(),
        name="routing-model-activate",
    ),
    path("routing/dispatch-rules/", views.RulesView.as_view(), name="routing-rules"),
    path("routing/dispatch-rules/<id:pk>/", views.RuleView.as_view(), name="routing-rule"),
    path("routing/config/", views.ConfigView.as_view(), name="routing-config"),
]
