from django.urls import path

from . import views

app_name = "registry"

urlpatterns = [
    path("", views.households, name="households"),
    path("households/new/", views.household_form, name="household_new"),
    path("households/<int:pk>/", views.household, name="household"),
    path("households/<int:pk>/edit/", views.household_form, name="household_edit"),
    path("households/<int:pk>/cadre/", views.household_cadre, name="household_cadre"),
    path("households/<int:household_pk>/residents/new/", views.resident_form, name="resident_new"),
    path(
        "households/<int:household_pk>/residents/<int:pk>/edit/",
        views.resident_form,
        name="resident_edit",
    ),
    path("reveal/<str:model>/<int:pk>/<str:field>/", views.reveal, name="reveal"),
    path("residents/", views.residents, name="residents"),
    path("buildings/", views.buildings, name="buildings"),
    path("buildings/new/", views.building_form, name="building_new"),
    path("buildings/<int:pk>/edit/", views.building_form, name="building_edit"),
    path("estates/", views.estates, name="estates"),
    path("estates/new/", views.estate_form, name="estate_new"),
    path("estates/<int:pk>/edit/", views.estate_form, name="estate_edit"),
    path("shops/", views.shops, name="shops"),
    path("shops/new/", views.shop_form, name="shop_new"),
    path("shops/<int:pk>/edit/", views.shop_form, name="shop_edit"),
    path("unmaskings/", views.unmaskings, name="unmaskings"),
    path("cadres/", views.cadres, name="cadres"),
    path("leaders/", views.leaders, name="leaders"),
    path("imports/", views.imports, name="imports"),
    path("imports/<int:pk>/", views.import_status, name="import"),
    path("template.xlsx", views.import_template, name="template"),
    path("export.xlsx", views.export, name="export"),
]
