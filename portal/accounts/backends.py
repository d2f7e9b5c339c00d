"""Authentication backends: Django's and allauth's, loading the signed-in person in one query with
what every page's header needs to know about them.

Every page shows a banner when one of the person's ButterflyMX links needs re-linking. Reading that
as an ``EXISTS`` in the same query that loads the user (once per request, by the authentication
middleware) spares every page a query of its own; the links themselves are read only when it is true
(tenants/context_processors.py). The query is compiled once per process (portal/core/prepared.py).
"""

from __future__ import annotations

from functools import cache

from allauth.account.auth_backends import AuthenticationBackend
from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend
from django.core.exceptions import ValidationError
from django.db import DEFAULT_DB_ALIAS
from django.db.models import Exists, OuterRef

from portal.core.prepared import PreparedQuery
from tenants.models import BmxLink


def _user_with_flags(user_id):
    User = get_user_model()
    needs_relink = BmxLink.objects.filter(user=OuterRef("pk"), status=BmxLink.Status.NEEDS_RELINK)
    return (
        User._default_manager.annotate(has_links_to_relink=Exists(needs_relink))
        .filter(pk=user_id)
        .order_by()
        .values_list(*_user_columns(), "has_links_to_relink")
    )


@cache
def _user_columns() -> tuple[str, ...]:
    """The user model's columns, in ``from_db`` order (looked up once: every request loads a user)."""
    return tuple(field.attname for field in get_user_model()._meta.concrete_fields)


USER_WITH_FLAGS = PreparedQuery(_user_with_flags, "user_id")


class _UserWithFlags:
    def get_user(self, user_id):
        User = get_user_model()
        try:
            user_id = User._meta.pk.to_python(user_id)
        except ValidationError:
            return None
        rows = USER_WITH_FLAGS.rows(user_id=user_id)
        if not rows:
            return None
        *values, needs_relink = rows[0]
        user = User.from_db(DEFAULT_DB_ALIAS, _user_columns(), values)
        user.has_links_to_relink = needs_relink
        return user if self.user_can_authenticate(user) else None


class PortalModelBackend(_UserWithFlags, ModelBackend):
    pass


class PortalAllauthBackend(_UserWithFlags, AuthenticationBackend):
    pass
