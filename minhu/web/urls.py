from django.contrib.auth import views as auth_views
from django.urls import path

from .views import (
    account,
    appeal,
    bulk,
    config_log,
    dispatch,
    exports,
    followup,
    lists,
    manage,
    overview,
    saved,
    supervision,
    workbench,
)

app_name = "web"
urlpatterns = [
    path("login/", account.LoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("account/password/", account.change_password, name="change_password"),
    path("", lists.home, name="home"),
    # appeals
    path("appeals/", lists.appeal_list, name="appeals"),
    path("appeals/new/", dispatch.intake, name="intake"),
    path("appeals/new/attributes/", dispatch.intake_attributes, name="intake_attributes"),
    path("appeals/new/caller/", dispatch.intake_caller, name="intake_caller"),
    path("appeals/<id:pk>/", appeal.appeal_detail, name="appeal"),
    path("appeals/<id:pk>/main/", appeal.appeal_main, name="appeal_main"),
    path("appeals/<id:pk>/act/<slug:name>/", appeal.appeal_action, name="appeal_action"),
    path("appeals/<id:pk>/supervise/", supervision.appeal_supervise, name="appeal_supervise"),
    path("appeals/<id:pk>/photos/<id:att_id>/", appeal.attachment_file, name="appeal_photo"),
    # dispatch centre
    path("dispatch/", dispatch.dispatch_centre, name="dispatch"),
    path("dispatch/<id:pk>/panel/", dispatch.dispatch_panel, name="dispatch_panel"),
    path("dispatch/<id:pk>/proposal/", dispatch.dispatch_proposal, name="dispatch_proposal"),
    path("dispatch/<id:pk>/lead/", dispatch.dispatch_lead, name="dispatch_lead"),
    # unit workbench
    path("workbench/", workbench.workbench, name="workbench"),
    # follow-up
    path("follow-up/", followup.follow_up_queue, name="follow_up"),
    path("follow-up/<id:pk>/panel/", followup.follow_up_panel, name="follow_up_panel"),
    # overview
    path("overview/", overview.overview, name="overview"),
    # notifications
    path("notifications/", lists.notifications, name="notifications"),
    path("notifications/recent/", lists.notifications_recent, name="notifications_recent"),
    path("notifications/bell/", lists.notifications_bell, name="notifications_bell"),
    path("notifications/<id:pk>/read/", lists.notification_read, name="notification_read"),
    path("notifications/read-all/", lists.notifications_read_all, name="notifications_read_all"),
    # bulk actions on selected rows
    path("bulk/<slug:name>/", bulk.bulk_action, name="bulk"),
    # saved views (personal filters of a list)
    path("views/save/", saved.view_save, name="view_save"),
    path("views/<id:pk>/delete/", saved.view_delete, name="view_delete"),
    # list exports (xlsx)
    path("exports/", exports.export_list, name="exports"),
    path("exports/new/", exports.export_start, name="export_start"),
    path("exports/<id:pk>/", exports.export_detail, name="export"),
    path("exports/<id:pk>/file/", exports.export_file, name="export_file"),
    # administration
    path("manage/", manage.manage_home, name="manage"),
    path("manage/units/", manage.units, name="manage_units"),
    path("manage/units/new/", manage.unit_edit, name="manage_unit_new"),
    path("manage/units/<id:pk>/", manage.unit_edit, name="manage_unit"),
    path("manage/units/<id:pk>/toggle/", manage.unit_toggle, name="manage_unit_toggle"),
    path("manage/users/", manage.users, name="manage_users"),
    path("manage/users/new/", manage.user_create, name="manage_user_new"),
    path("manage/users/<id:pk>/", manage.user_edit, name="manage_user"),
    path("manage/categories/", manage.categories, name="manage_categories"),
    path("manage/categories/new/", manage.category_edit, name="manage_category_new"),
    path("manage/categories/<id:pk>/", manage.category_edit, name="manage_category"),
    path("manage/time-limits/", manage.time_limits, name="manage_time_limits"),
    path("manage/time-limits/new/", manage.time_limit_edit, name="manage_time_limit_new"),
    path("manage/time-limits/<id:pk>/", manage.time_limit_edit, name="manage_time_limit"),
    path(
        "manage/time-limits/<id:pk>/delete/",
        manage.time_limit_delete,
        name="manage_time_limit_delete",
    ),
    path("manage/calendar/", manage.calendar, name="manage_calendar"),
    path("manage/calendar/<id:pk>/delete/", manage.calendar_delete, name="manage_calendar_delete"),
    path("manage/points/", manage.points, name="manage_points"),
    path("manage/points/new/", manage.point_edit, name="manage_point_new"),
    path("manage/points/<id:pk>/", manage.point_edit, name="manage_point"),
    path("manage/changes/", config_log.changes, name="manage_changes"),
]
