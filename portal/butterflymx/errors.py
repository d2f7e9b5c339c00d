"""One error type for everything ButterflyMX answers badly, with a message a person can act on."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.utils.functional import Promise
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

# The portal's words in the reader's language (lazy: read when shown); ButterflyMX's own texts (a 422's
# field messages, an unknown status's message) are its data and stay as it wrote them.
ACTIONABLE = {
    401: _("ButterflyMX no longer accepts this link. Re-link the ButterflyMX account to continue."),
    403: _(
        "This ButterflyMX account lacks the permission (scope) for that action. Ask the building's "
        "ButterflyMX administrator, or link an account that has it."
    ),
    404: _("ButterflyMX could not find that record. It may have been removed there."),
    422: _("ButterflyMX refused the values sent."),
    429: _("ButterflyMX is asking us to slow down. Try again in a moment."),
}
RELEASE_404 = _(
    "ButterflyMX answered 404 to the door release: the release endpoint differs for this account's "
    "contract. Contact ButterflyMX support to enable door release requests."
)


@dataclass
class FieldError:
    field: str
    code: str
    message: str


@dataclass
class BmxError(Exception):
    """A failed call. ``status`` is 0 when no HTTP answer came (timeout, refused connection)."""

    status: int
    code: str = ""
    message: str = ""
    errors: list[FieldError] = field(default_factory=list)
    retry_after: float | None = None
    timed_out: bool = False
    # A message that replaces the generic one for this status (e.g. a 404 on a door release).
    action: str | Promise = ""

    def __post_init__(self) -> None:
        super().__init__(self.message or self.code or f"HTTP {self.status}")

    def __str__(self) -> str:
        return self.human_message

    @property
    def transient(self) -> bool:
        """Worth retrying later (for idempotent reads): rate limits, server errors, no answer."""
        return self.status in (0, 429) or self.status >= 500

    @property
    def human_message(self) -> str:
        if self.action:
            return str(self.action)
        if self.timed_out:
            return gettext("ButterflyMX did not answer in time.")
        if self.status == 0:
            return gettext("ButterflyMX could not be reached. Try again in a moment.")
        if self.status == 422 and self.errors:
            details = "; ".join(f"{e.field}: {e.message}" if e.field != "base" else e.message for e in self.errors)
            return gettext("ButterflyMX refused the values sent. %(details)s") % {"details": details}
        if self.status in ACTIONABLE:
            return str(ACTIONABLE[self.status])
        if self.status >= 500:
            return gettext("ButterflyMX had a problem on its side. Try again in a moment.")
        if self.status == 200:  # a well-formed answer we cannot use (bad pagination, no token)
            return gettext("ButterflyMX answered in an unexpected way (%(what)s).") % {
                "what": self.message or self.code
            }
        if self.status in (400, 401) and self.code in ("invalid_grant", "invalid_client"):
            return str(ACTIONABLE[401])
        return self.message or gettext("ButterflyMX answered HTTP %(status)s.") % {"status": self.status}

    def field_errors(self) -> dict[str, list[str]]:
        """ButterflyMX's 422 errors by field name ("base" for the whole request)."""
        out: dict[str, list[str]] = {}
        for e in self.errors:
            out.setdefault(e.field or "base", []).append(e.message)
        return out


class TokenRefused(BmxError):
    """No working token could be had for the call (the refresh was refused): the link needs re-linking.

    Raised by a token provider, never for an answer of the API itself, so callers can tell "this account
    may not do that" (a 401/403 answer) from "this link is dead".
    """


def parse_error_body(status: int, body: object, retry_after: float | None = None) -> BmxError:
    """Build a :class:`BmxError` from ButterflyMX's error envelope, or from an OAuth error body.

    The v4 envelope is ``{"errors": [{"field", "code", "message"}]}``; the 401 examples spell the text
    key ``messages`` (plural), so both are read.
    """
    errors: list[FieldError] = []
    code = ""
    message = ""
    if isinstance(body, dict):
        raw = body.get("errors")
        if isinstance(raw, list):
            for item in raw:
                if isinstance(item, dict):
                    text = item.get("message", item.get("messages", ""))
                    if isinstance(text, list):
                        text = "; ".join(str(t) for t in text)
                    errors.append(FieldError(str(item.get("field", "base")), str(item.get("code", "")), str(text)))
        elif isinstance(body.get("error"), str):  # OAuth (Doorkeeper) style
            code = body["error"]
            message = str(body.get("error_description", ""))
    if errors:
        code = code or errors[0].code
        message = message or errors[0].message
    return BmxError(status=status, code=code, message=message, errors=errors, retry_after=retry_after)
