"""A URLconf for tests/portal/test_error_pages.py: the portal's own, its error handlers, and a page that fails."""

from django.urls import path

from portal import urls as portal_urls


def boom(request):
    raise RuntimeError("a bug in a view")


urlpatterns = [path("boom/", boom), path("api/boom/", boom), *portal_urls.urlpatterns]
handler404 = portal_urls.handler404
handler500 = portal_urls.handler500
handler429 = portal_urls.handler429
