"""A tenant moving out: ButterflyMX, then the portal's tenants and passes, in that order (issue 19).

Cross-app because it ends rows of two apps: the tenant's portal residency (``tenants``) and their visitor
passes (``passes``, a layer above ``tenants``). ``tenants.lifecycle`` has the ButterflyMX half and the
tenants half; this module only puts them in order:

1. ``DELETE /v4/tenants/{id}``. Refused: nothing changes anywhere, the manager is told why. A 404 (gone
   already, e.g. deleted in ButterflyMX's own portal) counts as done: the portal catches up.
2. In one transaction: the tenant's passes revoked, their residency ended, the tenant record kept but
   inactive (their access and call logs keep naming them: history stays), one audit row.

Their PINs, fobs and keychains end with the tenant at ButterflyMX (see ``tenants.lifecycle``).
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db import transaction

from passes.services import passes_end_for_moved_out
from tenants.lifecycle import residencies_of, tenant_bmx_remove, tenant_moved_out
from tenants.models import TenantMove, TenantRecord


@dataclass(frozen=True)
class MovedOut:
    passes_ended: int
    residencies_ended: int


def tenant_move_out(*, record: TenantRecord, actor, source: str = TenantMove.Source.FORM) -> MovedOut:
    """Move ``record`` out; raises ``tenants.lifecycle.MoveError`` when ButterflyMX refused (nothing done)."""
    tenant_bmx_remove(record=record)
    with transaction.atomic():
        passes = passes_end_for_moved_out(record=record, residency_ids=residencies_of(record), actor=actor)
        residencies = tenant_moved_out(record=record, actor=actor, source=source)
    return MovedOut(passes_ended=passes, residencies_ended=residencies)
