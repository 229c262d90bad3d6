from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from minhu.core import health

urlpatterns = [
    path("healthz", health.healthz, name="healthz"),
    # Browsers ask for /favicon.ico on pages that name no icon (the admin, the API docs).
    path("favicon.ico", health.favicon, name="favicon"),
    path("readyz", health.readyz, name="readyz"),
    path("admin/", admin.site.urls),
    path("i18n/", include("django.conf.urls.i18n")),
    path("api/v1/", include("minhu.api_urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("api/docs/", SpectacularSwaggerSplitView.as_view(url_name="api-schema"), name="api-docs"),
    path("h5/q/", include("minhu.surveys.h5_urls")),
    path("h5/happy/", include("minhu.happiness.h5_urls")),
    path("h5/s/", include("minhu.services.h5_urls")),
    path("h5/", include("minhu.residents.urls")),
    path("open311/", include("minhu.open311.urls")),
    path("routing/", include("minhu.routing.urls")),
    path("evaluation/", include("minhu.evaluation.urls")),
    path("registry/", include("minhu.registry.urls")),
    path("visits/", include("minhu.visits.urls")),
    path("consultation/", include("minhu.consultation.urls")),
    path("deputies/", include("minhu.deputies.urls")),
    path("surveys/", include("minhu.surveys.urls")),
    path("wechat/", include("minhu.wechat.urls")),
    path("happy/", include("minhu.happiness.urls")),
    path("services/", include("minhu.services.urls")),
    path("", include("minhu.web.urls")),
]
# Uploaded photos are not served under MEDIA_URL: only through the scope-checked views
# (web: appeal_photo, API: appeal-attachment-file).

handler404 = "minhu.core.api.page_not_found"
handler500 = "minhu.core.api.server_error"
