"""An organisation's connection bound to its provider, and the one lookup of it."""

from __future__ import annotations

from dataclasses import dataclass

from connectors.base import Provider
from connectors.errors import ConnectionUnavailableError
from connectors.models import Connection, ConnectionStatus
from connectors.registry import provider_get


@dataclass(frozen=True)
class Installation:
    connection: Connection
    provider: Provider

    def client(self, *, context: str, **http_kwargs):
        from connectors.services import connection_client

        return connection_client(self.connection, context=context, **http_kwargs)


def installation_get(*, organization_id: int, provider: str) -> Installation:
    """The organisation's ACTIVE connection to `provider`; raises ConnectionUnavailableError."""
    descriptor = provider_get(provider)
    connection = Connection.objects.filter(
        organization_id=organization_id, provider=provider
    ).first()
    if connection is None or connection.status != ConnectionStatus.ACTIVE:
        if connection is None or connection.status == ConnectionStatus.DISCONNECTED:
            reason = connection.status if connection else "not_connected"
            message = f"{descriptor.name} is not connected: connect it under Connections."
        else:
            reason = connection.status
            detail = connection.last_error.rstrip(". ") or connection.get_status_display()
            message = (
                f"{descriptor.name} needs reconnecting: {detail}. Reconnect it under Connections."
            )
        raise ConnectionUnavailableError(message, reason=reason, provider=provider)
    return Installation(connection=connection, provider=descriptor)
