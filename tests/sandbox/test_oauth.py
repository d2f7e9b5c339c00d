"""Accounts (§3): discovery, the login page, PKCE, rotation, single-use codes, client auth, revocation."""

import base64
import hashlib
import re
import secrets
from urllib.parse import parse_qs, urlparse

import requests

REDIRECT = "http://127.0.0.1:8000/link/butterflymx/callback/"


def pkce_pair() -> tuple[str, str]:
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    return verifier, challenge


def authorize(
    sandbox,
    *,
    client_id="portal-dev-client",
    redirect_uri=REDIRECT,
    challenge=None,
    method="S256",
    email="resident@sandbox.test",
    password="sandbox-pass",
    state="st4te",
) -> requests.Response:
    """Drive the real login page: GET the form, then POST it as a browser would."""
    params = {"client_id": client_id, "redirect_uri": redirect_uri, "response_type": "code", "state": state}
    if challenge:
        params.update(code_challenge=challenge, code_challenge_method=method)
    page = requests.get(f"{sandbox.url}/oauth/authorize", params=params, timeout=10)
    assert page.status_code == 200, page.text
    assert 'name="login[email]"' in page.text
    fields = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', page.text))
    fields.update({"login[email]": email, "login[password]": password, "commit": "Log in"})
    return requests.post(f"{sandbox.url}/login", data=fields, allow_redirects=False, timeout=10)


def code_from(response: requests.Response) -> str:
    assert response.status_code == 302, response.text
    query = parse_qs(urlparse(response.headers["Location"]).query)
    assert query["state"] == ["st4te"]
    return query["code"][0]


def exchange(sandbox, code, **extra) -> requests.Response:
    data = {"grant_type": "authorization_code", "code": code, "redirect_uri": REDIRECT, **extra}
    return requests.post(f"{sandbox.url}/oauth/token", data=data, timeout=10)


def test_discovery_documents_advertise_the_endpoints_and_pkce(sandbox):
    for name in ("oauth-authorization-server", "openid-configuration"):
        doc = requests.get(f"{sandbox.url}/.well-known/{name}", timeout=10).json()
        assert doc["token_endpoint"] == f"{sandbox.url}/oauth/token"
        assert doc["code_challenge_methods_supported"] == ["plain", "S256"]
        assert "password" in doc["grant_types_supported"]


