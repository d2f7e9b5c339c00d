"""The accounts endpoints. Error bodies and statuses are Doorkeeper's (§3.3)."""

import base64
import binascii
import datetime as dt
import json
from typing import Any
from urllib.parse import parse_qsl, unquote, urlencode, urlparse, urlunparse

from django.contrib.auth.hashers import check_password
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.shortcuts import render
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods

from sandbox import clock, config
from sandbox.api.auth import active_token, bearer_token
from sandbox.models import OAuthClient, OAuthGrant, User
from sandbox.oauth import tokens

OOB = "urn:ietf:wg:oauth:2.0:oob"
LOOPBACK_HOSTS = {"127.0.0.1", "localhost", "[::1]", "::1"}
ERRORS = {
    "invalid_client": (
        401,
        "Client authentication failed due to unknown client, no client authentication "
        "included, or unsupported authentication method.",
    ),
    "invalid_grant": (
        400,
        "The provided authorization grant is invalid, expired, revoked, does not match the "
        "redirection URI used in the authorization request, or was issued to another client.",
    ),
    "invalid_request": (
        400,
        "The request is missing a required parameter, includes an unsupported parameter "
        "value, or is otherwise malformed.",
    ),
    "unsupported_grant_type": (
        400,
        "The authorization grant type is not supported by the authorization server.",
    ),
    "invalid_scope": (400, "The requested scope is invalid, unknown, or malformed."),
    "unauthorized_client": (400, "The client is not authorized to perform this request using this method."),
}
AUTHORIZE_FIELDS = (
    "client_id",
    "redirect_uri",
    "response_type",
    "scope",
    "state",
    "code_challenge",
    "code_challenge_method",
    "nonce",
    "prompt",
)


def issuer(request: HttpRequest) -> str:
    return f"{request.scheme}://{request.get_host()}"


def oauth_error(name: str, description: str | None = None) -> JsonResponse:
    status, default = ERRORS[name]
    response = JsonResponse({"error": name, "error_description": description or default}, status=status)
    if status == 401:
        response["WWW-Authenticate"] = 'Bearer realm="Doorkeeper", error="invalid_client"'
    response["Cache-Control"] = "no-store"
    return response


@require_GET
def discovery(request: HttpRequest) -> JsonResponse:
    base = issuer(request)
    return JsonResponse(
        {
            "issuer": base,
            "authorization_endpoint": f"{base}/oauth/authorize",
            "token_endpoint": f"{base}/oauth/token",
            "revocation_endpoint": f"{base}/oauth/revoke",
            "introspection_endpoint": f"{base}/oauth/introspect",
            "userinfo_endpoint": f"{base}/oauth/userinfo",
            "jwks_uri": f"{base}/oauth/discovery/keys",
            "scopes_supported": tokens.SCOPES,
            "response_types_supported": ["code", "token", "id_token", "id_token token"],
            "response_modes_supported": ["query", "fragment", "form_post"],
            "grant_types_supported": [
                "authorization_code",
                "client_credentials",
                "password",
                "implicit_oidc",
                "refresh_token",
            ],
            "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
            "subject_types_supported": ["public"],
            "id_token_signing_alg_values_supported": ["RS256"],
            "claim_types_supported": ["normal"],
            "claims_supported": ["iss", "sub", "aud", "exp", "iat", "email", "email_verified"],
            "code_challenge_methods_supported": ["plain", "S256"],
        }
    )


@require_GET
def jwks(request: HttpRequest) -> JsonResponse:
    return JsonResponse({"keys": []})  # id tokens are HS256 here: see the deviations in docs/sandbox.md


def redirect_allowed(client: OAuthClient, uri: str) -> bool:
    """Registered URIs match exactly; a registered loopback URI also matches on any port (RFC 8252 §7.3)."""
    if uri in client.redirect_uris:
        return True
    asked = urlparse(uri)
    if asked.scheme != "http" or asked.hostname not in LOOPBACK_HOSTS:
        return False
    for registered in client.redirect_uris:
        reg = urlparse(registered)
        if reg.scheme == "http" and reg.hostname in LOOPBACK_HOSTS and reg.path == asked.path:
            return True
    return False


def with_query(uri: str, **params: str) -> str:
    parts = urlparse(uri)
    query = parse_qsl(parts.query) + [(k, v) for k, v in params.items() if v]
    return urlunparse(parts._replace(query=urlencode(query)))


def _authorize_params(source) -> dict[str, str]:
    return {name: source.get(name, "") for name in AUTHORIZE_FIELDS}


