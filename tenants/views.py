"""Pages for linking ButterflyMX accounts, the profile and PIN, and connected buildings.

Views that call ButterflyMX are ``non_atomic_requests``: a token refresh must be committed at once
(ButterflyMX rotated the refresh token; rolling back our copy would lose the only valid one), and no
database transaction should stay open across a slow HTTP call. Their services open short
transactions of their own.
"""

from __future__ import annotations

import logging

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core import signing
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from portal import tenant_moves
from portal.building_connections import link_unlink, resident_linked
from portal.butterflymx import BmxError, oauth
from portal.core.nostore import no_store

from . import lifecycle, people, roster, selectors
from . import profile as profile_services
from . import rent_roll as rent_roll_service
from .forms import (
    BuildingLimitsForm,
    InviteForm,
    LinkKindForm,
    MoveInForm,
    PinForm,
    ProfileForm,
    RentRollApplyForm,
    RentRollForm,
    RoleForm,
)
from .limits import LimitReached, building_limits_set, doors_refresh_claim, limits_usage
from .models import BmxLink, Invitation, Membership, Residency, Role, TenantMove, TenantRecord
from .scope import get_building_or_404, request_grants
from .services import (
    NotABuildingAdmin,
    NoTenancy,
    TenantLinkedElsewhere,
    link_admin_connect,
    link_tenant_connect,
    residency_doors_refresh,
    residency_make_primary,
    roster_sync_start,
)

logger = logging.getLogger(__name__)

SESSION_KEY = "bmx_oauth"
KINDS = {BmxLink.Kind.TENANT.value, BmxLink.Kind.BUILDING_ADMIN.value}


def _callback_uri(request: HttpRequest) -> str:
    return request.build_absolute_uri(reverse("tenants:link_callback"))


def _after_link(kind: str) -> str:
    return reverse("tenants:buildings") if kind == BmxLink.Kind.BUILDING_ADMIN else reverse("tenants:profile")


# --- Link ----------------------------------------------------------------------------------------


@login_required
@require_POST
def link_start(request: HttpRequest) -> HttpResponse:
    """Send the person to ButterflyMX's login page with a fresh ``state`` and PKCE verifier."""
    kind = request.POST.get("kind", BmxLink.Kind.TENANT)
    if kind not in KINDS:
        raise Http404
    auth = oauth.authorization_request(_callback_uri(request))
    # One attempt at a time: a new start replaces an unfinished one (its state then fails).
    request.session[SESSION_KEY] = {"state": auth.state, "verifier": auth.code_verifier, "kind": kind}
    return redirect(auth.url)


