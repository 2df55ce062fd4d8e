"""One lookup for "this organisation's active connection to this provider, or why not".

An `Installation` is a stored connection bound to its provider descriptor (Sentry's split of
descriptor and installation): what feature code holds to make calls. Every client it builds
carries a `context` label that lands in each `ApiCall.context`, so every recorded call says what
made it (`booking:<public_id>`, `webinar-sync-run:<pk>`, `connection-test:<pk>` …).

    installation = installation_get(organization_id=org.pk, provider="hubspot")
    hubspot = installation.client(context=f"booking:{booking.public_id}")

`installation_get` raises `ConnectionUnavailableError` (reason and a sentence a person can act
on) when the organisation has no active connection; `installation_for` wraps a row the caller
already holds (the admin's Test, disconnect), whatever its status.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from connectors.errors import ConnectionUnavailableError
from connectors.models import Connection, ConnectionStatus
from connectors.registry import provider_get

if TYPE_CHECKING:
    from connectors.base import Provider
    from connectors.http import HttpClient

NOT_CONNECTED = "not_connected"
#: ConnectionUnavailableError.reason for each status that is not active.
REASONS = {
    ConnectionStatus.DISCONNECTED: "disconnected",
    ConnectionStatus.NEEDS_REAUTH: "needs_reauth",
    ConnectionStatus.ERROR: "error",
}


@dataclass(frozen=True)
class Installation:
    """One organisation's stored connection to one provider, ready to make calls."""

    connection: Connection
    provider: Provider

    @property
    def organization_id(self) -> int:
        return self.connection.organization_id

    @property
    def external_account_id(self) -> str:
        return self.connection.external_account_id

    @property
    def config(self) -> dict[str, Any]:
        return self.connection.config or {}

    @property
    def is_active(self) -> bool:
        return self.connection.is_active

    def http(self, *, context: str, **http_kwargs) -> HttpClient:
        """The HTTP client for calls on behalf of this connection, labelled `context`."""
        from connectors.services.tokens import connection_http

        if not context:
            raise ValueError("an installation's client needs a context label (what makes calls)")
        return connection_http(self.connection, context=context, **http_kwargs)

    def client(self, *, context: str, **http_kwargs):
        """The provider's typed API client. `context` (required) lands in every
        `ApiCall.context`; `http_kwargs` tune the HttpClient (max_attempts, timeout …)."""
        return self.provider.api_client(self.http(context=context, **http_kwargs), self.connection)


def installation_for(connection: Connection) -> Installation:
    """The installation of a row the caller already holds, whatever its status."""
    return Installation(connection=connection, provider=provider_get(connection.provider))


def installation_get(*, organization_id: int, provider: str) -> Installation:
    """The organisation's ACTIVE connection to `provider` (one query).

    Raises ConnectionUnavailableError (reason "not_connected", "disconnected", "needs_reauth" or
    "error") otherwise, and UnknownProviderError for a provider key nobody registered.
    """
    descriptor = provider_get(provider)
    connection = Connection.objects.filter(
        organization_id=organization_id, provider=descriptor.key
    ).first()
    if connection is None or not connection.is_active:
        raise connection_unavailable(descriptor, connection)
    return Installation(connection=connection, provider=descriptor)


def connection_unavailable(
    provider: Provider, connection: Connection | None
) -> ConnectionUnavailableError:
    """The error (and the sentence) for a connection that is missing or not active."""
    name = provider.name
    reason = NOT_CONNECTED if connection is None else REASONS.get(connection.status, "error")
    detail = (connection.last_error if connection is not None else "").strip().rstrip(".")
    if reason == NOT_CONNECTED:
        message = f"{name} is not connected: connect it under Connections."
    elif reason == "disconnected":
        message = f"{name} is disconnected: connect it again under Connections."
    elif reason == "needs_reauth":
        cause = f": {detail}." if detail else "."
        message = f"{name} needs reconnecting{cause} Reconnect it under Connections."
    else:
        cause = f": {detail}." if detail else "."
        message = f"{name} connection failed{cause} Reconnect it under Connections."
    return ConnectionUnavailableError(message, provider=provider.key, reason=reason)


def connected_providers(*, organization_id: int) -> frozenset[str]:
    """Keys of the providers the organisation has an active connection to (one query)."""
    return frozenset(
        Connection.objects.filter(
            organization_id=organization_id, status=ConnectionStatus.ACTIVE
        ).values_list("provider", flat=True)
    )


def installations_for_account(
    *, provider: str, external_account_id: str, limit: int | None = None
) -> list[Installation]:
    """Active installations connected to one vendor account (a HubSpot portal, a Zoom account),
    in organisation order; one account may be connected to several organisations."""
    descriptor = provider_get(provider)
    rows = (
        Connection.objects.select_related("organization")
        .filter(
            provider=descriptor.key,
            external_account_id=external_account_id,
            status=ConnectionStatus.ACTIVE,
        )
        .order_by("organization_id")
    )
    if limit is not None:
        rows = rows[:limit]
    return [Installation(connection=row, provider=descriptor) for row in rows]


def connected_organization_ids(*, provider: str) -> list[int]:
    """Ids of the organisations with an active connection to `provider`, in order."""
    return list(
        Connection.objects.filter(
            provider=provider_get(provider).key, status=ConnectionStatus.ACTIVE
        )
        .order_by("organization_id")
        .values_list("organization_id", flat=True)
    )
