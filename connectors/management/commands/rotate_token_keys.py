"""Re-encrypt every stored token with the newest key in TOKEN_ENCRYPTION_KEYS.

Rotation: put the new key first in TOKEN_ENCRYPTION_KEYS (keep the old one after it), deploy,
run this command, then remove the old key.
"""

from __future__ import annotations

from django.core.management.base import BaseCommand
from django.db import transaction

from connectors.crypto import token_reencrypt
from connectors.models import Connection, PendingRevocation


class Command(BaseCommand):
    help = "Re-encrypt stored OAuth tokens with the newest TOKEN_ENCRYPTION_KEYS key."

    def handle(self, *args, **options):
        count = 0
        with transaction.atomic():
            for connection in Connection.objects.select_for_update():
                connection.access_token_ciphertext = token_reencrypt(
                    connection.access_token_ciphertext
                )
                connection.refresh_token_ciphertext = token_reencrypt(
                    connection.refresh_token_ciphertext
                )
                connection.save(
                    update_fields=["access_token_ciphertext", "refresh_token_ciphertext"]
                )
                count += 1
            for pending in PendingRevocation.objects.select_for_update():
                pending.token_ciphertext = token_reencrypt(pending.token_ciphertext)
                pending.save(update_fields=["token_ciphertext"])
                count += 1
        self.stdout.write(self.style.SUCCESS(f"Re-encrypted tokens of {count} rows."))
