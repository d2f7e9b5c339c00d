"""Authentication backends: Django's and allauth's, loading the signed-in person in one query with
what every page's header needs to know about them.

Every page shows a banner when one of the person's ButterflyMX links needs re-linking. Reading that
as an ``EXISTS`` annotation of the query that loads the user (once per request, by the authentication
middleware) spares every page a query of its own; the links themselves are read only when it is true
(tenants/context_processors.py). Plain ORM, as Django's ``ModelBackend.get_user`` does it, plus the
annotation.
"""

from __future__ import annotations

from allauth.account.auth_backends import AuthenticationBackend
from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend
from django.core.exceptions import ValidationError
from django.db.models import Exists, OuterRef

from tenants.models import BmxLink


class _UserWithFlags:
    def get_user(self, user_id):
        User = get_user_model()
        needs_relink = BmxLink.objects.filter(user=OuterRef("pk"), status=BmxLink.Status.NEEDS_RELINK)
        try:
            user = User._default_manager.annotate(has_links_to_relink=Exists(needs_relink)).get(pk=user_id)
        except (User.DoesNotExist, ValidationError, ValueError, TypeError):
            return None
        return user if self.user_can_authenticate(user) else None


class PortalModelBackend(_UserWithFlags, ModelBackend):
    pass


class PortalAllauthBackend(_UserWithFlags, AuthenticationBackend):
    pass
