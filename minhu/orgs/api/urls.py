from django.urls import path

from minhu.core.routers import Router

from . import views
from .changes import ConfigChangeViewSet

router = Router()
router.register("units", views.UnitViewSet, basename="unit")
router.register("users", views.UserViewSet, basename="user")
router.register("memberships", views.MembershipViewSet, basename="membership")
router.register("config-changes", ConfigChangeViewSet, basename="config-change")

urlpatterns = [
    path("auth/token/", views.TokenView.as_view(), name="api-token"),
    path("me/", views.MeView.as_view(), name="api-me"),
    *router.urls,
]
