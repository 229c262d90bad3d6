"""/open311/: discovery and GeoReport v2 (each resource as .json or .xml)."""

from django.urls import re_path

from . import views

app_name = "open311"
F = r"\.(?P<fmt>json|xml)$"

urlpatterns = [
    re_path(r"^discovery" + F, views.discovery, name="discovery"),
    re_path(r"^v2/services" + F, views.services, name="services"),
    re_path(r"^v2/services/(?P<code>[-\w]+)" + F, views.service_definition, name="service"),
    re_path(r"^v2/requests" + F, views.requests_, name="requests"),
    re_path(r"^v2/requests/(?P<request_id>[0-9A-Za-z]+)" + F, views.request_detail, name="request"),
    re_path(r"^v2/tokens/(?P<token>[-0-9a-fA-F]+)" + F, views.token, name="token"),
    re_path(r"^v2/servicerequestupdates" + F, views.request_updates, name="updates"),
]
