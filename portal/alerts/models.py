"""A manager's choice of alerts per building, and the claims that make each notice go out once.

How a person is told (push, e-mail, quiet hours) and their default for arrivals on new passes are
``portal.notifications``' preferences (category ``arrival``); only what is per building lives here.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from logs.models import AccessLogEntry
from tenants.models import Building

from .categories import LABELS, MANAGER_ALERTS
from .texts import incident_detail, incident_title


class AlertChoice(models.Model):
    """A manager's choice for one alert category at one building (none: the category's default)."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="alert_choices", verbose_name=_("user")
    )
    building = models.ForeignKey(Building, on_delete=models.CASCADE, related_name="+", verbose_name=_("building"))
    category = models.CharField(
        max_length=24, choices=[(c, label) for c, label, *_ in MANAGER_ALERTS], verbose_name=_("category")
    )
    enabled = models.BooleanField(verbose_name=_("enabled"))

    class Meta:
        verbose_name = _("alert choice")
        verbose_name_plural = _("alert choices")
        constraints = [
            models.UniqueConstraint(fields=["user", "building", "category"], name="one_alert_choice"),
        ]

    def __str__(self) -> str:
        return f"{self.user_id} · {self.building_id} · {self.category}: {self.enabled}"


class ArrivalNotice(models.Model):
    """The claim that an entry's arrival was told: inserted before telling, unique per entry, so two
    syncs or two workers reading the same entry tell it once (the insert that loses does nothing).

    No cascade from the entry (``DO_NOTHING``, no database constraint): the logs' retention deletes its
    rows in one statement per batch without loading them, which a relation that cascades would prevent.
    A claim matters only while its entry can still be new (``ALERTS_ARRIVAL_MAX_AGE_S``); the alerts'
    scan deletes claims older than a day (:func:`portal.alerts.arrivals.arrival_claims_prune`).
    """

    entry = models.OneToOneField(
        AccessLogEntry, on_delete=models.DO_NOTHING, db_constraint=False, related_name="+", verbose_name=_("entry")
    )
    pass_ids = models.JSONField(default=list, verbose_name=_("pass ids"))
    user_ids = models.JSONField(default=list, verbose_name=_("user ids"))
    created_at = models.DateTimeField(auto_now_add=True, verbose_name=_("created at"))

    class Meta:
        verbose_name = _("arrival notice")
        verbose_name_plural = _("arrival notices")

    def __str__(self) -> str:
        return gettext("arrival of entry %(id)s") % {"id": self.entry_id}


class AlertIncident(models.Model):
    """One incident of a manager alert at a building: opened (and told) once, closed when it is over.

    ``subject`` names what it is about within the category (a door, the link, the webhooks). At most one
    open incident per building, category and subject: the partial unique constraint is the claim, so a
    scan running twice, or two workers, open (and tell) it once.
    """

    building = models.ForeignKey(Building, on_delete=models.CASCADE, related_name="+", verbose_name=_("building"))
    category = models.CharField(
        max_length=24, choices=[(c, label) for c, label, *_ in MANAGER_ALERTS], verbose_name=_("category")
    )
    subject = models.CharField(max_length=64, verbose_name=_("subject"))
    # In the portal's default language, for the admin; people read title_text/detail_text, made from
    # ``facts`` in their own language (portal/alerts/texts.py).
    title = models.CharField(max_length=200, verbose_name=_("title"))
    detail = models.TextField(blank=True, verbose_name=_("detail"))
    facts = models.JSONField(default=dict, blank=True, verbose_name=_("facts"))
    url = models.CharField(max_length=300, blank=True, verbose_name=_("URL"))  # the page that explains it
    opened_at = models.DateTimeField(auto_now_add=True, verbose_name=_("opened at"))
    last_seen_at = models.DateTimeField(verbose_name=_("last seen at"))
    closed_at = models.DateTimeField(null=True, blank=True, verbose_name=_("closed at"))
    told = models.JSONField(default=list, verbose_name=_("told"))  # user ids it was sent to

    class Meta:
        verbose_name = _("alert incident")
        verbose_name_plural = _("alert incidents")
        ordering = ["-opened_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["building", "category", "subject"],
                condition=models.Q(closed_at__isnull=True),
                name="one_open_alert_incident",
            ),
        ]
        indexes = [models.Index(fields=["building", "-opened_at"], name="alert_bldg_opened")]

    def __str__(self) -> str:
        words = {"building": self.building_id, "category": self.label, "subject": self.subject}
        if self.closed_at is None:
            return gettext("%(building)s · %(category)s · %(subject)s (open)") % words
        return gettext("%(building)s · %(category)s · %(subject)s (closed)") % words

    @property
    def label(self) -> str:
        return LABELS.get(self.category, self.category)

    @property
    def title_text(self) -> str:
        """The title in the active language (an incident stored before facts were kept: as stored)."""
        return incident_title(self.category, self.facts) if self.facts else self.title

    @property
    def detail_text(self) -> str:
        return incident_detail(self.category, self.facts) if self.facts else self.detail
