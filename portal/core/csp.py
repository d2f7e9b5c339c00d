"""The Content-Security-Policy middleware: django-csp's, plus the ButterflyMX origins read per response.

The policy itself is ``CONTENT_SECURITY_POLICY`` in settings. Two sources depend on where ButterflyMX
lives (``BMX_ACCOUNTS_BASE`` for the link flow's redirect, ``BMX_API_BASE`` for the sandbox's snapshot
images); they are added here at response time rather than frozen at import, so a test that points the
portal at a sandbox on a random port gets a policy that names that sandbox.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from csp.middleware import CSPMiddleware, PolicyParts
from django.conf import settings


def origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


class PortalCSPMiddleware(CSPMiddleware):
    def get_policy_parts(self, request, response, report_only: bool = False) -> PolicyParts:
        parts = super().get_policy_parts(request, response, report_only=report_only)
        extra = {
            # Linking posts a form whose answer is a redirect to ButterflyMX's login page; Chromium
            # applies form-action to that redirect's target.
            "form-action": [origin(settings.BMX_ACCOUNTS_BASE)],
            # Snapshot thumbnails redirect to ButterflyMX's image host (the sandbox in dev and tests).
            "img-src": [origin(settings.BMX_API_BASE)],
        }
        update = dict(parts.update or {})
        for directive, sources in extra.items():
            update[directive] = [*update.get(directive, []), *sources]
        parts.update = update
        return parts
