"""Pages of the passes app: list, create, detail, revoke/retry/remove, change, share, the guest page.

Every queryset starts from ``Pass.objects.restrict(request_grants(request))``: out of scope is a 404. Views
that call ButterflyMX run outside the request transaction so each step of the service commits on its
own (see :mod:`passes.services`).
"""

from __future__ import annotations

from dataclasses import replace
from functools import partial

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.cache import cache
from django.core.paginator import Paginator
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext_lazy
from django.views.decorators.http import require_GET, require_http_methods

from portal.core.clientip import client_ip
from portal.core.errors import too_many_requests
from portal.core.nostore import no_store
from portal.notifications.categories import EMAIL, PUSH
from portal.notifications.preferences import channels_chosen
from tenants.models import Building, Residency, Role, TenantRecord
from tenants.people import building_residents
from tenants.scope import request_grants

from . import guest_limits, key_removal, selectors, services, sharing
from .forms import ArrivalsForm, PassForm, ShareForm, TenantPassForm, business_hours_initial, preset_initial
from .models import Pass, VisitorKey
from .tasks import pass_usage_refresh_task
from .wallet import apple as wallet_apple
from .wallet import config as wallet_config
from .wallet import google as wallet_google
from .wallet.content import wallet_pass

PAGE_SIZE = 25
TABS = [
    ("active", pgettext_lazy("passes tab", "Active")),
    ("upcoming", pgettext_lazy("passes tab", "Upcoming")),
    ("used", pgettext_lazy("passes tab", "Used")),
    ("expired", pgettext_lazy("passes tab", "Expired")),
    ("revoked", pgettext_lazy("passes tab", "Revoked")),
    ("failed", pgettext_lazy("passes tab", "Needs attention")),
    ("all", pgettext_lazy("passes tab", "All")),
]
# What an empty tab says: one sentence per tab (an adjective agrees with "passes" in other languages).
EMPTY = {
    "active": gettext_lazy("No active passes."),
    "upcoming": gettext_lazy("No upcoming passes."),
    "used": gettext_lazy("No used passes."),
    "expired": gettext_lazy("No expired passes."),
    "revoked": gettext_lazy("No revoked passes."),
    "failed": gettext_lazy("No failed passes."),
    "all": gettext_lazy("No passes."),
}


def _get_pass(request: HttpRequest, pk: int) -> Pass:
    return get_object_or_404(
        Pass.objects.restrict(request_grants(request)).select_related("building", "unit", "residency__user", "tenant"),
        pk=pk,
    )


def _is_staff_view(request: HttpRequest) -> bool:
    return bool(request_grants(request).memberships)


@login_required
@require_GET
def pass_list(request: HttpRequest) -> HttpResponse:
    state = request.GET.get("state", "active")
    if state not in selectors.STATES:
        state = "active"
    page = Paginator(selectors.pass_list(request_grants(request), state), PAGE_SIZE).get_page(request.GET.get("page"))
    now = timezone.now()
    refreshing = False
    stale = selectors.stale_pass_ids(page.object_list, now)
    # Use counts come from ButterflyMX in the background, at most once a minute per person: the page
    # never waits for ButterflyMX; htmx fetches the table again once the worker had time.
    if stale and "partial" not in request.GET and cache.add(f"passes:usage-refresh:{request.user.pk}", 1, 60):
        transaction.on_commit(partial(pass_usage_refresh_task.delay, stale))
        refreshing = True
    context = {
        "page": page,
        "passes": [(p, p.state(now)) for p in page.object_list],
        "state": state,
        "tabs": TABS,
        "state_label": dict(TABS)[state],
        "empty": EMPTY[state],
        "staff_view": _is_staff_view(request),
        "refreshing": refreshing,
        "failed_count": selectors.filter_state(Pass.objects.restrict(request_grants(request)), "failed").count(),
    }
    template = "passes/_table.html" if "partial" in request.GET else "passes/list.html"
    return render(request, template, context)


def _arrival_default(user) -> tuple[bool, bool]:
    """(push, e-mail): the person's channels for guest arrivals on their Notifications page, which is
    also where new passes' "tell me when a visitor uses this pass" starts."""
    chosen = channels_chosen(user, "arrival")
    return PUSH in chosen, EMAIL in chosen


