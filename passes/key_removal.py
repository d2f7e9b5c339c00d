"""Remove one visitor from a pass: their virtual key ends at ButterflyMX, the pass's other keys go on.

A keychain at ButterflyMX issues one virtual key per visitor; ``DELETE /v4/virtual_keys/{id}`` ends one
key and leaves the keychain and its other keys working (revoking the whole pass is
``DELETE /v4/keychains/{id}``, :func:`passes.services.pass_revoke`). Only the pass's host does this, on
the pass page.

Nothing half done: ButterflyMX is asked first, and the portal's row is marked removed only when
ButterflyMX removed the key (204), or no longer has it (404), or, after a call that got no answer, no
longer lists it. A refusal (422) or a failure changes nothing here: the visitor is still shown, because
their key still opens doors. The removed row stays (who removed it, when) without its PIN and QR code,
and its guest link says the visitor was removed.
"""

from __future__ import annotations

import logging

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from portal.butterflymx import BmxClient, BmxError
from tenants.services import client_for_link

from .models import Pass, VisitorKey
from .services import passes_changed_announce

logger = logging.getLogger(__name__)


class KeyRemovalError(Exception):
    """The visitor was not removed; ``message`` says why, in words for the host."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


def _client(pass_obj: Pass) -> BmxClient:
    """The account that made the pass (the host's own link, or the building's admin link when staff made
    it for them); the building's admin link when that one no longer works."""
    for link in (pass_obj.link, pass_obj.building.admin_link):
        if link is not None and link.is_active:
            return client_for_link(link)
    raise KeyRemovalError(_("No linked ButterflyMX account can act on this pass: link your account again."))


def _check(key: VisitorKey) -> None:
    pass_obj = key.pass_obj
    if pass_obj.status != Pass.Status.ACTIVE or pass_obj.state() not in ("active", "upcoming"):
        raise KeyRemovalError(_("This pass no longer opens any door: there is nobody to remove."))
    if pass_obj.kind == Pass.Kind.DELIVERY:
        raise KeyRemovalError(_("A delivery pass has a single key: revoke the pass instead."))
    if key.bmx_virtual_key_id is None:
        raise KeyRemovalError(_("ButterflyMX does not know this visitor's key; revoke the pass instead."))
    others = pass_obj.keys.filter(removed_at__isnull=True).exclude(pk=key.pk)
    if not others.exists():
        raise KeyRemovalError(
            _("%(name)s is the only visitor left on this pass: revoke the pass instead.") % {"name": key.name}
        )


def _still_listed(client: BmxClient, key: VisitorKey) -> bool:
    """After a delete that got no answer: does ButterflyMX still list the key? (A failed read: yes.)"""
    try:
        listed = client.virtual_keys(keychain_id_eq=key.pass_obj.bmx_keychain_id)
    except BmxError:
        return True
    return any(item.get("id") == key.bmx_virtual_key_id for item in listed)


def key_remove(*, key: VisitorKey, actor) -> VisitorKey:
    """Remove ``key``'s visitor from its pass (see the module docstring). Raises :class:`KeyRemovalError`."""
    if key.removed_at is not None:
        return key  # a second click: done already
    _check(key)
    client = _client(key.pass_obj)
    try:
        client.delete_virtual_key(key.bmx_virtual_key_id)  # type: ignore[arg-type]  # _check: not None
    except BmxError as exc:
        gone = exc.status == 404 or ((exc.status == 0 or exc.status >= 500) and not _still_listed(client, key))
        if not gone:
            if exc.status == 422:
                reason = "; ".join(e.message for e in exc.errors) or exc.code
                raise KeyRemovalError(
                    _("ButterflyMX refused to remove %(name)s (%(reason)s): their key still works, as do the others.")
                    % {"name": key.name, "reason": reason}
                ) from exc
            raise KeyRemovalError(
                _("%(name)s was not removed: %(why)s Their key still works.")
                % {"name": key.name, "why": exc.human_message}
            ) from exc
    _mark_removed(key, actor)
    logger.info(
        "visitor key %s (virtual key %s) of pass %s removed by user=%s",
        key.pk,
        key.bmx_virtual_key_id,
        key.pass_obj_id,
        getattr(actor, "pk", None),
    )
    passes_changed_announce([(key.pass_obj.building_id, key.pass_obj.unit_id)])
    return key


def _mark_removed(key: VisitorKey, actor) -> None:
    """The row stays for history; its secrets go (they open nothing now), and the pass no longer names
    the visitor as a recipient, so "Extend or change" does not invite them again."""
    now = timezone.now()
    with transaction.atomic():
        locked = VisitorKey.objects.select_for_update().filter(pk=key.pk, removed_at__isnull=True).first()
        if locked is None:  # removed meanwhile by another click
            key.refresh_from_db()
            return
        locked.removed_at, locked.removed_by = now, actor
        locked.pin = locked.qr_code_url = locked.instructions_url = ""
        locked.save(update_fields=["removed_at", "removed_by", "pin", "qr_code_url", "instructions_url"])
        pass_obj = Pass.objects.select_for_update().get(pk=key.pass_obj_id)
        contacts = {c for c in (locked.email, locked.phone) if c}
        if contacts & set(pass_obj.recipients or []):
            pass_obj.recipients = [r for r in pass_obj.recipients if r not in contacts]
            pass_obj.save(update_fields=["recipients", "updated_at"])
    key.refresh_from_db()