def _check_authorize(request: HttpRequest, params: dict[str, str]) -> tuple[OAuthClient | None, HttpResponse | None]:
    client = OAuthClient.objects.filter(client_id=params["client_id"]).first()
    if client is None:
        return None, render(
            request,
            "sandbox/oauth_error.html",
            {"error": "invalid_client", "description": ERRORS["invalid_client"][1]},
            status=401,
        )
    redirect_uri = params["redirect_uri"] or (client.redirect_uris[0] if client.redirect_uris else "")
    params["redirect_uri"] = redirect_uri
    if not redirect_allowed(client, redirect_uri):
        return None, render(
            request,
            "sandbox/oauth_error.html",
            {
                "error": "invalid_redirect_uri",
                "description": "The requested redirect uri is malformed or doesn't match client redirect URI.",
            },
            status=400,
        )

    def back(error: str) -> HttpResponse:
        if redirect_uri == OOB:
            return render(request, "sandbox/oauth_error.html", {"error": error, "description": error}, status=400)
        return HttpResponseRedirect(with_query(redirect_uri, error=error, state=params["state"]))

    if params["response_type"] != "code":
        return None, back("unsupported_response_type")
    if tokens.normalize_scope(params["scope"]) is None:
        return None, back("invalid_scope")
    if params["code_challenge"] and (params["code_challenge_method"] or "plain") not in ("plain", "S256"):
        return None, back("invalid_request")
    return client, None


@require_GET
def authorize(request: HttpRequest) -> HttpResponse:
    params = _authorize_params(request.GET)
    client, problem = _check_authorize(request, params)
    if problem:
        return problem
    return render(request, "sandbox/login.html", {"params": params, "client": client, "error": None})


@csrf_exempt
@require_http_methods(["POST"])
def login(request: HttpRequest) -> HttpResponse:
    """The login form's target (``login[email]``, ``login[password]``), as on accounts.butterflymx.com."""
    params = _authorize_params(request.POST)
    client, problem = _check_authorize(request, params)
    if problem:
        return problem
    if request.POST.get("commit") == "Deny":
        # The person refused: RFC 6749 §4.1.2.1 access_denied back to the client, with its state.
        if params["redirect_uri"] == OOB:
            return render(request, "sandbox/oauth_error.html", {"error": "access_denied"}, status=400)
        return HttpResponseRedirect(with_query(params["redirect_uri"], error="access_denied", state=params["state"]))
    email = request.POST.get("login[email]", "").strip().lower()
    password = request.POST.get("login[password]", "")
    user = User.objects.filter(email=email).first()
    if user is None or not user.password or not check_password(password, user.password):
        return render(
            request,
            "sandbox/login.html",
            {"params": params, "client": client, "error": "Invalid Email or password."},
            status=422,
        )
    grant = OAuthGrant.objects.create(
        code=tokens.new_code(),
        client=client,
        user=user,
        redirect_uri=params["redirect_uri"],
        scope=tokens.normalize_scope(params["scope"]) or "public",
        code_challenge=params["code_challenge"],
        code_challenge_method=(params["code_challenge_method"] or "plain") if params["code_challenge"] else "",
        nonce=params["nonce"],
        expires_at=clock.now() + dt.timedelta(seconds=int(config.get("code_ttl"))),
    )
    if params["redirect_uri"] == OOB:
        return HttpResponseRedirect(f"/oauth/authorize/native?{urlencode({'code': grant.code})}")
    return HttpResponseRedirect(with_query(params["redirect_uri"], code=grant.code, state=params["state"]))


@require_GET
def native(request: HttpRequest) -> HttpResponse:
    """The out-of-band page that shows the code to copy (Doorkeeper's ``/oauth/authorize/native``)."""
    return render(request, "sandbox/oob.html", {"code": request.GET.get("code", "")})


def _body(request: HttpRequest) -> dict[str, Any]:
    """Form, multipart or JSON: the official SDK refreshes with a JSON body."""
    if request.content_type == "application/json":
        try:
            value = json.loads(request.body or b"{}")
        except ValueError:
            return {}
        return {k: ("" if v is None else str(v)) for k, v in value.items()} if isinstance(value, dict) else {}
    return {k: request.POST.get(k) for k in request.POST}


def _client_auth(request: HttpRequest, body: dict[str, Any]) -> tuple[str, str | None]:
    header = request.headers.get("Authorization", "")
    if header.lower().startswith("basic "):
        try:
            decoded = base64.b64decode(header[6:].strip()).decode()
        except (binascii.Error, UnicodeDecodeError):
            return "", None
        client_id, _, secret = decoded.partition(":")
        return unquote(client_id), unquote(secret)
    return body.get("client_id") or "", body.get("client_secret")


def authenticate_client(request: HttpRequest, body: dict[str, Any]) -> tuple[OAuthClient | None, bool]:
    """(client, authenticated with its secret). Unknown client or a wrong secret: (None, False)."""
    client_id, secret = _client_auth(request, body)
    client = OAuthClient.objects.filter(client_id=client_id).first() if client_id else None
    if client is None:
        return None, False
    if secret:
        return (client, True) if secret == client.client_secret else (None, False)
    return client, False


