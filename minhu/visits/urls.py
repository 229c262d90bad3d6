from django.urls import path

from . import views

app_name = "visits"
urlpatterns = [
    path("", views.home, name="home"),
    path("new/", views.campaign_new, name="new"),
    path("sw.js", views.service_worker, name="sw"),
    path("domains/", views.domains, name="domains"),
    path("c/<id:pk>/manage/", views.manage, name="manage"),
    path("c/<id:pk>/", views.mine, name="mine"),
    path("c/<id:pk>/h/<id:household_id>/", views.visit_form, name="form"),
    path("c/<id:pk>/coverage/", views.coverage_page, name="coverage"),
    path("c/<id:pk>/ledger/<slug:kind>/", views.ledger, name="ledger"),
    path("door/<id:household_id>/", views.door, name="door"),
    path("door/<id:household_id>/qr.svg", views.door_qr, name="door_qr"),
]
