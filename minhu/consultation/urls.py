from django.urls import path

from . import views

app_name = "consultation"
urlpatterns = [
    path("", views.rooms_view, name="rooms"),
    path("topics/new/", views.new_topic_view, name="new_topic"),
    path("photos/<id:pk>/", views.photo_view, name="photo"),
    path("rooms/<id:pk>/", views.room_view, name="room"),
    path("rooms/<id:pk>/members/", views.add_member_view, name="add_member"),
    path("rooms/<id:pk>/visits/", views.visit_view, name="visit"),
    path("rooms/<id:pk>/topics/", views.topic_view, name="topic"),
    path("topics/<id:pk>/convene/", views.convene_view, name="convene"),
    path("meetings/<id:pk>/hold/", views.hold_view, name="hold"),
    path("meetings/<id:pk>/cancel/", views.cancel_view, name="cancel"),
    path("meetings/<id:pk>/decide/", views.decide_view, name="decide"),
]
