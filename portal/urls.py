"""The portal's URLs. Each app mounts its own; the access-matrix test covers every one of them."""

from django.contrib import admin
from django.urls import include, path
from django.views.decorators.cache import cache_control
from django.views.i18n import JavaScriptCatalog

from portal.accounts import views as accounts_views
from portal.core.language import language_choose
from portal.notifications import views as notifications_views

urlpatterns = [
    path("", include("portal.core.urls")),
    path("", include("portal.dashboard.urls")),
    path("api/doors/", include("portal.dashboard.api.urls")),
    path("accounts/", include("allauth.urls")),
    # Before the admin's own URLs: its login forwards to the portal's (allauth: rate limits, two-factor).
    path("admin/login/", accounts_views.admin_login, name="admin_login"),
    path("admin/", admin.site.urls),
    path("", include("passes.urls")),
    path("api/passes/", include("passes.api.urls")),
    path("profile/api-tokens/", include("portal.accounts.urls")),
    path("profile/notifications/", include("portal.notifications.urls")),
    # The service worker at the root: its scope (what it may serve) is the folder it is served from.
    path("sw.js", notifications_views.service_worker, name="service_worker"),
    path("", include("tenants.urls")),
    path("api/me/", include("tenants.api.urls")),
    path("logs/", include("logs.urls")),
    path("api/logs/", include("logs.api.urls")),
    path("webhooks/bmx/", include("logs.webhook_urls")),
    path("api/", include("portal.api.urls")),
    # Server-Sent Events for the open pages; production routes /live/ to the ASGI server (docs/operations.md).
    path("live/", include("portal.live.urls")),
    path("alerts/", include("portal.alerts.urls")),
    path("language/", language_choose, name="language_choose"),
    # The scripts' strings in the page's language; pages ask for it with ?l=<language> so a browser's
    # cached copy is never another language's.
    path("jsi18n/", cache_control(max_age=3600)(JavaScriptCatalog.as_view()), name="javascript_catalog"),
]

# Branded error pages for people, the API's JSON for /api/ (portal/core/errors.py). allauth's rate
# limits answer through handler429 too.
handler404 = "portal.core.errors.page_not_found"
handler500 = "portal.core.errors.server_error"
handler429 = "portal.core.errors.too_many_requests"