@login_required
@require_GET
@never_cache
@transaction.non_atomic_requests
def link_callback(request: HttpRequest) -> HttpResponse:
    """ButterflyMX sends the person back here with ``code`` and ``state`` (or ``error``)."""
    attempt = request.session.pop(SESSION_KEY, None)  # one-shot: a replayed state finds nothing
    request.session.modified = True
    state = request.GET.get("state", "")
    if not attempt or not state or state != attempt.get("state"):
        messages.error(
            request,
            _(
                "That ButterflyMX sign-in could not be matched to a link you started (it expired, was already "
                "used, or came from another browser). Nothing was linked; start again."
            ),
        )
        return redirect("tenants:profile")
    kind = attempt["kind"]
    if request.GET.get("error"):
        if request.GET["error"] == "access_denied":
            text = _("You did not allow the portal to use your ButterflyMX account. Nothing was linked.")
        else:
            text = _("ButterflyMX did not complete the sign-in. Nothing was linked; try again.")
        messages.error(request, text)
        return redirect(_after_link(kind))
    try:
        tokens = oauth.exchange_code(
            code=request.GET.get("code", ""), redirect_uri=_callback_uri(request), code_verifier=attempt["verifier"]
        )
        if kind == BmxLink.Kind.BUILDING_ADMIN:
            link_admin_connect(user=request.user, tokens=tokens)
        else:
            resident_linked(link_tenant_connect(user=request.user, tokens=tokens))
    except TenantLinkedElsewhere:
        messages.error(
            request,
            _(
                "That ButterflyMX account is already linked to another portal account. Unlink it there first "
                "(Profile, Unlink), or sign in to ButterflyMX with your own account. Nothing was linked."
            ),
        )
        return redirect(_after_link(kind))
    except NoTenancy as refused:
        messages.error(request, _no_tenancy_text(request.user, refused))
        return redirect(_after_link(kind))
    except NotABuildingAdmin as refused:
        messages.error(
            request,
            _(
                "That ButterflyMX account does not administer any building. %(why)s Sign in with "
                "a building-admin account, or link it from your profile as a resident. Nothing was linked."
            )
            % {"why": refused.explanation},
        )
        return redirect(_after_link(kind))
    except BmxError as exc:
        logger.info("ButterflyMX link failed: HTTP %s %s", exc.status, exc.code)
        if exc.code == "invalid_grant":
            text = _("The ButterflyMX sign-in expired or was already used. Nothing was linked; start again.")
        elif exc.transient:
            text = _("ButterflyMX could not be reached just now. Nothing was linked; try again in a moment.")
        else:
            text = _("ButterflyMX refused the link: %(why)s Nothing was linked.") % {"why": exc.human_message}
        messages.error(request, text)
        return redirect(_after_link(kind))
    if kind == BmxLink.Kind.BUILDING_ADMIN:
        messages.success(
            request,
            _(
                "Building-admin account connected. The roster sync has started: it mirrors the buildings this "
                "account administers. A building where ButterflyMX refuses the admin read (HTTP 401, 403 or 404) "
                "is treated as one where the account is only a tenant, and is counted as not administered."
            ),
        )
    else:
        messages.success(request, _("Your ButterflyMX account is linked."))
    return redirect(_after_link(kind))


def _no_tenancy_text(user, refused: NoTenancy) -> str:
    """Say what the account was, what to do instead, and that the person's home stayed as it was."""
    if refused.administers:
        text = _(
            "That ButterflyMX account is a building-admin account (%(buildings)s), not a "
            "resident's: it has no home in any building, so it was not linked as yours. To manage those "
            'buildings, use "Connect a building" on the Buildings page instead.'
        ) % {"buildings": ", ".join(refused.administers)}
    else:
        text = _(
            "That ButterflyMX account has no home (tenancy) in any building, so it was not linked. Sign in "
            "with the account you use in the ButterflyMX app for your unit."
        )
    homes = Residency.objects.filter(user=user, is_active=True).select_related("unit__building")
    if homes:
        kept = "; ".join(
            _("%(building)s, unit %(unit)s") % {"building": r.unit.building.name, "unit": r.unit.label} for r in homes
        )
        return _("%(refusal)s Nothing was linked; your home (%(homes)s) and your current link are unchanged.") % {
            "refusal": text,
            "homes": kept,
        }
    return _("%(refusal)s Nothing was linked.") % {"refusal": text}


@login_required
@require_POST
@transaction.non_atomic_requests
def link_remove(request: HttpRequest) -> HttpResponse:
    form = LinkKindForm(request.POST)
    if not form.is_valid():
        return HttpResponse(
            _("Unknown link kind: use the Unlink button of your profile or buildings page."),
            status=400,
            content_type="text/plain; charset=utf-8",
        )
    kind = form.cleaned_data["kind"]
    link = get_object_or_404(BmxLink, user=request.user, kind=kind)
    try:
        link_unlink(link=link)
    except BmxError as exc:
        messages.error(request, _("The link was kept: %(why)s") % {"why": exc.human_message})
    else:
        messages.success(request, _("Unlinked. The portal no longer holds access to that ButterflyMX account."))
    return redirect(_after_link(kind))


# --- Profile -------------------------------------------------------------------------------------