def _arrival_initial(user) -> dict:
    """The form's "tell me when a visitor uses this pass" starts at the person's default."""
    push, email = _arrival_default(user)
    return {"arrival_push": push, "arrival_email": email}


def _with_host_arrivals(request: HttpRequest, form: PassForm, residency: Residency) -> services.PassInput:
    """The pass's arrival choice is its host's: what the form says when the host fills it in; for a
    pass staff make for a resident, the resident's own default (not the staff member's)."""
    data = form.pass_input
    if residency.user_id == request.user.pk:
        return data
    push, email = _arrival_default(residency.user)
    return replace(data, arrival_push=push, arrival_email=email)


def _creation_form(request: HttpRequest, data=None, initial=None, fixed=None) -> PassForm:
    residencies = selectors.residencies_for_creation(request.user, request_grants(request))
    return PassForm(data, residencies=residencies, actor=request.user, initial=initial or {}, fixed_residency=fixed)


def _create_or_form_errors(request: HttpRequest, form, create, success) -> HttpResponse | None:
    """Run ``create`` (a pass service call): the new pass's page on success, with ``success(new)`` as
    the message; the kept pass's page when the service kept a half-made one; else None, with the
    service's errors put on ``form`` for the page to show again."""
    try:
        new = create()
    except services.PassError as exc:
        if exc.pass_obj is not None:
            messages.error(request, exc.message)
            return redirect("passes:detail", pk=exc.pass_obj.pk)
        form.add_service_errors(exc.errors)
        return None
    messages.success(request, success(new))
    return redirect("passes:detail", pk=new.pk)


@login_required
@transaction.non_atomic_requests
@require_http_methods(["GET", "POST"])
def pass_create(request: HttpRequest) -> HttpResponse:
    residencies = selectors.residencies_for_creation(request.user, request_grants(request))
    if not residencies.exists():
        raise Http404("No tenancy to create passes for")
    if request.method == "POST":
        form = _creation_form(request, request.POST)
        if form.is_valid():
            created = _create_or_form_errors(
                request,
                form,
                lambda: services.pass_create(
                    actor=request.user,
                    residency=form.cleaned_data["residency"],
                    data=_with_host_arrivals(request, form, form.cleaned_data["residency"]),
                ),
                lambda new: _("Pass “%(name)s” created.") % {"name": new.name},
            )
            if created is not None:
                return created
    else:
        first = residencies.first()
        tz = first.unit.building.tz
        initial = {"residency": request.GET.get("residency") or first.pk}
        initial.update(business_hours_initial(timezone.now().astimezone(tz)))
        initial["kind"] = request.GET.get("kind") or Pass.Kind.CUSTOM
        initial.update(preset_initial(request.GET.get("preset", ""), tz))
        if request.GET.get("kind") == Pass.Kind.BUSINESS_HOURS:
            initial.update(business_hours_initial(timezone.now().astimezone(tz)))
        initial.update(_arrival_initial(request.user))
        form = _creation_form(request, initial=initial)
    staff = bool(request_grants(request).memberships)
    context = {"form": form, "title": _("New pass"), "presets": True, "tenant_picker": staff}
    return render(request, "passes/form.html", context)


@login_required
@require_GET
def tenant_choose(request: HttpRequest) -> HttpResponse:
    """Staff and managers pick any ButterflyMX tenant of their buildings, by building and unit, with or
    without a portal account, to make a pass for."""
    buildings = list(Building.objects.restrict(request_grants(request), Role.STAFF, Role.MANAGER).order_by("name"))
    if not buildings:
        raise Http404("Not staff anywhere")
    groups = [(b, list(building_residents(b).filter(unit__isnull=False))) for b in buildings]
    return render(request, "passes/tenant_choose.html", {"groups": groups})


