"""A name a person recognises for one of their browsers ("Chrome on Android"), from its User-Agent.

Only for the person's own device list; nothing decides anything by it.
"""

from __future__ import annotations

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
    browser = next((name for marker, name in BROWSERS if marker in user_agent), "A browser")
    system = next((name for marker, name in SYSTEMS if marker in user_agent), "")
    return f"{browser} on {system}" if system else browser
