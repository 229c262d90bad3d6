from django.urls import path

from . import views

app_name = "surveys"
urlpatterns = [
    path("", views.list_view, name="list"),
    path("<id:pk>/", views.detail_view, name="detail"),
    path("<id:pk>/results/", views.results_view, name="results"),
    path("<id:pk>/responses/", views.responses_view, name="responses"),
    path("<id:pk>/responses/<id:rid>/appeal/", views.make_appeal_view, name="make_appeal"),
    path("<id:pk>/export.xlsx", views.export_view, name="export"),
    path("<id:pk>/qr.svg", views.qr_view, {"fmt": "svg"}, name="qr_svg"),
    path("<id:pk>/qr.png", views.qr_view, {"fmt": "png"}, name="qr_png"),
    path("<id:pk>/poster/", views.poster_view, name="poster"),
]
