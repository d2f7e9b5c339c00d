"""A name a person recognises for one of their browsers ("Chrome on Android"), from its User-Agent.

Only for the person's own device list; nothing decides anything by it.
"""

from __future__ import annotations

from django.utils.translation import gettext

BROWSERS = (("Edg/", "Edge"), ("OPR/", "Opera"), ("Firefox/", "Firefox"), ("Chrome/", "Chrome"), ("Safari/", "Safari"))
SYSTEMS = (
    ("Android", "Android"),
    ("iPhone", "iPhone"),
    ("iPad", "iPad"),
    ("Windows", "Windows"),
    ("Macintosh", "Mac"),
    ("CrOS", "ChromeOS"),
    ("Linux", "Linux"),
)


def device_label(user_agent: str) -> str:
    """In the language of the person adding the device (the label is stored: it names their own device)."""
    browser = next((name for marker, name in BROWSERS if marker in user_agent), None)
    system = next((name for marker, name in SYSTEMS if marker in user_agent), "")
    if browser is None:
        return gettext("A browser on %(system)s") % {"system": system} if system else gettext("A browser")
    return gettext("%(browser)s on %(system)s") % {"browser": browser, "system": system} if system else browser
