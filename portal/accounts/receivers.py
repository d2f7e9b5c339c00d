"""allauth's documented password signals end every API token of the person.

A signal receiver, against the house rule of calling services directly, because the flows are
allauth's, not ours: ``password_changed``, ``password_set`` and ``password_reset`` are its documented
hooks for "this person's password is now different", and ending tokens then is a security invariant.
The receiver only calls the service. Paths outside allauth (the admin's password form,
``manage.py changepassword``) are covered too: a token carries a fingerprint of the password it was
issued under and fails once that changes (``portal.api.authentication.PortalTokenAuthentication``).
"""

from __future__ import annotations

from allauth.account.signals import password_changed, password_reset, password_set
from django.dispatch import receiver

from .services import api_tokens_revoke_all


@receiver(password_changed, dispatch_uid="accounts.tokens_end_on_password_changed")
@receiver(password_set, dispatch_uid="accounts.tokens_end_on_password_set")
@receiver(password_reset, dispatch_uid="accounts.tokens_end_on_password_reset")
def end_tokens_with_the_password(sender, request, user, **kwargs) -> None:
    api_tokens_revoke_all(user=user)
