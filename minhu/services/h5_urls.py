"""The residents' service supermarket pages, mounted at /h5/s/ beside the other H5 pages."""

from django.urls import path

from . import h5_views

app_name = "services_h5"
urlpatterns = [
    path("", h5_views.catalogue, name="catalogue"),
    path("<id:pk>/", h5_views.service, name="service"),
    path("o/", h5_views.lookup, name="lookup"),
    path("o/<str:number>/", h5_views.order, name="order"),
    path("o/<str:number>/cancel/", h5_views.cancel, name="cancel"),
]
