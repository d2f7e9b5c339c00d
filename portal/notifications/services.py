"""Delivering notices to people, and the writes of their devices and preferences."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import replace
from datetime import timedelta
from functools import partial

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext, ngettext

from portal.celery import send_task
from portal.core.language import for_recipient, language_of
from portal.live import bus

from .models import NotificationPreference, PushSubscription
from .notices import Notice
from .preferences import Plan, delivery_plan
from .webpush import endpoint_allowed, webpush_enabled

# A notice, or (better) a function making one: it is then called once per language of the recipients,
# inside portal.core.language.for_recipient, so each person reads it in their own language.
NoticeSource = Notice | Callable[[], Notice]


def notices_by_language(user_ids: list[int], source: NoticeSource) -> list[tuple[Notice, list[int]]]:
    """``source``'s notice in each recipient's language, with the people who read that language."""
    if isinstance(source, Notice):
        return [(source, user_ids)]
    groups: dict[str, list[int]] = {}
    for user in get_user_model().objects.filter(pk__in=user_ids).only("pk", "language"):
        groups.setdefault(language_of(user), []).append(user.pk)
    made = []
    for code, ids in sorted(groups.items()):
        with for_recipient(language=code):
            made.append((source(), ids))
    return made


def notify(
    user_ids: Iterable[int], notice: NoticeSource, *, channels: Mapping[int, Iterable[str]] | None = None
) -> Plan:
    """Tell each person: on their open pages now, and by Web Push and e-mail as their preferences say.

    ``notice`` is best a function returning the :class:`Notice`: it is called in each recipient's
    language (:func:`notices_by_language`), so the page's toast, the push and the e-mail all speak it.

    The live notice (a ``notice`` event to ``user:<id>``) always goes: it is what the person is looking
    at. Push and e-mail follow each person's channels for the category, quiet hours, a snooze and (for
    calls) ButterflyMX's "do not disturb" (:func:`portal.notifications.preferences.delivery_plan`), and are
    sent by Celery tasks queued after the current transaction commits, never inside the request.
    ``channels`` (optional, ``{user_id: ("push", "email")}``) replaces a person's choice for this one
    notice, e.g. a pass's own "tell me when a visitor uses it"; the rest of the rules still apply.
    Returns the plan (who gets what, who was held back and why).
    """
    ids = sorted(set(user_ids))
    versions = notices_by_language(ids, notice) if ids else []
    if not versions:  # nobody, or nobody who still has an account
        return Plan()
    plan = delivery_plan(ids, versions[0][0], channels=channels)  # the rules read the category only
    for version, readers in versions:
        payload = version.as_payload()
        bus.publish("notice", payload, [bus.person(user_id) for user_id in readers])
        push = [user_id for user_id in plan.push if user_id in readers]
        if push and webpush_enabled():
            transaction.on_commit(partial(send_task, "portal.notifications.tasks.push_notice_task", push, payload))
        for user_id in plan.email:  # one task per person: a retried e-mail reaches nobody twice
            if user_id in readers:
                transaction.on_commit(
                    partial(send_task, "portal.notifications.tasks.email_notice_task", user_id, payload)
                )
    return plan


def withdraw(user_ids: Iterable[int], notice: NoticeSource) -> list[int]:
    """The thing a pushed notice was about is over (a call answered, declined, gone): close its
    notification on every device of these people. Returns who is sent the withdrawal.

    ``notice`` (best a function, called in each recipient's language as :func:`notify` does) has the
    earlier notice's ``tag`` and says how it ended (sent with ``withdraw=True``). It goes by Web Push only,
    to the people the earlier notice's push reached by the same rules (channels, quiet hours, mute, "do
    not disturb": :func:`delivery_plan` for its category), so a device that was never rung gets nothing.
    The service worker closes the notification with that tag (templates/notifications/sw.js, where
    Chromium's "a push must show something" rule is met). Open pages close their panels from their own
    live event, so nothing goes to the page here.
    """
    ids = sorted(set(user_ids))
    if not webpush_enabled() or not ids:
        return []
    versions = notices_by_language(ids, notice)
    if not versions:
        return []
    plan = delivery_plan(ids, versions[0][0])  # the rules read the category only
    for version, readers in versions:
        push = [user_id for user_id in plan.push if user_id in readers]
        if push:
            payload = replace(version, withdraw=True).as_payload()
            transaction.on_commit(partial(send_task, "portal.notifications.tasks.push_notice_task", push, payload))
    return list(plan.push)


MAX_DEVICES = 20


class SubscriptionRefused(ValueError):
    """A subscription the portal will not push to, with a message for the person."""


def subscription_save(*, user, endpoint: str, p256dh: str, auth: str, label: str = "") -> PushSubscription:
    """Remember this browser for ``user``. The same browser subscribing again (same endpoint) updates its
    row; a browser a new person signed in on moves to them (the device now shows their notices)."""
    if not webpush_enabled():
        raise SubscriptionRefused(gettext("Notifications on devices are not set up on this portal."))
    if not endpoint_allowed(endpoint):
        raise SubscriptionRefused(gettext("This browser's push service is not one the portal sends to."))
    others = PushSubscription.objects.filter(user=user).exclude(endpoint=endpoint)
    if others.count() >= MAX_DEVICES:  # every device costs a push per notice: a bound, not a quota anyone meets
        raise SubscriptionRefused(
            ngettext(
                "You have %(count)d device with notifications: remove one first.",
                "You have %(count)d devices with notifications: remove one first.",
                MAX_DEVICES,
            )
            % {"count": MAX_DEVICES}
        )
    subscription, _ = PushSubscription.objects.update_or_create(
        endpoint=endpoint,
        defaults={
            "user": user,
            "p256dh": p256dh,
            "auth": auth,
            "label": label[:120],
            "last_failure_at": None,
            "last_failure": "",
        },
    )
    return subscription


# The session remembers which subscriptions this browser made (the session is the browser's own), so
# signing out can end exactly this device's notifications and no other device of the person.
SESSION_DEVICES = "notifications.this_device"


def this_device_remember(session, subscription: PushSubscription) -> None:
    known = [pk for pk in session.get(SESSION_DEVICES, []) if isinstance(pk, int)]
    session[SESSION_DEVICES] = sorted(set(known) | {subscription.pk})


def this_device_sign_out(*, user, session, endpoint: str = "") -> int:
    """The person signs out on this browser: it gets no more of their notifications. Deletes their
    subscriptions this session made and the one the page names by ``endpoint`` (a browser that opted in
    during an earlier session; the page's script also unsubscribes it in the browser). Returns how many.
    Another person's subscription is never touched, whatever the page sends."""
    mine = PushSubscription.objects.filter(user=user)
    pks = [pk for pk in session.get(SESSION_DEVICES, []) if isinstance(pk, int)]
    deleted, _ = mine.filter(pk__in=pks).delete()
    if endpoint:
        more, _ = mine.filter(endpoint=endpoint[:2000]).delete()
        deleted += more
    session.pop(SESSION_DEVICES, None)
    return deleted


def subscription_remove(*, user, pk: int) -> bool:
    """Forget one of the person's own browsers; False when it is not theirs (or gone)."""
    deleted, _ = PushSubscription.objects.filter(user=user, pk=pk).delete()
    return bool(deleted)


def preferences_save(
    *, user, channels: dict[str, list[str]], quiet_enabled: bool, quiet_start, quiet_end, quiet_allowed: list[str]
) -> NotificationPreference:
    pref, _ = NotificationPreference.objects.select_for_update().get_or_create(user=user)
    merged = dict(pref.channels or {})
    merged.update(channels)  # categories not on the form (another role's) keep what was chosen
    pref.channels = merged
    pref.quiet_enabled = quiet_enabled
    pref.quiet_start = quiet_start
    pref.quiet_end = quiet_end
    pref.quiet_allowed = sorted(quiet_allowed)
    pref.save()
    return pref


def snooze(*, user, minutes: int = 60) -> NotificationPreference:
    """No push or e-mail for ``minutes`` (a notification's "Mute for an hour"); the open page still shows notices."""
    pref, _ = NotificationPreference.objects.select_for_update().get_or_create(user=user)
    pref.snoozed_until = timezone.now() + timedelta(minutes=minutes)
    pref.save(update_fields=["snoozed_until", "updated_at"])
    return pref


def snooze_end(*, user) -> None:
    NotificationPreference.objects.filter(user=user).update(snoozed_until=None, updated_at=timezone.now())
