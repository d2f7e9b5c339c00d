from django.urls import path

from . import views

app_name = "passes_api"

urlpatterns = [
    path("", views.pass_list, name="list"),
    path("<int:pk>/", views.pass_detail, name="detail"),
    path("<int:pk>/revoke/", views.pass_revoke, name="revoke"),
]
