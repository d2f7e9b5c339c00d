"""Helpers for the tenants tests: sign in on the sandbox's login page over HTTP, link by password."""

from __future__ import annotations

from urllib.parse import parse_qsl, urlparse

import requests

from portal.butterflymx import oauth
from tenants.models import BmxLink
from tenants.services import link_admin_connect, link_tenant_connect

PASSWORD = "sandbox-pass"


def sandbox_sign_in(authorize_url: str, email: str, password: str = PASSWORD, commit: str = "Log in") -> str:
    """Do what a person does on ButterflyMX's login page; return where it sends the browser back."""
    parts = urlparse(authorize_url)
    page = requests.get(authorize_url, timeout=10)
    assert page.status_code == 200, page.text
    form = dict(parse_qsl(parts.query))
    form.update({"login[email]": email, "login[password]": password, "commit": commit})
    answer = requests.post(f"{parts.scheme}://{parts.netloc}/login", data=form, allow_redirects=False, timeout=10)
    assert answer.status_code == 302, answer.text
    return answer.headers["Location"]


def start_link(client, kind: str = "tenant") -> str:
    """POST the portal's Link button; return the sandbox authorize URL it redirects to."""
    response = client.post("/link/butterflymx/start/", {"kind": kind})
    assert response.status_code == 302
    return response["Location"]


def callback_path(location: str) -> str:
    parts = urlparse(location)
    assert parts.path == "/link/butterflymx/callback/"
    return f"{parts.path}?{parts.query}"


def link_by_password(user, email: str, kind: str = BmxLink.Kind.TENANT, sync: bool = True) -> BmxLink:
    """Link ``user`` to a sandbox account. ``sync=False``: queue no roster sync (a transactional test
    would otherwise send a real task to the development broker)."""
    tokens = oauth.password_grant(email, PASSWORD)
    if kind == BmxLink.Kind.BUILDING_ADMIN:
        return link_admin_connect(user=user, tokens=tokens, sync=sync)
    return link_tenant_connect(user=user, tokens=tokens)