@login_required
@transaction.non_atomic_requests
@require_http_methods(["GET", "POST"])
def pass_create_for_tenant(request: HttpRequest, tenant_pk: int) -> HttpResponse:
    """Staff and managers make a pass for a ButterflyMX tenant of their building who has no portal
    account (one who has one goes to the ordinary form, their tenancy chosen)."""
    tenants = TenantRecord.objects.restrict(request_grants(request), Role.STAFF, Role.MANAGER)
    tenant = get_object_or_404(
        tenants.select_related("building", "unit"), pk=tenant_pk, is_active=True, unit__isnull=False
    )
    residency = Residency.objects.filter(
        unit__building=tenant.building, bmx_tenant_id=tenant.bmx_id, is_active=True
    ).first()
    if residency is not None:
        return redirect(f"{reverse('passes:new')}?residency={residency.pk}")
    title = _("New pass for %(tenant)s") % {"tenant": tenant}
    if request.method == "POST":
        form = TenantPassForm(request.POST, tenant=tenant, actor=request.user)
        if form.is_valid():
            created = _create_or_form_errors(
                request,
                form,
                lambda: services.pass_create(actor=request.user, tenant=tenant, data=form.pass_input),
                lambda new: _("Pass “%(name)s” created for %(tenant)s.") % {"name": new.name, "tenant": tenant},
            )
            if created is not None:
                return created
    else:
        tz = tenant.building.tz
        initial = business_hours_initial(timezone.now().astimezone(tz))  # the recurring fields' starting values
        initial.update(preset_initial("hour", tz))  # a custom pass for the next hour
        form = TenantPassForm(initial=initial, tenant=tenant, actor=request.user)
    return render(request, "passes/form.html", {"form": form, "title": title})


@login_required
@no_store  # the visitors' PINs and guest links
@require_GET
def pass_detail(request: HttpRequest, pk: int) -> HttpResponse:
    pass_obj = _get_pass(request, pk)
    keys = list(pass_obj.keys.select_related("removed_by"))
    shares = [(k, sharing.share_url(k, request)) for k in keys]
    state = pass_obj.state()
    working = [k for k in keys if k.removed_at is None]
    return render(
        request,
        "passes/detail.html",
        {
            "pass": pass_obj,
            "state": state,
            "shares": shares,
            # The host removes one visitor while others remain (passes/key_removal.py says when).
            "can_remove": _is_host(request, pass_obj)
            and state in ("active", "upcoming")
            and pass_obj.kind != Pass.Kind.DELIVERY
            and len(working) > 1,
            "doors": list(pass_obj.doors.all()),
            "share_form": ShareForm(user=request.user),
            "tz": pass_obj.building.tz,
            "is_host": _is_host(request, pass_obj),
            **_wallets(),
            "arrivals_form": ArrivalsForm(
                initial={"arrival_push": pass_obj.arrival_push, "arrival_email": pass_obj.arrival_email}
            ),
        },
    )


def _wallets() -> dict[str, bool]:
    """Which wallet buttons to show: only a wallet whose certificates and keys are set and load."""
    return {"apple_wallet": wallet_config.apple_enabled(), "google_wallet": wallet_config.google_enabled()}


def _is_host(request: HttpRequest, pass_obj: Pass) -> bool:
    return pass_obj.residency is not None and pass_obj.residency.user_id == request.user.pk


@login_required
@require_http_methods(["POST"])
def pass_arrivals(request: HttpRequest, pk: int) -> HttpResponse:
    """The pass page's "tell me when a visitor uses this pass": the host's own choice, nobody else's
    (a manager who sees the pass gets a 404 here, as for anything they may not do)."""
    pass_obj = _get_pass(request, pk)
    if not _is_host(request, pass_obj):
        raise Http404("Not the pass's host")
    form = ArrivalsForm(request.POST)
    form.is_valid()  # two check boxes: always valid (a missing box is False)
    push, email = bool(form.cleaned_data.get("arrival_push")), bool(form.cleaned_data.get("arrival_email"))
    services.pass_arrivals_set(pass_obj=pass_obj, push=push, email=email)
    messages.success(request, ARRIVALS_SAID[(push, email)] % {"name": pass_obj.name})
    return redirect("passes:detail", pk=pk)


# What the host is told after choosing (push, e-mail): one whole sentence each.
ARRIVALS_SAID = {
    (True, True): gettext_lazy("You will be told by push and e-mail when a visitor uses “%(name)s”."),
    (True, False): gettext_lazy("You will be told by push when a visitor uses “%(name)s”."),
    (False, True): gettext_lazy("You will be told by e-mail when a visitor uses “%(name)s”."),
    (False, False): gettext_lazy("You will not be told when a visitor uses “%(name)s”."),
}