def _token_response(body: dict[str, Any]) -> JsonResponse:
    response = JsonResponse(body)
    response["Cache-Control"] = "no-store"
    response["Pragma"] = "no-cache"
    return response


@csrf_exempt
@require_http_methods(["POST"])
def token(request: HttpRequest) -> HttpResponse:
    body = _body(request)
    grant_type = body.get("grant_type") or ""
    if not grant_type:
        return oauth_error("invalid_request", "Missing required parameter: grant_type.")
    if grant_type not in ("authorization_code", "refresh_token", "password", "client_credentials"):
        return oauth_error("unsupported_grant_type")
    client, secret_ok = authenticate_client(request, body)
    if client is None:
        return oauth_error("invalid_client")
    base = issuer(request)

    if grant_type == "authorization_code":
        code = body.get("code") or ""
        if not code:
            return oauth_error("invalid_request", "Missing required parameter: code.")
        grant = OAuthGrant.objects.select_related("user").filter(code=code).first()
        if grant is not None and not grant.code_challenge and not secret_ok:
            return oauth_error("invalid_client")  # a public client must use PKCE
        now = clock.now()
        if (
            grant is None
            or grant.client_id != client.id
            or grant.expires_at <= now
            or (body.get("redirect_uri") or grant.redirect_uri) != grant.redirect_uri
        ):
            return oauth_error("invalid_grant")
        if grant.code_challenge and not tokens.pkce_ok(grant, body.get("code_verifier")):
            return oauth_error("invalid_grant")
        # Single use: the conditional UPDATE lets exactly one exchange win, even when two race.
        if OAuthGrant.objects.filter(id=grant.id, used_at__isnull=True).update(used_at=now) != 1:
            return oauth_error("invalid_grant")
        return _token_response(tokens.issue(client, grant.user, grant.scope, base, nonce=grant.nonce))

    if grant_type == "refresh_token":
        refresh = body.get("refresh_token") or ""
        if not refresh:
            return oauth_error("invalid_request", "Missing required parameter: refresh_token.")
        issued = tokens.rotate(refresh, client, base)
        return _token_response(issued) if issued else oauth_error("invalid_grant")

    if grant_type == "password":
        if not secret_ok:
            return oauth_error("invalid_client")
        scope = tokens.normalize_scope(body.get("scope"))
        if scope is None:
            return oauth_error("invalid_scope")
        user = User.objects.filter(email=(body.get("username") or "").strip().lower()).first()
        if user is None or not user.password or not check_password(body.get("password") or "", user.password):
            return oauth_error("invalid_grant")
        return _token_response(tokens.issue(client, user, scope, base))

    if not secret_ok:  # client_credentials
        return oauth_error("invalid_client")
    scope = tokens.normalize_scope(body.get("scope"))
    if scope is None:
        return oauth_error("invalid_scope")
    return _token_response(tokens.issue(client, None, scope, base, with_refresh=False))


@csrf_exempt
@require_http_methods(["POST"])
def revoke(request: HttpRequest) -> HttpResponse:
    """RFC 7009: 200 ``{}`` whether or not the token existed; the whole token row (access+refresh) dies."""
    body = _body(request)
    client_id, secret = _client_auth(request, body)
    client, _ = authenticate_client(request, body)
    if client_id and client is None:
        return oauth_error("invalid_client")
    found = tokens.find_any(body.get("token") or "")
    if found is not None and (client is None or found.client_id == client.id) and found.revoked_at is None:
        found.revoked_at = clock.now()
        found.save(update_fields=["revoked_at"])
    return JsonResponse({})


@csrf_exempt
@require_http_methods(["POST"])
def introspect(request: HttpRequest) -> HttpResponse:
    body = _body(request)
    client, secret_ok = authenticate_client(request, body)
    if not secret_ok and active_token(bearer_token(request)) is None:
        return oauth_error("invalid_client")
    found = tokens.find_any(body.get("token") or "")
    if found is None or not tokens.is_active(found):
        return JsonResponse({"active": False})
    return JsonResponse(
        {
            "active": True,
            "scope": found.scope,
            "client_id": found.client.client_id,
            "token_type": "Bearer",
            "exp": int(found.expires_at.timestamp()),
            "iat": int(found.created_at.timestamp()),
            "sub": str(found.user_id) if found.user_id else None,
            "iss": issuer(request),
        }
    )


@require_GET
def userinfo(request: HttpRequest) -> HttpResponse:
    found = active_token(bearer_token(request))
    if found is None or found.user is None:
        response = JsonResponse(
            {"error": "invalid_token", "error_description": "The access token is invalid"}, status=401
        )
        response["WWW-Authenticate"] = 'Bearer realm="Doorkeeper", error="invalid_token"'
        return response
    user = found.user
    return JsonResponse(
        {
            "sub": str(user.id),
            "email": user.email,
            "email_verified": True,
            "given_name": user.first_name,
            "family_name": user.last_name,
        }
    )
