from django.urls import path

from . import views

app_name = "evaluation"
urlpatterns = [
    path("", views.dashboard_view, name="dashboard"),
    path("rankings/", views.rankings_view, name="rankings"),
    path("rankings/publish/", views.publish_view, name="publish"),
    path("rankings/snapshots/<id:pk>/", views.snapshot_view, name="snapshot"),
    path("rates/", views.rates_view, name="rates"),
    path("appeals/", views.appeals_view, name="appeals"),
    path("evaluations/", views.evaluations_view, name="evaluations"),
    path("evaluations/review/", views.review_submit_view, name="review_submit"),
    path("evaluations/flag/", views.flag_evaluations_view, name="flag_evaluations"),
    path("interviews/", views.interviews_view, name="interviews"),
    path("interviews/<id:pk>/", views.interview_view, name="interview"),
    path("redblack/", views.redblack_view, name="redblack"),
    path("redblack/nominate/", views.nominate_view, name="nominate"),
    path("redblack/<id:pk>/decide/", views.decide_view, name="decide"),
    path("public/redblack/", views.public_redblack_view, name="public_redblack"),
    path("public/", views.public_index_view, name="public_index"),
    path("public/<id:pk>/", views.public_exam_view, name="public_exam"),
    path("supervision/", views.supervision_view, name="supervision"),
    path("supervision/new/", views.supervise_view, name="supervise"),
    path("supervision/<id:pk>/close/", views.supervision_close_view, name="supervision_close"),
    path("ledgers/", views.ledgers_view, name="ledgers"),
    path("ledgers/download/", views.ledger_download_view, name="ledger_download"),
    path("import/", views.import_view, name="import"),
    path("import/template/", views.import_template_view, name="import_template"),
    path("import/<id:pk>/", views.import_job_view, name="import_job"),
    path("config/", views.config_view, name="config"),
]
