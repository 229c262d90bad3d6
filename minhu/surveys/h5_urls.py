"""The residents' questionnaire pages, mounted at /h5/q/ beside the other H5 pages."""

from django.urls import path

from . import views

app_name = "surveys_h5"
urlpatterns = [
    path("<slug:slug>/", views.answer_view, name="answer"),
    path("<slug:slug>/done/", views.done_view, name="done"),
]
