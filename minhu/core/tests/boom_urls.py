"""URLs for test_serving: a view that fails the way a bug does."""

from django.urls import path


def boom(request):
    raise RuntimeError("kaboom-in-view")


urlpatterns = [path("boom", boom)]