@login_required
@require_POST
@transaction.non_atomic_requests  # the claim commits, and no transaction stays open across ButterflyMX
def doors_refresh(request: HttpRequest) -> HttpResponse:
    """A resident's "Refresh": their doors re-read from ButterflyMX now, a few times an hour at most."""
    back = "dashboard:my_doors" if request.POST.get("next") == "doors" else "tenants:profile"
    link = BmxLink.objects.filter(user=request.user, kind=BmxLink.Kind.TENANT).first()
    if link is None or not link.is_active:
        messages.error(request, _("Link your ButterflyMX account first: your doors come from it."))
        return redirect(back)
    try:
        doors_refresh_claim(user_id=request.user.pk)
    except LimitReached as refused:
        messages.error(request, refused.message)
        return redirect(back)
    try:
        changed = residency_doors_refresh(link=link)
    except BmxError as exc:
        messages.error(request, _("ButterflyMX did not answer: %(why)s") % {"why": exc.human_message})
    else:
        messages.success(
            request, _("Your doors are up to date.") if changed else _("Your doors were already up to date.")
        )
    return redirect(back)


@login_required
@never_cache
@require_http_methods(["GET", "POST"])
@transaction.non_atomic_requests
def profile(request: HttpRequest) -> HttpResponse:
    user = request.user
    result = None
    if request.method == "POST":
        form = ProfileForm(request.POST)
        if form.is_valid():
            result = profile_services.profile_update(user=user, **form.cleaned_data)
            # The page after the redirect is in the chosen language (PersonLanguageMiddleware); so is this.
            with translation.override(user.language or translation.get_language()):
                messages.success(request, _("Your profile is saved."))
            if result.bmx_message and result.pushed:
                messages.info(request, result.bmx_message)
            elif result.bmx_message:
                messages.warning(
                    request, _("ButterflyMX did not take the change: %(why)s") % {"why": result.bmx_message}
                )
            return redirect("tenants:profile")
    else:
        form = ProfileForm(
            initial={
                "first_name": user.first_name,
                "last_name": user.last_name,
                "phone": user.phone,
                "language": user.language,
                "push": True,
            }
        )
    residency = profile_services.active_residency(user)
    bmx_profile, bmx_error = None, ""
    if residency is not None:
        try:
            bmx_profile = profile_services.profile_from_bmx(residency=residency)
        except BmxError as exc:
            bmx_error = exc.human_message
    context = {
        "form": form,
        "links": {link.kind: link for link in BmxLink.objects.filter(user=user)},
        "tenancies": selectors.tenancies_of(user),
        "residency": residency,
        "bmx_profile": bmx_profile,
        "bmx_error": bmx_error,
        "pin_form": PinForm(),
    }
    return render(request, "tenants/profile.html", context)


@login_required
@require_POST
def tenancy_choose(request: HttpRequest) -> HttpResponse:
    try:  # a form field, not int(): ids have a range (SQLite raised OverflowError past it)
        residency_id = forms.IntegerField(min_value=1, max_value=2**63 - 1).clean(request.POST.get("residency"))
        residency_make_primary(user=request.user, residency_id=residency_id)
    except (ValidationError, Residency.DoesNotExist):
        raise Http404 from None
    messages.success(request, _("Active home changed."))
    return redirect("tenants:profile")


@login_required
@no_store  # the PIN, masked or revealed
@require_http_methods(["GET", "POST"])
@transaction.non_atomic_requests
def pin(request: HttpRequest) -> HttpResponse:
    """The PIN card (an htmx fragment): masked, revealed on demand, set, or generated."""
    residency = profile_services.active_residency(request.user)
    if residency is None:
        raise Http404
    form = PinForm(request.POST or None)
    context = {"residency": residency, "form": form, "revealed": False, "error": "", "saved": False}
    if request.method == "POST" and form.is_valid():
        code = None if form.cleaned_data["generate"] else form.cleaned_data["code"]
        try:
            state = profile_services.pin_set(residency=residency, code=code)
        except profile_services.PinRefused as refused:
            for text in refused.errors:  # one message for every reason: see pin_set
                form.add_error("code", text)
            state = None
        except LimitReached as limited:
            context["error"] = limited.message
            state = None
        except BmxError as exc:
            context["error"] = exc.human_message
            state = None
        if state is not None:
            context.update(state=state, revealed=True, saved=True, form=PinForm())
            return render(request, "tenants/_pin.html", context)
    try:
        context["state"] = profile_services.pin_current(residency=residency)
    except BmxError as exc:
        context["error"] = context["error"] or exc.human_message
        context["state"] = None
    context["revealed"] = request.GET.get("reveal") == "1"
    return render(request, "tenants/_pin.html", context)


