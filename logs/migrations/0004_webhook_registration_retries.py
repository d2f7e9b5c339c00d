"""Webhook registrations by resource type, their address, and their retry state (issues 15 and 16).

``integration_ids`` (a list) becomes ``integrations`` (``{resource_type: id}``), so that a change of
address can update each integration in place with its own binding. Earlier versions appended the ids
in the order of ``logs.webhooks.RESOURCE_STREAMS`` (call, access_log), skipping refused types: that
order names each id's type here.
"""

from django.db import migrations, models

ORDER = ("call", "access_log")  # logs.webhooks.RESOURCE_STREAMS when 0003 was current


def ids_to_types(apps, schema_editor):
    endpoint_model = apps.get_model("logs", "WebhookEndpoint")
    for endpoint in endpoint_model.objects.all():
        kinds = [kind for kind in ORDER if kind not in (endpoint.refused or {})]
        endpoint.integrations = {kind: str(ident) for kind, ident in zip(kinds, endpoint.integration_ids or [])}
        endpoint.save(update_fields=["integrations"])


def types_to_ids(apps, schema_editor):
    endpoint_model = apps.get_model("logs", "WebhookEndpoint")
    for endpoint in endpoint_model.objects.all():
        endpoint.integration_ids = [endpoint.integrations[k] for k in ORDER if k in (endpoint.integrations or {})]
        endpoint.save(update_fields=["integration_ids"])


class Migration(migrations.Migration):
    dependencies = [
        ("logs", "0003_webhook_refused_bindings"),
    ]

    operations = [
        migrations.AddField(
            model_name="webhookendpoint",
            name="integrations",
            field=models.JSONField(blank=True, default=dict),
        ),
        migrations.RunPython(ids_to_types, types_to_ids),
        migrations.RemoveField(model_name="webhookendpoint", name="integration_ids"),
        migrations.AddField(
            model_name="webhookendpoint",
            name="base_url",
            field=models.CharField(blank=True, max_length=300),
        ),
        migrations.AddField(
            model_name="webhookendpoint",
            name="failure",
            field=models.CharField(
                blank=True,
                choices=[
                    ("", "None"),
                    ("transient", "Transient (retried with backoff)"),
                    ("permanent", "Refused by ButterflyMX (not retried)"),
                ],
                default="",
                max_length=16,
            ),
        ),
        migrations.AddField(
            model_name="webhookendpoint",
            name="attempts",
            field=models.PositiveIntegerField(default=0),
        ),
        migrations.AddField(
            model_name="webhookendpoint",
            name="retry_at",
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name="webhookendpoint",
            name="pending_token",
            field=models.CharField(blank=True, max_length=32),
        ),
        migrations.AddField(
            model_name="webhookendpoint",
            name="pending_until",
            field=models.DateTimeField(blank=True, null=True),
        ),
    ]
