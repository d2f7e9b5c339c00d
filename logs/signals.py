"""What the log sync tells the layers above it, without knowing them (docs/architecture.md, "Layers").

The design card says "no Django signals for domain effects: call the service"; the sync is in the apps
layer and the code that turns new entries into arrivals and alerts (``portal.alerts``) is above it, so
the sync cannot call it. It sends this one signal instead; the receiver is connected in that app's
``AppConfig.ready()``.
"""

from __future__ import annotations

from django.dispatch import Signal

# Sent by :mod:`logs.sync` right after a batch of access-log rows is upserted (committed, when the sync
# runs outside a transaction, as its tasks do), new or changed. Keyword arguments:
#   building_id: int
#   entries: list[tuple[int, datetime, str, str]], the (remote id, logged_at, release_method,
#            release_status) of each row stored: enough for a receiver to pass over a batch without a query
#   source: "walk" (the incremental walk) or "history" (backfill chunks and late-entry re-scans)
# Receivers decide what is new to them (a unique claim in their own table) and what is too old to tell.
# Sent with ``send_robust``: a receiver's failure is logged, it never fails the sync.
access_entries_stored = Signal()
