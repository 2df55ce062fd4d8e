"""Using a connection: fresh access tokens (refreshed under a lock), HTTP clients bound to it."""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.utils import timezone

from connectors import oauth
from connectors.base import Provider, TokenSet
from connectors.errors import ConnectorError, ReauthRequiredError, TransientError
from connectors.http import HttpClient
from connectors.models import Connection, ConnectionEvent, ConnectionStatus
from connectors.ratelimit import RateLimiter
from connectors.registry import provider_get
from connectors.services.events import connection_event_record

#: Refresh this long before the access token expires, so no call goes out with a dying token.
REFRESH_MARGIN = dt.timedelta(minutes=5)


def connection_tokens_apply(connection: Connection, provider: Provider, tokens: TokenSet) -> None:
    connection.access_token = tokens.access_token
    if tokens.refresh_token:  # HubSpot and Salesforce keep the refresh token; Zoom rotates it
        connection.refresh_token = tokens.refresh_token
    lifetime = tokens.expires_in if tokens.expires_in is not None else provider.default_access_ttl
    connection.expires_at = timezone.now() + dt.timedelta(seconds=lifetime)
    if tokens.scopes is not None:
        connection.scopes = sorted(tokens.scopes)
    elif not connection.scopes:
        connection.scopes = sorted(provider.oauth().scopes)  # vendor does not report: as asked


class ConnectionTokenSource:
    """The HTTP layer's token source for a stored connection; a refresh it causes is recorded
    under the same `context` as the calls that needed the token."""

    def __init__(self, connection_id: int, *, context: str = "") -> None:
        self.connection_id = connection_id
        self.context = context

    def access_token(self) -> str:
        return connection_access_token(self.connection_id, context=self.context)

    def token_after_unauthorized(self, rejected: str) -> str:
        return connection_token_refresh(
            self.connection_id, rejected_token=rejected, context=self.context
        )


def connection_access_token(connection_id: int, *, context: str = "") -> str:
    """A valid access token, refreshed first when it expires within REFRESH_MARGIN.

    Raises ReauthRequiredError when the connection is not active.
    """
    connection = Connection.objects.get(pk=connection_id)
    _require_active(connection)
    if connection.expires_within(REFRESH_MARGIN):
        return connection_token_refresh(connection_id, context=context)
    return connection.access_token


def connection_token_refresh(
    connection_id: int, *, rejected_token: str | None = None, context: str = ""
) -> str:
    """Refresh the connection's tokens; safe to call from many workers at once.

    The row is locked (PostgreSQL `SELECT ... FOR UPDATE`; SQLite's IMMEDIATE transactions
    serialise writers) and re-read, so concurrent callers make one token call and the others get
    its result. The rotated refresh token is saved in the same transaction as the call. A refused
    refresh (`invalid_grant`) is re-checked once against the database (another deployment may
    have rotated it) before the connection is marked `needs_reauth`.
    """
    provider = None
    used_refresh_ciphertext = ""
    failure: ConnectorError | None = None
    with transaction.atomic():
        connection = Connection.objects.select_for_update().get(pk=connection_id)
        _require_active(connection)
        if rejected_token is None and not connection.expires_within(REFRESH_MARGIN):
            return connection.access_token  # refreshed by someone else while we waited
        if rejected_token is not None and connection.access_token != rejected_token:
            return connection.access_token
        provider = provider_get(connection.provider)
        used_refresh_ciphertext = connection.refresh_token_ciphertext
        http = oauth.token_http(
            provider,
            organization_id=connection.organization_id,
            connection_id=connection.pk,
            context=context,
        )
        try:
            tokens = oauth.token_refresh(provider, http, refresh_token=connection.refresh_token)
        except TransientError:
            raise
        except ConnectorError as exc:
            failure = exc
        else:
            connection_tokens_apply(connection, provider, tokens)
            connection.last_refreshed_at = timezone.now()
            connection.save()
            connection_event_record(connection, ConnectionEvent.Kind.REFRESHED, "")
            return connection.access_token
    return _refresh_refused(connection_id, used_refresh_ciphertext, failure)


def _refresh_refused(connection_id: int, used_ciphertext: str, failure: ConnectorError) -> str:
    connection = Connection.objects.get(pk=connection_id)
    if connection.refresh_token_ciphertext != used_ciphertext and connection.is_active:
        return connection.access_token  # a rotation race, not a revocation
    connection_mark_needs_reauth(
        connection,
        f"The {connection.get_provider_display()} grant was refused when refreshing "
        f"({failure.code or failure.status}: {failure.message}). Reconnect to resume syncing.",
    )
    raise ReauthRequiredError(
        failure.message, provider=connection.provider, status=failure.status, code=failure.code
    )


def connection_mark_needs_reauth(connection: Connection, message: str) -> None:
    """Pause everything that uses this connection until a person reconnects."""
    updated = Connection.objects.filter(pk=connection.pk, status=ConnectionStatus.ACTIVE).update(
        status=ConnectionStatus.NEEDS_REAUTH, last_error=message, last_error_at=timezone.now()
    )
    if updated:
        connection_event_record(connection, ConnectionEvent.Kind.NEEDS_REAUTH, message)
    connection.refresh_from_db()


def _require_active(connection: Connection) -> None:
    if connection.status != ConnectionStatus.ACTIVE:
        raise ReauthRequiredError(
            f"{connection.get_provider_display()} connection is {connection.get_status_display()}",
            provider=connection.provider,
            code=connection.status,
        )


def connection_http(connection: Connection, *, context: str = "", **kwargs) -> HttpClient:
    """The HTTP client for calls made on behalf of `connection`, labelled `context`."""
    provider = provider_get(connection.provider)
    return HttpClient(
        provider=provider.key,
        base_url=provider.api_base_url(connection),
        error_mapper=provider.error_from_response,
        token_source=ConnectionTokenSource(connection.pk, context=context),
        limiter=RateLimiter(provider.rate_limit_scope(connection)),
        organization_id=connection.organization_id,
        connection_id=connection.pk,
        context=context,
        **kwargs,
    )


def connection_client(connection: Connection, **kwargs):
    """The provider's typed API client bound to `connection` (any status).

    Kept for callers not yet moved to `connectors.installations`; new code looks the connection
    up with `installation_get` and calls `Installation.client(context=...)`.
    """
    provider = provider_get(connection.provider)
    return provider.api_client(connection_http(connection, **kwargs), connection)
