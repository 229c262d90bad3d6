from django.urls import path
from rest_framework.routers import SimpleRouter

from . import views

router = SimpleRouter()
router.register("time-limits", views.TimeLimitPolicyViewSet, basename="time-limit")
router.register("calendar-overrides", views.CalendarOverrideViewSet, basename="calendar-override")

urlpatterns = [
    path("calendar/", views.CalendarView.as_view(), name="api-calendar"),
    *router.urls,
]
