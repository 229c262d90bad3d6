from django.urls import path

from . import views

app_name = "services"
urlpatterns = [
    path("", views.desk_view, name="desk"),
    path("take/", views.take_view, name="take"),
    path("orders/<id:pk>/place/", views.place_view, name="place"),
    path("orders/<id:pk>/reject/", views.reject_view, name="reject"),
    path("catalogue/", views.catalogue_view, name="catalogue"),
    path("catalogue/new/", views.create_service_view, name="create"),
    path("catalogue/<id:pk>/", views.service_view, name="service"),
    path("figures/", views.figures_view, name="figures"),
]
