from django.urls import path

from . import views

p = "evaluation/"
urlpatterns = [
    path(p + "config/", views.config_view, name="evaluation-config"),
    path(p + "rates/", views.rates_view, name="evaluation-rates"),
    path(p + "drilldown/", views.drilldown_view, name="evaluation-drilldown"),
    path(p + "rankings/", views.rankings_view, name="evaluation-rankings"),
    path(p + "rankings/publish/", views.publish_view, name="evaluation-publish"),
    path(p + "snapshots/", views.snapshots_view, name="evaluation-snapshots"),
    path(p + "snapshots/<id:pk>/", views.snapshot_view, name="evaluation-snapshot"),
    path(
        p + "snapshots/<id:pk>/difference/",
        views.snapshot_difference_view,
        name="evaluation-snapshot-difference",
    ),
    path(p + "dashboard/", views.dashboard_view, name="evaluation-dashboard"),
    path(p + "reviews/", views.reviews_view, name="evaluation-reviews"),
    path(p + "interviews/", views.interviews_view, name="evaluation-interviews"),
    path(
        p + "interviews/<id:pk>/record/",
        views.interview_record_view,
        name="evaluation-interview-record",
    ),
    path(p + "nominations/", views.nominations_view, name="evaluation-nominations"),
    path(p + "nominations/propose/", views.nominations_propose_view, name="evaluation-propose"),
    path(p + "nominations/<id:pk>/decide/", views.nomination_decide_view, name="evaluation-decide"),
    path(p + "public/redblack/", views.public_redblack_view, name="evaluation-public-redblack"),
    path(p + "public/exam/<id:pk>/", views.public_exam_view, name="evaluation-public-exam"),
    path(p + "supervisions/", views.supervisions_view, name="evaluation-supervisions"),
    path(
        p + "supervisions/<id:pk>/close/",
        views.supervision_close_view,
        name="evaluation-supervision-close",
    ),
    path(p + "ledgers/<str:kind>/", views.ledger_view, name="evaluation-ledger"),
    path(p + "imports/", views.import_view, name="evaluation-import"),
    path(p + "imports/<id:pk>/", views.import_status_view, name="evaluation-import-status"),
]
