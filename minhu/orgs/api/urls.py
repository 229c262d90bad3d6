from django.urls import path
from rest_framework.routers import SimpleRouter

from . import views
from .changes import ConfigChangeViewSet

router = SimpleRouter()
router.register("units", views.UnitViewSet, basename="unit")
router.register("users", views.UserViewSet, basename="user")
router.register("memberships", views.MembershipViewSet, basename="membership")
router.register("config-changes", ConfigChangeViewSet, basename="config-change")

urlpatterns = [
    path("auth/token/", views.TokenView.as_view(), name="api-token"),
    path("me/", views.MeView.as_view(), name="api-me"),
    *router.urls,
]