# --- Connected buildings (managers) --------------------------------------------------------------


@login_required
@require_GET
def buildings(request: HttpRequest) -> HttpResponse:
    """The buildings the person manages, their ButterflyMX connection, and the connect button."""
    admin_link = BmxLink.objects.filter(user=request.user, kind=BmxLink.Kind.BUILDING_ADMIN).first()
    context = {
        "buildings": selectors.managed_buildings(request_grants(request)),
        "admin_link": admin_link,
        "is_manager": selectors.managed_buildings(request_grants(request)).exists(),
    }
    return render(request, "tenants/buildings.html", context)


@login_required
@require_GET
def building_detail(request: HttpRequest, pk: int) -> HttpResponse:
    building = get_building_or_404(request_grants(request), pk, Role.MANAGER)
    context = {
        "building": building,
        "sync": (sync := selectors.latest_sync(building)),
        "sync_texts": roster.sync_texts(sync),
        "limits": limits_usage(building),
        **selectors.roster_counts(building),
    }
    return render(request, "tenants/building.html", context)


@login_required
@never_cache
@require_http_methods(["GET", "POST"])
def building_limits(request: HttpRequest, pk: int) -> HttpResponse:
    """The building's hourly abuse limits, this hour's usage, and the form that changes them (managers)."""
    building = get_building_or_404(request_grants(request), pk, Role.MANAGER)
    usage = limits_usage(building)
    form = BuildingLimitsForm(request.POST or None, usage=usage)
    if request.method == "POST" and form.is_valid():
        building_limits_set(building=building, values=form.cleaned_data, user=request.user)
        messages.success(request, _("Limits saved. They apply from the next message or pass."))
        return redirect("tenants:building_limits", pk=building.pk)
    return render(request, "tenants/limits.html", {"building": building, "usage": usage, "form": form})


@login_required
@require_POST
def building_sync(request: HttpRequest, pk: int) -> HttpResponse:
    building = get_building_or_404(request_grants(request), pk, Role.MANAGER)
    if building.admin_link is None or not building.admin_link.is_active:
        messages.error(request, _("Connect a working building-admin account first."))
    else:
        roster_sync_start(link=building.admin_link, requested_by=request.user)
        messages.info(request, _("Roster sync queued."))
    return redirect("tenants:building", pk=building.pk)


@login_required
@require_GET
@never_cache
def building_sync_status(request: HttpRequest, pk: int) -> HttpResponse:
    building = get_building_or_404(request_grants(request), pk, Role.MANAGER)
    sync = selectors.latest_sync(building)
    context = {"building": building, "sync": sync, "sync_texts": roster.sync_texts(sync)}
    return render(request, "tenants/_sync_status.html", context)


# --- People of a building (managers) ---------------------------------------------------------------


@login_required
@never_cache
@require_http_methods(["GET", "POST"])
def building_people(request: HttpRequest, pk: int) -> HttpResponse:
    """The building's staff and managers, open invitations, residents, and the invite form."""
    building = get_building_or_404(request_grants(request), pk, Role.MANAGER)
    form = InviteForm(request.POST or None, initial={"language": translation.get_language()})
    if request.method == "POST" and form.is_valid():
        try:
            outcome = people.person_invite(
                building=building,
                email=form.cleaned_data["email"],
                role=form.cleaned_data["role"],
                invited_by=request.user,
                accept_url=_accept_url(request),
                language=form.cleaned_data["language"],
            )
        except people.PeopleError as exc:
            form.add_error("email", str(exc))
        else:
            email = form.cleaned_data["email"]
            if outcome == "added":
                messages.success(
                    request,
                    _("%(email)s has a portal account: the role is theirs now; we told them.") % {"email": email},
                )
            else:
                messages.success(
                    request, _("Invitation sent to %(email)s. The link in it works once.") % {"email": email}
                )
            return redirect("tenants:building_people", pk=building.pk)
    members, invitations = people.building_people(building)
    context = {
        "building": building,
        "form": form,
        "members": members,
        "invitations": invitations,
        "residents": people.building_residents(building),
        "invitation_days": people.INVITATION_DAYS,
        "role_choices": RoleForm.base_fields["role"].choices,
        "connected": building.admin_link is not None and building.admin_link.is_active,
        "moves": TenantMove.objects.filter(building=building).select_related("actor")[:10],
    }
    return render(request, "tenants/people.html", context, status=400 if form.errors else 200)


