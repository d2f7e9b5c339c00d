"""A faithful local ButterflyMX: accounts (OAuth), the public API v4, webhooks and a control surface.

It is its own small Django project (``sandbox.settings``) and runs only as a separate process; the portal
reaches it over HTTP, exactly as it reaches the real ButterflyMX. See ``docs/sandbox.md``.
"""
