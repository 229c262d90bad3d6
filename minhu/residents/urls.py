"""Residents' and enterprises' H5 pages, mounted at /h5/."""

from django.urls import path

from . import views

app_name = "residents"
urlpatterns = [
    path("", views.home, name="home"),
    path("new/", views.new, name="new"),
    path("done/<str:code>/", views.done, name="done"),
    path("track/", views.track, name="track"),
    path("track/forget/", views.track_forget, name="track_forget"),
    path("track/<str:code>/", views.track_detail, name="track_detail"),
    path("track/<str:code>/rate/", views.track_rate, name="track_rate"),
    # Collection points: the QR code opens the submit form tagged with the point.
    path("p/<slug:point_code>/", views.point, name="point"),
    path("p/<slug:point_code>/rate/", views.point_rate, name="point_rate"),
    path("p/<slug:point_code>/rate/thanks/", views.point_rate_thanks, name="point_rate_thanks"),
    # Enterprises (营商环境意见码).
    path("e/", views.enterprise, name="enterprise"),
    path("e/p/<slug:point_code>/", views.enterprise_point, name="enterprise_point"),
    path("e/rate/", views.enterprise_rate, name="enterprise_rate"),
    path("e/rate/thanks/", views.enterprise_rate_thanks, name="enterprise_rate_thanks"),
    # Printable QR codes (staff link these from the collection-point list).
    path("qr/<slug:point_code>.svg", views.qr_image, {"fmt": "svg"}, name="qr_svg"),
    path("qr/<slug:point_code>.png", views.qr_image, {"fmt": "png"}, name="qr_png"),
    path("qr/<slug:point_code>/poster/", views.poster, name="poster"),
    path(
        "qr/<slug:point_code>/rate.svg",
        views.qr_image,
        {"fmt": "svg", "kind": "rate"},
        name="qr_rate_svg",
    ),
    path(
        "qr/<slug:point_code>/rate.png",
        views.qr_image,
        {"fmt": "png", "kind": "rate"},
        name="qr_rate_png",
    ),
    path("qr/<slug:point_code>/rate/poster/", views.poster, {"kind": "rate"}, name="rate_poster"),
]
