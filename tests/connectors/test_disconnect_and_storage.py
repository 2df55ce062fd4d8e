"""Disconnect revokes and wipes (even when the vendor fails); tokens never leave in plain text."""

from __future__ import annotations

import io
import logging
import shutil
import subprocess

import pytest
from django.core.management import call_command
from django.db import connection as db

from connectors.demo import sandbox_connect
from connectors.jobs import revocations_retry
from connectors.models import ConnectionEvent, ConnectionStatus, PendingRevocation
from connectors.sandbox.core import Fault
from tests.workers import current_database_url

pytestmark = pytest.mark.django_db


@pytest.fixture
def hubspot(sandbox, org_a, manager_a):
    return sandbox_connect(organization=org_a, user=manager_a, provider_key="hubspot")


def test_failed_revoke_still_wipes_tokens_and_is_retried_later(sandbox, hubspot, manager_a):
    fake = sandbox.fakes["hubspot"]
    refresh = hubspot.refresh_token
    fake.fault_add(Fault(status=503, path="/oauth/v3/token/revoke", times=10))
    assert hubspot.refresh_token
    from connectors.services import connection_disconnect

    assert connection_disconnect(connection=hubspot, user=manager_a) is False
    hubspot.refresh_from_db()
    assert hubspot.status == ConnectionStatus.DISCONNECTED
    assert hubspot.access_token_ciphertext == "" and hubspot.refresh_token_ciphertext == ""
    pending = PendingRevocation.objects.get()
    assert refresh not in pending.token_ciphertext
    assert hubspot.events.filter(kind=ConnectionEvent.Kind.REVOKE_FAILED).exists()

    fake.controls_clear()
    PendingRevocation.objects.update(next_attempt_at=pending.created_at)
    assert revocations_retry() == "1 revoked"
    assert not PendingRevocation.objects.exists()
    assert refresh not in fake.oauth.by_refresh


def test_disconnect_keeps_the_connection_row_and_its_history(sandbox, hubspot, manager_a):
    from connectors.services import connection_disconnect

    connection_disconnect(connection=hubspot, user=manager_a)
    hubspot.refresh_from_db()
    assert hubspot.external_account_id and hubspot.display_name
    assert hubspot.events.count() >= 2


def test_members_cannot_disconnect(sandbox, hubspot, org_a):
    from accounts.models import Role
    from connectors.services import ConnectFlowError, connection_disconnect
    from tests.factories import user_make

    with pytest.raises(ConnectFlowError):
        connection_disconnect(connection=hubspot, user=user_make(org_a, role=Role.MEMBER))
    hubspot.refresh_from_db()
    assert hubspot.status == ConnectionStatus.ACTIVE


def test_dumps_reprs_and_logs_hold_no_plaintext_token(sandbox, hubspot, caplog):
    caplog.set_level(logging.DEBUG)
    secrets = [hubspot.access_token, hubspot.refresh_token]
    dump = io.StringIO()
    call_command("dumpdata", stdout=dump)
    texts = [dump.getvalue(), repr(hubspot), str(hubspot), caplog.text]
    with db.cursor() as cursor:
        cursor.execute("SELECT * FROM connectors_connection")
        texts.append(repr(cursor.fetchall()))
    if db.vendor == "postgresql" and shutil.which("pg_dump"):
        texts.append(
            subprocess.run(  # noqa: S603
                ["pg_dump", "--data-only", current_database_url()],  # noqa: S607
                capture_output=True,
                text=True,
                check=True,
            ).stdout
        )
    for secret in secrets:
        assert secret and all(secret not in text for text in texts)
