"""Every app's API under /api/v1/."""

from django.urls import include, path

urlpatterns = [
    path("", include("minhu.orgs.api.urls")),
    path("", include("minhu.categories.api.urls")),
    path("", include("minhu.deadlines.api.urls")),
    path("", include("minhu.appeals.api.urls")),
    path("", include("minhu.notifications.api.urls")),
    path("", include("minhu.routing.api.urls")),
    path("", include("minhu.evaluation.api.urls")),
    path("", include("minhu.open311.api.urls")),
    path("", include("minhu.services.api.urls")),
    path("", include("minhu.consultation.api.urls")),
    path("", include("minhu.deputies.api.urls")),
    path("", include("minhu.surveys.api.urls")),
    path("", include("minhu.wechat.api.urls")),
]
