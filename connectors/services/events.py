"""The audit trail of connections (ConnectionEvent rows)."""

from __future__ import annotations

from connectors.base import Provider
from connectors.models import Connection, ConnectionEvent


def connection_event_record(connection: Connection, kind: str, message: str, user=None) -> None:
    ConnectionEvent.objects.create(
        organization_id=connection.organization_id,
        connection=connection,
        kind=kind,
        message=message[:4000],
        actor=user if user is not None and user.is_authenticated else None,
    )


def organization_event_record(
    organization, provider: Provider, kind: str, message: str, user
) -> None:
    connection, _ = Connection.objects.get_or_create(
        organization=organization, provider=provider.key
    )
    connection_event_record(connection, kind, message, user)
