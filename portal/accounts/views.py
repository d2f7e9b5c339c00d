"""The admin's login (forwarded to the portal's own) and the page where people manage API tokens."""

from __future__ import annotations

from django.contrib import admin, messages
from django.contrib.auth import REDIRECT_FIELD_NAME
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import redirect_to_login
from django.core.cache import cache
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST, require_safe

from tenants.selectors import own_building

from . import selectors, services
from .forms import ApiTokenForm


@require_safe
def admin_login(request: HttpRequest) -> HttpResponse:
    """``/admin/login/``, mounted before ``admin.site.urls``: no password form of its own.

    Django's admin login would be a second way in, past allauth's rate limits and its two-factor step.
    Instead, anonymous people are sent to the portal's login with ``next`` kept; a signed-in operator
    goes on to ``next`` (the two-factor middleware has already sent one without TOTP to set it up);
    anyone else gets a 404, as for anything outside their scope. A POST (credentials) is a 405.
    """
    next_url = request.GET.get(REDIRECT_FIELD_NAME, "")
    if not url_has_allowed_host_and_scheme(
        next_url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        next_url = reverse("admin:index")
    if not request.user.is_authenticated:
        return redirect_to_login(next_url, login_url=reverse("account_login"))
    if admin.site.has_permission(request):
        return redirect(next_url)
    raise Http404


ALREADY_SENT = _(
    "That form was already sent, so no second token was made. A token is shown only once: if you did not "
    "copy it, revoke it below and create another."
)


@never_cache  # the answer to a creation shows the token: no cache may keep it
@login_required
def api_tokens(request: HttpRequest) -> HttpResponse:
    """List, create (shown once) and revoke one's own personal API tokens."""
    new_token, new_instance = None, None
    if request.method == "POST":
        form = ApiTokenForm(request.POST)
        if form.is_valid() and not cache.add(f"api-token-form:{request.user.pk}:{form.cleaned_data['once']}", 1, 86400):
            form = ApiTokenForm()
            messages.info(request, ALREADY_SENT)
        elif form.is_valid():
            try:
                new_instance, new_token = services.api_token_create(
                    user=request.user, name=form.cleaned_data["name"], lifetime_days=form.cleaned_data["lifetime_days"]
                )
            except services.TokenRefused as exc:
                form.add_error(None, str(exc))
            else:
                form = ApiTokenForm()
    else:
        form = ApiTokenForm()
    building = own_building(request.user)
    context = {
        "form": form,
        # Shown in the person's home building's zone, as every other page shows times (UTC without one).
        "zone": building.time_zone if building else "UTC",
        "tokens": selectors.api_tokens_of(request.user),
        "new_token": new_token,
        "new_instance": new_instance,
    }
    return render(request, "accounts/api_tokens.html", context)


@login_required
@require_POST
def api_token_revoke(request: HttpRequest, public_id) -> HttpResponse:
    if not services.api_token_revoke(user=request.user, public_id=public_id):
        raise Http404
    messages.success(request, _("The token is revoked: it no longer works."))
    return redirect("accounts:api_tokens")


@login_required
@require_POST
def api_tokens_revoke_all(request: HttpRequest) -> HttpResponse:
    count = services.api_tokens_revoke_all(user=request.user)
    messages.success(
        request, ngettext("%(count)d token revoked.", "%(count)d tokens revoked.", count) % {"count": count}
    )
    return redirect("accounts:api_tokens")
