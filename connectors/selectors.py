"""Reads about connections."""

from __future__ import annotations

from django.db.models import QuerySet

from connectors.models import Connection, ConnectionStatus


def connections_sharing_account(connection: Connection) -> QuerySet[Connection]:
    """Other organisations' active connections to the same vendor account.

    One vendor account connected to several organisations makes its data visible to each of
    them; the admin warns about it.
    """
    if not connection.external_account_id:
        return Connection.objects.none()
    return Connection.objects.filter(
        provider=connection.provider,
        external_account_id=connection.external_account_id,
        status=ConnectionStatus.ACTIVE,
    ).exclude(organization_id=connection.organization_id)


def connection_for(organization_id: int, provider_key: str) -> Connection | None:
    """The organisation's row for the provider, whatever its status (None if never connected).

    For the connection's own bookkeeping (its history, pending revocations); code that makes
    calls uses `connectors.installations.installation_get`, which also says why not.
    """
    return Connection.objects.filter(organization_id=organization_id, provider=provider_key).first()
