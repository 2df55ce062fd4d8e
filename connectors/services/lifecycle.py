"""Testing and disconnecting a connection, and retrying revocations the vendor refused."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone

from accounts.selectors import user_can_edit_organization
from connectors import oauth
from connectors.base import TokenSet
from connectors.crypto import token_decrypt, token_encrypt
from connectors.errors import ConnectorError
from connectors.installations import installation_for
from connectors.models import Connection, ConnectionEvent, ConnectionStatus, PendingRevocation
from connectors.registry import provider_get
from connectors.selectors import connection_for
from connectors.services.connect import ConnectFlowError
from connectors.services.events import connection_event_record


@dataclass
class ConnectionCheck:
    ok: bool
    message: str


def connection_test(*, connection: Connection, user=None) -> ConnectionCheck:
    """Call the provider's identity endpoint with the stored grant and report the outcome.

    Its calls are recorded with the context `connection-test:<connection pk>`.
    """
    installation = installation_for(connection)
    provider = installation.provider
    try:
        tokens = TokenSet(
            access_token="",
            refresh_token="",
            expires_in=None,
            scopes=connection.scopes,
            extra=connection.config.get("token_extra", {}),
        )
        http = installation.http(context=f"connection-test:{connection.pk}")
        identity = provider.identity_fetch(http, tokens)
    except ConnectorError as exc:
        check = ConnectionCheck(False, f"{provider.name} test failed: {exc}")
    else:
        same = identity.external_account_id == connection.external_account_id
        check = ConnectionCheck(
            same,
            f"{provider.name} answered as {identity.display_name}"
            + ("" if same else f" — not the connected account {connection.external_account_id}"),
        )
    connection_event_record(connection, ConnectionEvent.Kind.TESTED, check.message, user)
    return check


def connection_disconnect(*, connection: Connection, user) -> bool:
    """Wipe the tokens and revoke the grant at the provider; True when the revoke succeeded.

    The tokens are gone from the connection whatever the provider says; a failed revoke is kept
    (encrypted) in PendingRevocation and retried by a periodic job. Every setting keyed to the
    organisation or to this row stays, so reconnecting resumes where it was.
    """
    if not user_can_edit_organization(user, connection.organization_id):
        raise ConnectFlowError("Only owners and managers can disconnect providers.", status=403)
    provider = provider_get(connection.provider)
    spec = provider.oauth()
    with transaction.atomic():
        locked = Connection.objects.select_for_update().get(pk=connection.pk)
        ciphertext = (
            locked.access_token_ciphertext
            if spec.revoke_token == "access_token"
            else locked.refresh_token_ciphertext
        )
        locked.access_token_ciphertext = ""
        locked.refresh_token_ciphertext = ""
        locked.expires_at = None
        locked.status = ConnectionStatus.DISCONNECTED
        locked.save()
        connection_event_record(locked, ConnectionEvent.Kind.DISCONNECTED, "", user)
        pending = None
        if ciphertext:
            pending = PendingRevocation.objects.create(
                organization_id=locked.organization_id,
                provider=provider.key,
                token_ciphertext=token_encrypt(token_decrypt(ciphertext)),
                token_type_hint=spec.revoke_token,
            )
    connection.refresh_from_db()
    return pending is None or revocation_attempt(pending.pk)


def revocation_attempt(pending_id: int) -> bool:
    """Try one pending revocation; deletes it on success, schedules a retry on failure.

    The call is recorded with the context `revocation:<pending pk>`.
    """
    pending = PendingRevocation.objects.filter(pk=pending_id).first()
    if pending is None:
        return True
    provider = provider_get(pending.provider)
    connection = connection_for(pending.organization_id, pending.provider)
    http = oauth.token_http(
        provider,
        organization_id=pending.organization_id,
        connection_id=connection.pk if connection else None,
        context=f"revocation:{pending.pk}",
    )
    try:
        oauth.token_revoke(
            provider,
            http,
            token=token_decrypt(pending.token_ciphertext),
            token_type_hint=pending.token_type_hint,
        )
    except ConnectorError as exc:
        pending.attempts += 1
        pending.last_error = str(exc)[:1000]
        pending.next_attempt_at = timezone.now() + dt.timedelta(
            minutes=5 * 2 ** min(pending.attempts, 8)
        )
        pending.save()
        if connection:
            connection_event_record(connection, ConnectionEvent.Kind.REVOKE_FAILED, str(exc))
        return False
    if connection:
        connection_event_record(connection, ConnectionEvent.Kind.REVOKED, "")
    pending.delete()
    return True


def revocations_retry(*, limit: int = 100) -> str:
    """Periodic job: retry due revocations (a grant nobody uses should not stay alive)."""
    due = PendingRevocation.objects.filter(next_attempt_at__lte=timezone.now(), attempts__lt=20)
    done = sum(revocation_attempt(pk) for pk in due.values_list("pk", flat=True)[:limit])
    return f"{done} revoked"
