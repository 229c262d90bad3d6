from django.urls import path

from minhu.core.routers import Router

from . import views

router = Router()
router.register("services", views.ServiceViewSet, basename="service")
router.register("service-orders", views.ServiceOrderViewSet, basename="service-order")

urlpatterns = [
    path("service-figures/", views.ServiceFiguresView.as_view(), name="service-figures"),
    *router.urls,
]
