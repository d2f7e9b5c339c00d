from django.urls import path

from . import views

app_name = "logs"

# A record's pages sit under its list's URL ("calls/" -> "calls/<pk>/", "" -> "<pk>/"): the list
# views build their row links from the list's URL with one reverse() a page (logs.views.entry_list).
urlpatterns = [
    path("", views.entry_list, name="list"),
    path("export.csv", views.entry_csv, name="export"),
    path("calls/", views.call_list, name="calls"),
    path("calls/export.csv", views.call_csv, name="calls_export"),
    path("calls/<int:pk>/", views.call_detail, name="call_detail"),
    path("calls/<int:pk>/snapshot", views.snapshot, {"kind": "calls"}, name="call_snapshot"),
    path("charts/", views.charts, name="charts"),
    path("charts/data/", views.charts_data, name="charts_data"),
    path("health/", views.health, name="health"),
    path("health/<int:building_id>/", views.health_action, name="health_action"),
    path("<int:pk>/", views.entry_detail, name="detail"),
    path("<int:pk>/snapshot", views.snapshot, name="snapshot"),
]
