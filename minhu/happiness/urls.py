from django.urls import path

from . import views

app_name = "happiness"
urlpatterns = [
    path("", views.listings_view, name="listings"),
    path("candidates/", views.candidates_view, name="candidates"),
    path("publish/<id:pk>/", views.publish_view, name="publish"),
    path("<id:pk>/withdraw/", views.withdraw_view, name="withdraw"),
    path("projects/", views.projects_view, name="projects"),
    path("projects/<id:pk>/", views.project_view, name="project"),
]
