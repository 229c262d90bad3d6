from django.urls import path

from . import views

app_name = "registry"

urlpatterns = [
    path("", views.households, name="households"),
    path("households/new/", views.household_form, name="household_new"),
    path("households/<int:pk>/", views.household, name="household"),
    path("households/<int:pk>/edit/", views.household_form, name="household_edit"),
    path("households/<int:household_pk>/residents/new/", views.resident_form, name="resident_new"),
    path(
        "households/<int:household_pk>/residents/<int:pk>/edit/",
        views.resident_form,
        name="resident_edit",
    ),
    path("reveal/<str:model>/<int:pk>/<str:field>/", views.reveal, name="reveal"),
    path("residents/", views.residents, name="residents"),
    path("buildings/", views.buildings, name="buildings"),
    path("estates/", views.estates, name="estates"),
    path("shops/", views.shops, name="shops"),
    path("unmaskings/", views.unmaskings, name="unmaskings"),
    path("cadres/", views.cadres, name="cadres"),
    path("imports/", views.imports, name="imports"),
    path("imports/<int:pk>/", views.import_status, name="import"),
    path("template.xlsx", views.import_template, name="template"),
    path("export.xlsx", views.export, name="export"),
]
