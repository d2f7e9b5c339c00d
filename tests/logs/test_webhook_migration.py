"""Migration 0004 names each integration id of earlier versions by its resource type."""

from __future__ import annotations

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from tests import factories as f

BEFORE = [("logs", "0003_webhook_refused_bindings")]
AFTER = [("logs", "0004_webhook_registration_retries")]


@pytest.mark.django_db(transaction=True)
def test_integration_ids_become_integrations_by_type_in_the_order_they_were_registered():
    both, calls_refused = f.BuildingFactory(name="Both"), f.BuildingFactory(name="Calls refused")
    executor = MigrationExecutor(connection)
    executor.migrate(BEFORE)
    endpoint_model = executor.loader.project_state(BEFORE).apps.get_model("logs", "WebhookEndpoint")
    endpoint_model.objects.create(building_id=both.pk, secret_hash="x", integration_ids=["17", "18"], refused={})
    endpoint_model.objects.create(
        building_id=calls_refused.pk, secret_hash="x", integration_ids=["21"], refused={"call": "422"}
    )
    try:
        executor = MigrationExecutor(connection)
        executor.migrate(AFTER)
        new = executor.loader.project_state(AFTER).apps.get_model("logs", "WebhookEndpoint")
        assert new.objects.get(building_id=both.pk).integrations == {"call": "17", "access_log": "18"}
        assert new.objects.get(building_id=calls_refused.pk).integrations == {"access_log": "21"}
    finally:
        executor = MigrationExecutor(connection)
        executor.migrate(executor.loader.graph.leaf_nodes())
