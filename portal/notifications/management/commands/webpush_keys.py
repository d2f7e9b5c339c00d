"""Print a new VAPID key pair for Web Push, as environment variables.

Put the three lines in the portal's environment (web and workers alike) and restart. A new pair ends
every existing subscription (browsers bind theirs to the public key): people turn notifications on
again on their devices, so rotate only when the private key may have leaked.
"""

from __future__ import annotations

from django.core.management.base import BaseCommand

from portal.core.vapid import new_key_pair


class Command(BaseCommand):
    help = "Print a new VAPID key pair (WEBPUSH_VAPID_PUBLIC_KEY, WEBPUSH_VAPID_PRIVATE_KEY) for Web Push."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--subject", default="mailto:ops@example.com", help="a contact for push services")

    def handle(self, *args, **options) -> None:
        pair = new_key_pair()
        self.stdout.write(f"WEBPUSH_VAPID_PUBLIC_KEY={pair.public}")
        self.stdout.write(f"WEBPUSH_VAPID_PRIVATE_KEY={pair.private}")
        self.stdout.write(f"WEBPUSH_VAPID_SUBJECT={options['subject']}")
