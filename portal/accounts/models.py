"""The portal's user: an e-mail address is the login; there is no username."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.contrib.auth.models import AbstractUser, UserManager
from django.db import models
from django.utils.translation import gettext_lazy as _
from knox.models import AbstractAuthToken


class EmailUserManager(UserManager):
    """create_user/create_superuser keyed by e-mail instead of username."""

    use_in_migrations = True

    def _create_user(self, email, password, **extra_fields):  # type: ignore[override]
        if not email:
            raise ValueError("An e-mail address is required")
        user = self.model(email=self.normalize_email(email).lower(), **extra_fields)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_user(self, email=None, password=None, **extra_fields):  # type: ignore[override]
        extra_fields.setdefault("is_staff", False)
        extra_fields.setdefault("is_superuser", False)
        return self._create_user(email, password, **extra_fields)

    def create_superuser(self, email=None, password=None, **extra_fields):  # type: ignore[override]
        extra_fields.setdefault("is_staff", True)
        extra_fields.setdefault("is_superuser", True)
        return self._create_user(email, password, **extra_fields)


class User(AbstractUser):
    """A person who signs in. ``is_staff`` means Django-admin operator, not front-desk staff:
    building roles live in :class:`tenants.models.Membership`."""

    username = None  # type: ignore[assignment]
    email = models.EmailField(_("e-mail address"), unique=True)
    phone = models.CharField(_("phone"), max_length=32, blank=True)
    # The language of the portal's pages, e-mails and text messages for this person; blank: their
    # browser's (Accept-Language). portal.core.language applies it.
    language = models.CharField(
        _("language"), max_length=8, blank=True, choices=settings.LANGUAGES, help_text=_("Blank: your browser's.")
    )

    USERNAME_FIELD = "email"
    REQUIRED_FIELDS: list[str] = []

    objects = EmailUserManager()  # type: ignore[misc]

    class Meta:
        ordering = ["email"]

    def __str__(self) -> str:
        return self.get_full_name() or self.email

    @property
    def display_name(self) -> str:
        return self.get_full_name() or self.email


class ApiToken(AbstractAuthToken):
    """A personal API token (django-rest-knox's model, ``KNOX_TOKEN_MODEL``), with what its owner needs
    to tell tokens apart and what the portal needs to end them.

    knox keeps only a SHA-512 digest of the token and its first characters (``token_key``, the lookup
    prefix): the database never holds a usable token. ``password_fingerprint`` ties the token to the
    password it was issued under, as Django ties sessions to it: a password changed by any path (the
    portal, a reset, the admin, ``manage.py changepassword``) makes the token fail.
    """

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    name = models.CharField(_("name"), max_length=100)
    last_used_at = models.DateTimeField(_("last used"), null=True, blank=True)
    password_fingerprint = models.CharField(max_length=64, editable=False)

    class Meta:
        ordering = ["-created"]
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")

    def __str__(self) -> str:
        return f"{self.name} ({self.user})"
