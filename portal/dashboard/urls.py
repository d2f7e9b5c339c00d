from django.urls import path

from . import views

app_name = "dashboard"

urlpatterns = [
    path("dashboard/", views.index, name="index"),
    path("dashboard/<int:building_id>/", views.board, name="board"),
    path("dashboard/<int:building_id>/doors/", views.board_doors, name="board_doors"),
    path("dashboard/<int:building_id>/front-desk/", views.front_desk, name="front_desk"),
    path("dashboard/<int:building_id>/unit-doors/", views.unit_doors, name="unit_doors"),
    path("dashboard/audit/", views.audit, name="audit"),
    path("dashboard/audit.csv", views.audit_csv, name="audit_csv"),
    path("doors/", views.my_doors, name="my_doors"),
    path("doors/state/", views.my_doors_state, name="my_doors_state"),
    path("doors/<int:door_id>/release/", views.release, name="release"),
    path("calls/ringing/", views.calls_ringing_now, name="calls_ringing"),
    path("calls/<int:call_id>/open/", views.call_open, name="call_open"),
    path("calls/<int:call_id>/decline/", views.call_decline_view, name="call_decline"),
]