def _accept_url(request: HttpRequest):
    return lambda token: request.build_absolute_uri(reverse("tenants:invitation", args=[token]))


def _membership_or_404(request: HttpRequest, pk: int, membership_pk: int):
    building = get_building_or_404(request_grants(request), pk, Role.MANAGER)
    return get_object_or_404(Membership.objects.select_related("user", "building"), pk=membership_pk, building=building)


@login_required
@require_POST
def person_role(request: HttpRequest, pk: int, membership_pk: int) -> HttpResponse:
    membership = _membership_or_404(request, pk, membership_pk)
    form = RoleForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose staff or manager."))
    else:
        try:
            people.membership_set_role(membership=membership, role=form.cleaned_data["role"], actor=request.user)
        except people.PeopleError as exc:
            messages.error(request, str(exc))
        else:
            messages.success(
                request,
                _("%(person)s is now %(role)s.")
                % {"person": membership.user, "role": people.role_in_sentence(membership.role)},
            )
    return redirect("tenants:building_people", pk=pk)


@login_required
@require_POST
def person_remove(request: HttpRequest, pk: int, membership_pk: int) -> HttpResponse:
    membership = _membership_or_404(request, pk, membership_pk)
    try:
        people.membership_remove(membership=membership, actor=request.user)
    except people.PeopleError as exc:
        messages.error(request, str(exc))
        return redirect("tenants:building_people", pk=pk)
    messages.success(
        request,
        _("%(person)s no longer works at %(building)s.")
        % {"person": membership.user, "building": membership.building.name},
    )
    if membership.user_id == request.user.pk:
        return redirect("home")  # they removed themself: the building's pages are no longer theirs
    return redirect("tenants:building_people", pk=pk)


def _invitation_or_404(request: HttpRequest, pk: int, invitation_pk: int) -> Invitation:
    """An open invitation of a building the person manages; 404 for any other (another building's, or
    one already accepted, cancelled or expired: the page no longer lists it)."""
    building = get_building_or_404(request_grants(request), pk, Role.MANAGER)
    return get_object_or_404(people.open_invitations().select_related("building"), pk=invitation_pk, building=building)


@login_required
@require_POST
def invitation_resend(request: HttpRequest, pk: int, invitation_pk: int) -> HttpResponse:
    invite = _invitation_or_404(request, pk, invitation_pk)
    try:
        people.invitation_resend(invitation=invite, actor=request.user, accept_url=_accept_url(request))
    except people.PeopleError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(
            request,
            ngettext(
                "Invitation sent again to %(email)s, with a new link for %(days)s day; the old link no longer works.",
                "Invitation sent again to %(email)s, with a new link for %(days)s days; the old link no longer works.",
                people.INVITATION_DAYS,
            )
            % {"email": invite.email, "days": people.INVITATION_DAYS},
        )
    return redirect("tenants:building_people", pk=pk)


@login_required
@require_POST
def invitation_cancel(request: HttpRequest, pk: int, invitation_pk: int) -> HttpResponse:
    invite = _invitation_or_404(request, pk, invitation_pk)
    try:
        people.invitation_cancel(invitation=invite, actor=request.user)
    except people.PeopleError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(
            request, _("Invitation of %(email)s cancelled: its link no longer works.") % {"email": invite.email}
        )
    return redirect("tenants:building_people", pk=pk)


