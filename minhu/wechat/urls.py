from django.urls import path

from . import views

app_name = "wechat"
urlpatterns = [
    path("", views.groups_view, name="groups"),
    path("stats/", views.stats_view, name="stats"),
    path("<id:pk>/", views.group_view, name="group"),
    path("<id:pk>/post/", views.post_view, name="post"),
    path("<id:pk>/record/", views.record_view, name="record"),
    path("m/<id:pk>/", views.message_view, name="message"),
    path("m/<id:pk>/answered/", views.answered_view, name="answered"),
]