def test_the_full_pkce_flow_over_http_gives_a_token_that_reads_the_api(sandbox):
    verifier, challenge = pkce_pair()
    code = code_from(authorize(sandbox, challenge=challenge))
    response = exchange(
        sandbox,
        code,
        client_id="portal-dev-client",
        client_secret="portal-dev-secret",
        code_verifier=verifier,
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["token_type"] == "Bearer" and body["expires_in"] == 86400 and body["scope"] == "public"
    assert isinstance(body["created_at"], int) and body["refresh_token"]
    me = sandbox.api("GET", "/v4/tenants?scope=self", body["access_token"]).json()["data"]
    assert [t["email"] for t in me] == ["resident@sandbox.test"]


def test_a_public_client_exchanges_with_pkce_and_no_secret(sandbox):
    verifier, challenge = pkce_pair()
    response = authorize(
        sandbox,
        client_id="sandbox-public-client",
        redirect_uri="http://127.0.0.1:5555/callback",
        challenge=challenge,
    )
    code = code_from(response)
    data = {
        "grant_type": "authorization_code",
        "code": code,
        "client_id": "sandbox-public-client",
        "redirect_uri": "http://127.0.0.1:5555/callback",
        "code_verifier": verifier,
    }
    assert requests.post(f"{sandbox.url}/oauth/token", json=data, timeout=10).status_code == 200


def test_plain_pkce_and_client_secret_basic_are_accepted(sandbox):
    code = code_from(authorize(sandbox, challenge="plain-verifier-" + "x" * 40, method="plain"))
    response = requests.post(
        f"{sandbox.url}/oauth/token",
        auth=("portal-dev-client", "portal-dev-secret"),
        timeout=10,
        files={
            "grant_type": (None, "authorization_code"),
            "code": (None, code),
            "redirect_uri": (None, REDIRECT),
            "code_verifier": (None, "plain-verifier-" + "x" * 40),
        },
    )  # multipart body
    assert response.status_code == 200, response.text


def test_a_wrong_pkce_verifier_is_refused(sandbox):
    _, challenge = pkce_pair()
    code = code_from(authorize(sandbox, challenge=challenge))
    response = exchange(
        sandbox,
        code,
        client_id="portal-dev-client",
        client_secret="portal-dev-secret",
        code_verifier="not-the-verifier",
    )
    assert response.status_code == 400 and response.json()["error"] == "invalid_grant"


def test_a_reused_code_is_refused(sandbox):
    code = code_from(authorize(sandbox))
    creds = {"client_id": "portal-dev-client", "client_secret": "portal-dev-secret"}
    assert exchange(sandbox, code, **creds).status_code == 200
    again = exchange(sandbox, code, **creds)
    assert again.status_code == 400 and again.json()["error"] == "invalid_grant"


def test_an_expired_code_is_refused(sandbox):
    code = code_from(authorize(sandbox))
    sandbox.advance(seconds=601)  # Doorkeeper's default code lifetime is 10 minutes
    response = exchange(sandbox, code, client_id="portal-dev-client", client_secret="portal-dev-secret")
    assert response.status_code == 400 and response.json()["error"] == "invalid_grant"


def test_a_wrong_client_secret_or_unknown_client_is_invalid_client(sandbox):
    code = code_from(authorize(sandbox))
    wrong = exchange(sandbox, code, client_id="portal-dev-client", client_secret="nope")
    assert wrong.status_code == 401 and wrong.json()["error"] == "invalid_client"
    assert "unknown client" in wrong.json()["error_description"]
    unknown = exchange(sandbox, code, client_id="someone-else", client_secret="x")
    assert unknown.status_code == 401 and unknown.json()["error"] == "invalid_client"


def test_a_code_issued_to_another_client_is_refused(sandbox):
    verifier, challenge = pkce_pair()
    code = code_from(authorize(sandbox, challenge=challenge))
    response = exchange(sandbox, code, client_id="sandbox-public-client", code_verifier=verifier)
    assert response.status_code == 400 and response.json()["error"] == "invalid_grant"


def test_an_unregistered_redirect_uri_shows_an_error_page(sandbox):
    page = requests.get(
        f"{sandbox.url}/oauth/authorize",
        timeout=10,
        params={
            "client_id": "portal-dev-client",
            "redirect_uri": "https://evil.example/cb",
            "response_type": "code",
        },
    )
    assert page.status_code == 400 and "invalid_redirect_uri" in page.text


def test_a_loopback_redirect_on_any_port_is_accepted(sandbox):
    redirect = "http://localhost:43123/link/butterflymx/callback/"
    response = authorize(sandbox, redirect_uri=redirect)
    assert response.headers["Location"].startswith(redirect + "?code=")


def test_a_wrong_password_re_renders_the_login_page(sandbox):
    response = authorize(sandbox, password="wrong")
    assert response.status_code == 422 and "Invalid Email or password." in response.text


def test_the_out_of_band_flow_shows_the_code_on_a_page(sandbox):
    response = authorize(sandbox, redirect_uri="urn:ietf:wg:oauth:2.0:oob")
    assert response.headers["Location"].startswith("/oauth/authorize/native?code=")
    page = requests.get(sandbox.url + response.headers["Location"], timeout=10)
    assert 'id="authorization_code"' in page.text


def _password_tokens(sandbox) -> dict:
    return requests.post(
        f"{sandbox.url}/oauth/token",
        timeout=10,
        data={
            "grant_type": "password",
            "username": "resident@sandbox.test",
            "password": "sandbox-pass",
            "client_id": "portal-dev-client",
            "client_secret": "portal-dev-secret",
        },
    ).json()


def refresh(sandbox, token: str, as_json: bool = False) -> requests.Response:
    data = {"grant_type": "refresh_token", "refresh_token": token, "client_id": "portal-dev-client"}
    if as_json:
        return requests.post(f"{sandbox.url}/oauth/token", json=data, timeout=10)
    return requests.post(f"{sandbox.url}/oauth/token", data=data, timeout=10)


def test_a_refresh_rotates_both_tokens(sandbox):
    first = _password_tokens(sandbox)
    response = refresh(sandbox, first["refresh_token"], as_json=True)
    assert response.status_code == 200, response.text
    second = response.json()
    assert second["refresh_token"] != first["refresh_token"]
    assert second["access_token"] != first["access_token"]
    assert sandbox.api("GET", "/v4/buildings", second["access_token"]).status_code == 200
    assert sandbox.api("GET", "/v4/buildings", first["access_token"]).status_code == 401


def test_a_reused_refresh_token_is_refused(sandbox):
    first = _password_tokens(sandbox)
    assert refresh(sandbox, first["refresh_token"]).status_code == 200
    again = refresh(sandbox, first["refresh_token"])
    assert again.status_code == 400 and again.json()["error"] == "invalid_grant"


def test_an_expired_access_token_answers_401_with_the_messages_quirk_and_refresh_still_works(sandbox):
    sandbox.configure(token_ttl=60)
    first = _password_tokens(sandbox)
    assert first["expires_in"] == 60
    sandbox.advance(seconds=61)
    response = sandbox.api("GET", "/v4/buildings", first["access_token"])
    assert response.status_code == 401
    assert response.json() == {"errors": [{"field": "base", "code": "unauthorized", "messages": "Unauthorized"}]}
    assert refresh(sandbox, first["refresh_token"]).status_code == 200


def test_a_revoked_token_answers_401_on_the_api(sandbox):
    tokens = _password_tokens(sandbox)
    revoked = requests.post(
        f"{sandbox.url}/oauth/revoke",
        timeout=10,
        data={
            "token": tokens["access_token"],
            "client_id": "portal-dev-client",
            "client_secret": "portal-dev-secret",
        },
    )
    assert revoked.status_code == 200 and revoked.json() == {}
    assert sandbox.api("GET", "/v4/buildings", tokens["access_token"]).status_code == 401
    assert refresh(sandbox, tokens["refresh_token"]).status_code == 400


def test_introspect_and_userinfo_describe_the_token(sandbox):
    tokens = _password_tokens(sandbox)
    info = requests.post(
        f"{sandbox.url}/oauth/introspect",
        auth=("portal-dev-client", "portal-dev-secret"),
        data={"token": tokens["access_token"]},
        timeout=10,
    ).json()
    assert info["active"] is True and info["client_id"] == "portal-dev-client"
    user = requests.get(
        f"{sandbox.url}/oauth/userinfo",
        timeout=10,
        headers={"Authorization": f"Bearer {tokens['access_token']}"},
    ).json()
    assert user["email"] == "resident@sandbox.test" and user["email_verified"] is True


def test_an_unknown_grant_type_and_a_missing_grant_type_are_400(sandbox):
    creds = {"client_id": "portal-dev-client", "client_secret": "portal-dev-secret"}
    bad = requests.post(f"{sandbox.url}/oauth/token", data={"grant_type": "magic", **creds}, timeout=10)
    assert bad.status_code == 400 and bad.json()["error"] == "unsupported_grant_type"
    missing = requests.post(f"{sandbox.url}/oauth/token", data=creds, timeout=10)
    assert missing.status_code == 400 and missing.json()["error"] == "invalid_request"


def test_an_invited_user_cannot_log_in(sandbox):
    response = authorize(sandbox, email="invited@sandbox.test")
    assert response.status_code == 422