@never_cache
@require_http_methods(["GET", "POST"])
def invitation(request: HttpRequest, token: str) -> HttpResponse:
    """The invitation link: anyone holding it sees what it is; the invited person accepts it signed in
    with the invited address (after signing up if they have no account)."""
    invite = people.invitation_for(token)
    if invite is None:
        raise Http404(_("No such invitation"))
    if request.method == "POST":
        if not request.user.is_authenticated:
            return redirect(f"{reverse('account_login')}?next={request.path}")
        try:
            people.invitation_accept(token=token, user=request.user)
        except people.PeopleError as exc:
            messages.error(request, str(exc))
            return redirect(request.path)
        messages.success(
            request,
            _("Welcome to %(building)s as %(role)s.")
            % {"building": invite.building.name, "role": people.role_in_sentence(invite.role)},
        )
        return redirect("home")
    context = {"invite": invite, "invite_role": people.role_in_sentence(invite.role), "next": request.path}
    return render(request, "tenants/invitation.html", context)


# --- Tenant lifecycle: move in, re-invite, move out, rent roll (managers, issue 19) ------------------------


ROLL_SALT = "tenants.rent_roll"
ROLL_MAX_AGE_S = 3600


def _tenant_or_404(request: HttpRequest, pk: int, tenant_pk: int) -> TenantRecord:
    """An active ButterflyMX tenant of a building the person manages; 404 for any other."""
    building = get_building_or_404(request_grants(request), pk, Role.MANAGER)
    return get_object_or_404(
        TenantRecord.objects.select_related("building", "unit"), pk=tenant_pk, building=building, is_active=True
    )


def _movable_units(building):
    return building.units.filter(is_active=True, bmx_id__isnull=False).order_by("label")


@login_required
@never_cache
@require_http_methods(["GET", "POST"])
@transaction.non_atomic_requests  # ButterflyMX is called: no transaction across it (see the top)
def tenant_new(request: HttpRequest, pk: int) -> HttpResponse:
    """Move a tenant in: name, e-mail, phone, unit, move-in date and access groups."""
    building = get_building_or_404(request_grants(request), pk, Role.MANAGER)
    groups, groups_error = [], ""
    try:
        groups = lifecycle.access_groups(building)
    except lifecycle.MoveError as exc:
        groups_error = str(exc)
    except BmxError as exc:
        groups_error = _("ButterflyMX did not list the access groups: %(why)s") % {"why": exc.human_message}
    form = MoveInForm(request.POST or None, units=_movable_units(building), groups=groups)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        newcomer = lifecycle.Newcomer(
            unit=data["unit"],
            first_name=data["first_name"],
            last_name=data["last_name"],
            email=data["email"].lower(),
            phone=data["phone"],
            move_in=data["move_in"],
            group_ids=data["groups"],
        )
        try:
            record = lifecycle.tenant_move_in(building=building, newcomer=newcomer, actor=request.user)
        except lifecycle.MoveError as exc:
            form.add_error(exc.field if exc.field in form.fields else None, str(exc))
        else:
            messages.success(
                request,
                _("%(name)s moved in to unit %(unit)s. ButterflyMX e-mailed an invitation to %(email)s.")
                % {"name": record, "unit": newcomer.unit.label, "email": record.email},
            )
            return redirect("tenants:building_people", pk=building.pk)
    context = {"building": building, "form": form, "groups_error": groups_error}
    return render(request, "tenants/tenant_new.html", context, status=400 if form.errors else 200)


@login_required
@require_POST
@transaction.non_atomic_requests
def tenant_resend(request: HttpRequest, pk: int, tenant_pk: int) -> HttpResponse:
    record = _tenant_or_404(request, pk, tenant_pk)
    try:
        lifecycle.tenant_resend_invitation(record=record, actor=request.user)
    except lifecycle.MoveError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(
            request, _("ButterflyMX is sending the invitation to %(email)s again.") % {"email": record.email}
        )
    return redirect("tenants:building_people", pk=pk)


