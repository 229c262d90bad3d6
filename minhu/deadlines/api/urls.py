from django.urls import path

from minhu.core.routers import Router

from . import views

router = Router()
router.register("time-limits", views.TimeLimitPolicyViewSet, basename="time-limit")
router.register("calendar-overrides", views.CalendarOverrideViewSet, basename="calendar-override")

urlpatterns = [
    path("calendar/", views.CalendarView.as_view(), name="api-calendar"),
    *router.urls,
]
