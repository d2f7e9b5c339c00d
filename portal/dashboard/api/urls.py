from django.db import transaction
from django.urls import path

from . import views

app_name = "doors-api"

urlpatterns = [
    path("", views.DoorList.as_view(), name="list"),
    path("<int:pk>/", views.DoorDetail.as_view(), name="detail"),
    # The audit row must be committed before ButterflyMX is called: no request-wide transaction.
    path("<int:pk>/release/", transaction.non_atomic_requests(views.DoorRelease.as_view()), name="release"),
]