@login_required
@require_POST
@transaction.non_atomic_requests
def tenant_move_out(request: HttpRequest, pk: int, tenant_pk: int) -> HttpResponse:
    record = _tenant_or_404(request, pk, tenant_pk)
    try:
        outcome = tenant_moves.tenant_move_out(record=record, actor=request.user)
    except lifecycle.MoveError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(
            request,
            _(
                "%(name)s moved out of unit %(unit)s: ButterflyMX no longer has them as a tenant, so their PIN, "
                "fobs and visitor passes no longer open doors (visitor passes revoked here: %(passes)s). Their "
                "entries and calls stay in the logs."
            )
            % {"name": record, "unit": record.unit.label if record.unit else "—", "passes": outcome.passes_ended},
        )
    return redirect("tenants:building_people", pk=pk)


@login_required
@never_cache
@require_http_methods(["GET", "POST"])
def rent_roll(request: HttpRequest, pk: int) -> HttpResponse:
    """Upload a rent roll and see what it would do (nothing is changed here)."""
    building = get_building_or_404(request_grants(request), pk, Role.MANAGER)
    form = RentRollForm(request.POST or None, request.FILES or None)
    context = {"building": building, "form": form, "plan": None}
    if request.method == "POST" and form.is_valid():
        try:
            text = rent_roll_service.read_upload(form.cleaned_data["file"])
            context["plan"] = rent_roll_service.plan(building, text)
        except rent_roll_service.RollError as exc:
            form.add_error("file", str(exc))
        else:
            context["apply_form"] = RentRollApplyForm(initial={"roll": _sign_roll(building, text)})
    return render(request, "tenants/rent_roll.html", context, status=400 if form.errors else 200)


def _sign_roll(building, text: str) -> str:
    return signing.dumps({"building": building.pk, "text": text}, salt=ROLL_SALT, compress=True)


def _unsign_roll(building, value: str) -> str | None:
    try:
        data = signing.loads(value, salt=ROLL_SALT, max_age=ROLL_MAX_AGE_S)
    except signing.BadSignature:  # SignatureExpired is one
        return None
    return data["text"] if isinstance(data, dict) and data.get("building") == building.pk else None


@login_required
@require_POST
@transaction.non_atomic_requests
def rent_roll_apply(request: HttpRequest, pk: int) -> HttpResponse:
    """Apply a previewed rent roll: every move-in or none (``tenants.rent_roll``)."""
    building = get_building_or_404(request_grants(request), pk, Role.MANAGER)
    form = RentRollApplyForm(request.POST)
    text = _unsign_roll(building, form.data.get("roll", "")) if form.is_valid() else None
    if text is None:
        messages.error(
            request, _("That preview is more than an hour old or not this building's: upload the file again.")
        )
        return redirect("tenants:rent_roll", pk=pk)
    context = {"building": building, "form": RentRollForm(), "plan": None}
    try:
        plan, result = rent_roll_service.apply(building, text, actor=request.user)
    except (rent_roll_service.RollError, lifecycle.MoveError) as exc:
        messages.error(request, str(exc))
        return redirect("tenants:rent_roll", pk=pk)
    if result is None:  # the roster changed since the preview: show the new plan, nothing was done
        context.update(plan=plan, apply_form=RentRollApplyForm(initial={"roll": _sign_roll(building, text)}))
        messages.warning(request, _("Nothing was applied: the rent roll has errors now. Fix them and upload it again."))
        return render(request, "tenants/rent_roll.html", context, status=409)
    if result.refused is None and not result.left:
        messages.success(
            request,
            ngettext(
                "Rent roll applied: %(n)s tenant moved in; ButterflyMX e-mailed them an invitation.",
                "Rent roll applied: %(n)s tenants moved in; ButterflyMX e-mailed each an invitation.",
                len(result.moved_in),
            )
            % {"n": len(result.moved_in)},
        )
        return redirect("tenants:building_people", pk=pk)
    context["result"] = result
    return render(request, "tenants/rent_roll.html", context)
