from django.db import transaction
from django.urls import path

from . import views

app_name = "me_api"

# Non-atomic: these call ButterflyMX (see tenants/views.py for why).
urlpatterns = [
    path("link/", views.LinkStatusView.as_view(), name="link"),
    path("profile/", transaction.non_atomic_requests(views.ProfileView.as_view()), name="profile"),
    path("pin/", transaction.non_atomic_requests(views.PinView.as_view()), name="pin"),
]
