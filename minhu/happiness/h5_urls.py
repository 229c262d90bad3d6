"""The public 幸福清单 and project pages, mounted at /h5/happy/ beside the other H5 pages."""

from django.urls import path

from . import views

app_name = "happiness_h5"
urlpatterns = [
    path("", views.public_index, name="index"),
    path("p/<id:pk>/", views.public_project, name="project"),
    path("<slug:code>/", views.public_unit, name="unit"),
]