ACTIONS = {
    "revoke": (
        gettext_lazy("Revoke this pass?"),
        gettext_lazy("Every QR code and PIN of this pass stops opening doors at once."),
        pgettext_lazy("button", "Revoke"),
    ),
    "retry": (
        gettext_lazy("Create this pass again?"),
        gettext_lazy("What is left of the failed pass is removed, then it is created anew."),
        pgettext_lazy("button", "Retry"),
    ),
    "remove": (
        gettext_lazy("Remove this failed pass?"),
        gettext_lazy("It is deleted at ButterflyMX (if anything is left) and here."),
        pgettext_lazy("button", "Remove"),
    ),
}


@login_required
@transaction.non_atomic_requests
@require_http_methods(["GET", "POST"])
def pass_action(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    """Revoke, retry or remove: GET asks for confirmation, POST does it."""
    pass_obj = _get_pass(request, pk)
    if action not in ACTIONS:
        raise Http404
    if request.method == "POST":
        try:
            if action == "revoke":
                services.pass_revoke(pass_obj=pass_obj, actor=request.user)
                messages.success(
                    request, _("Pass “%(name)s” revoked: it no longer opens any door.") % {"name": pass_obj.name}
                )
            elif action == "retry":
                new = services.pass_retry_failed(pass_obj=pass_obj, actor=request.user)
                messages.success(request, _("Pass “%(name)s” created.") % {"name": new.name})
                return redirect("passes:detail", pk=new.pk)
            else:
                services.pass_remove_failed(pass_obj=pass_obj, actor=request.user)
                messages.success(request, _("Pass “%(name)s” removed.") % {"name": pass_obj.name})
                return redirect("passes:list")
        except services.PassError as exc:
            messages.error(request, exc.message)
            if exc.pass_obj is not None:
                return redirect("passes:detail", pk=exc.pass_obj.pk)
        next_url = request.POST.get("next", "")
        if next_url.startswith("/passes/"):
            return redirect(next_url)
        if action != "revoke" and not Pass.objects.filter(pk=pk).exists():
            return redirect("passes:list")
        return redirect("passes:detail", pk=pk)
    title, text, button = ACTIONS[action]
    return render(
        request,
        "passes/confirm.html",
        {"pass": pass_obj, "title": title, "text": text, "button": button, "action": action},
    )


@login_required
@transaction.non_atomic_requests
@require_http_methods(["GET", "POST"])
def pass_change(request: HttpRequest, pk: int) -> HttpResponse:
    """ "Extend" or "change": a new pass with the edited details replaces this one in one action."""
    old = _get_pass(request, pk)
    if old.status != Pass.Status.ACTIVE or old.residency is None or old.state() in ("used",):
        messages.error(request, _("Only a working pass can be extended or changed; create a new one instead."))
        return redirect("passes:detail", pk=pk)
    if old.from_bmx_app:  # the portal lacks what it was made with (its recipients, for one)
        messages.error(request, _("This pass was created in the ButterflyMX app: change it there."))
        return redirect("passes:detail", pk=pk)
    if request.method == "POST":
        form = _creation_form(request, request.POST, fixed=old.residency)
        if form.is_valid():
            try:
                data = form.pass_input
                if old.residency.user_id != request.user.pk:  # the host's choice stays theirs
                    data = replace(data, arrival_push=old.arrival_push, arrival_email=old.arrival_email)
                new, warning, links_left = services.pass_replace(actor=request.user, old=old, data=data)
            except services.PassError as exc:
                if exc.pass_obj is not None:
                    messages.error(request, exc.message)
                    return redirect("passes:detail", pk=exc.pass_obj.pk)
                form.add_service_errors(exc.errors)
            else:
                if warning:
                    messages.warning(request, warning)
                else:
                    messages.success(
                        request,
                        _(
                            "Pass “%(name)s” replaces the old one, which is revoked. The visitors' links keep "
                            "working: they now show the new QR code and PIN."
                        )
                        % {"name": new.name},
                    )
                if links_left:
                    messages.warning(
                        request,
                        _(
                            "Not on the new pass under the same name, so their old link no longer opens anything: "
                            "%(names)s. Send them the new pass with “Send” below."
                        )
                        % {"names": ", ".join(links_left)},
                    )
                if new.recipients:
                    messages.info(request, _("ButterflyMX sends the new pass to its e-mail and phone recipients."))
                return redirect("passes:detail", pk=new.pk)
    else:
        tz = old.building.tz
        data = services.pass_input_from(old)
        initial = {
            "residency": old.residency_id,
            "kind": old.kind,
            "name": old.name,
            "starts_at": timezone.localtime(old.starts_at, tz).replace(tzinfo=None),
            "ends_at": timezone.localtime(old.ends_at, tz).replace(tzinfo=None),
            "day": timezone.localtime(old.starts_at, tz).date(),
            "start_date": old.start_date,
            "end_date": old.end_date,
            "time_from": old.time_from,
            "time_to": old.time_to,
            "weekdays": old.weekdays,
            "doors": [d.pk for d in data.doors],
            "visitors": "\n".join(
                [*data.visitors, *(person_line(data.contact_names.get(r, r), r) for r in data.recipients)]
            ),
            "arrival_push": old.arrival_push,
            "arrival_email": old.arrival_email,
        }
        form = _creation_form(request, initial=initial, fixed=old.residency)
    title = _("Extend or change “%(name)s”") % {"name": old.name}
    return render(request, "passes/form.html", {"form": form, "title": title, "old": old})


def person_line(name: str, contact: str) -> str:
    """A person with a contact as one line of the form's people list (rules.parse_person reads it)."""
    return contact if name == contact else f"{name}, {contact}"


@login_required
@transaction.non_atomic_requests  # the message's claim commits before it is sent (tenants/limits.py)
@no_store
@require_http_methods(["GET", "POST"])
def key_share(request: HttpRequest, pk: int) -> HttpResponse:
    """Send a visitor's guest link by e-mail or text message."""
    key = get_object_or_404(
        VisitorKey.objects.filter(pass_obj__in=Pass.objects.restrict(request_grants(request))).select_related(
            "pass_obj__building"
        ),
        pk=pk,
    )
    if request.method == "POST" and key.removed_at is not None:
        gone = _("%(name)s was removed from this pass: there is nothing to send.")
        messages.error(request, gone % {"name": key.name})
    elif request.method == "POST":
        form = ShareForm(request.POST, user=request.user)
        if form.is_valid():
            to = form.cleaned_data["to"]
            try:
                services.key_share(
                    actor=request.user,
                    key=key,
                    to=to,
                    url=sharing.share_url(key, request),
                    language=form.cleaned_data["language"],
                )
            except (services.PassLimited, services.ShareFailed) as exc:
                messages.error(request, exc.message)
            else:
                messages.success(request, _("The pass of %(name)s was sent to %(to)s.") % {"name": key.name, "to": to})
        else:
            messages.error(request, " ".join(m for errors in form.errors.values() for m in errors))
    return redirect("passes:detail", pk=key.pass_obj_id)


@login_required
@transaction.non_atomic_requests  # ButterflyMX first, then the portal's row: no transaction across the call
@require_http_methods(["POST"])
def key_remove(request: HttpRequest, pk: int) -> HttpResponse:
    """The pass page's "Remove" on one visitor: their key ends, the others keep working. The host's own
    pass only (anyone else who may see the pass gets a 404, as for the arrivals switch)."""
    key = get_object_or_404(
        VisitorKey.objects.filter(pass_obj__in=Pass.objects.restrict(request_grants(request))).select_related(
            "pass_obj__building__admin_link", "pass_obj__link", "pass_obj__residency"
        ),
        pk=pk,
    )
    if not _is_host(request, key.pass_obj):
        raise Http404("Not the pass's host")
    try:
        key_removal.key_remove(key=key, actor=request.user)
    except key_removal.KeyRemovalError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(
            request,
            _(
                "%(name)s is removed from “%(pass)s”: their PIN and QR code no longer open doors. "
                "The other visitors' still do."
            )
            % {"name": key.name, "pass": key.pass_obj.name},
        )
    return redirect("passes:detail", pk=key.pass_obj_id)


# --- The guest page -----------------------------------------------------------------------------


def _guest_headers(response: HttpResponse) -> HttpResponse:
    response["Referrer-Policy"] = "no-referrer"
    response["X-Robots-Tag"] = "noindex, nofollow"
    return response


def _guest_key(request: HttpRequest, token: str) -> VisitorKey:
    """The link's visitor key, counted against the guest limits (passes/guest_limits.py); raises
    :class:`~passes.guest_limits.GuestLimited` past them and Http404 for an unknown link."""
    address = client_ip(request)
    guest_limits.address_claim(address)
    key = selectors.key_for_share_token(token)
    if key is None or key.pass_obj.status in (Pass.Status.PENDING, Pass.Status.FAILED):
        guest_limits.miss_record(address)
        raise Http404("No such pass")
    guest_limits.link_claim(address, key.pk)
    return key


def _guest_limited(request: HttpRequest, limited: guest_limits.GuestLimited) -> HttpResponse:
    """The branded 429 page, with Retry-After; never cached (no_store on the view)."""
    return _guest_headers(too_many_requests(request, retry_after=limited.retry_after))


# Read-only pages outside the request's transaction: while Redis is down the guest limits count in the
# database (passes/guest_limits.py), and an unknown link's 404 must not roll its count back.
@transaction.non_atomic_requests
@no_store
@require_GET
def guest(request: HttpRequest, token: str) -> HttpResponse:
    try:
        key = _guest_key(request, token)
    except guest_limits.GuestLimited as limited:
        return _guest_limited(request, limited)
    pass_obj = key.pass_obj
    state = "removed" if key.removed_at is not None else pass_obj.state()
    usable = state in ("active", "upcoming")
    context = {
        "key": key,
        "pass": pass_obj,
        "state": state,
        "usable": usable,
        "tz": pass_obj.building.tz,
        "doors": list(pass_obj.doors.all()),
        "qr_svg": sharing.qr_svg(sharing.qr_payload(key)) if usable else "",
        "ics_url": reverse("passes:guest_ics", kwargs={"token": token}),
        **(_wallets() if usable else {}),
    }
    return _guest_headers(render(request, "passes/guest.html", context))


@transaction.non_atomic_requests  # as guest(): the limits' database fallback
@no_store  # the calendar file carries the guest link
@require_GET
def guest_ics(request: HttpRequest, token: str) -> HttpResponse:
    try:
        key = _guest_key(request, token)
    except guest_limits.GuestLimited as limited:
        return _guest_limited(request, limited)
    url = request.build_absolute_uri(reverse("passes:guest", kwargs={"token": token}))
    response = HttpResponse(sharing.ics_for(key, url), content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="visitor-pass.ics"'
    return _guest_headers(response)


def _wallet_key(request: HttpRequest, token: str, enabled) -> VisitorKey:
    """The link's key for a wallet, as the guest page finds it (same limits, same 404); and a 404 too
    when that wallet is off, or the pass no longer opens a door (revoked, expired, used): a wallet
    pass made of it would only fail at the door."""
    key = _guest_key(request, token)
    if not enabled() or key.pass_obj.state() not in ("active", "upcoming"):
        raise Http404("No wallet pass")
    return key


def _guest_page_url(request: HttpRequest, token: str) -> str:
    return request.build_absolute_uri(reverse("passes:guest", kwargs={"token": token}))


@transaction.non_atomic_requests  # as guest(): the limits' database fallback
@no_store  # the pass carries the QR code and PIN
@require_GET
def guest_apple_wallet(request: HttpRequest, token: str) -> HttpResponse:
    """The guest's pass as a signed .pkpass for Apple Wallet (passes/wallet/apple.py)."""
    try:
        key = _wallet_key(request, token, wallet_config.apple_enabled)
    except guest_limits.GuestLimited as limited:
        return _guest_limited(request, limited)
    data = wallet_apple.pkpass(wallet_pass(key, _guest_page_url(request, token)), wallet_config.apple_credentials())
    response = HttpResponse(data, content_type=wallet_apple.CONTENT_TYPE)
    # Safari hands this type to Wallet whatever the disposition; other browsers save the file. (The
    # links carry no `download` attribute: with it, iOS saves to Files instead of opening Wallet.)
    response["Content-Disposition"] = f'attachment; filename="{wallet_apple.FILENAME}"'
    return _guest_headers(response)


@transaction.non_atomic_requests  # as guest(): the limits' database fallback
@no_store  # the redirect carries the QR code and PIN
@require_GET
def guest_google_wallet(request: HttpRequest, token: str) -> HttpResponse:
    """A redirect to Google Wallet's save link, signed now (passes/wallet/google.py). A redirect, not
    a link in the page, so that pages showing the buttons sign nothing until a guest asks."""
    try:
        key = _wallet_key(request, token, wallet_config.google_enabled)
    except guest_limits.GuestLimited as limited:
        return _guest_limited(request, limited)
    creds = wallet_config.google_credentials()
    return _guest_headers(
        HttpResponseRedirect(wallet_google.save_url(wallet_pass(key, _guest_page_url(request, token)), creds))
    )
