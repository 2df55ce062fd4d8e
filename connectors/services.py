"""Connection lifecycle: connect, use (fresh tokens), refresh, test, disconnect.

Vendor-neutral: everything vendor-specific is asked of the provider descriptor.
"""

from __future__ import annotations

import datetime as dt
import secrets
import time
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone

from accounts.models import Organization
from accounts.selectors import user_can_edit_organization
from connectors import oauth
from connectors.base import Identity, Provider, TokenSet
from connectors.crypto import token_decrypt, token_encrypt
from connectors.errors import ConnectorError, ReauthRequiredError, TransientError
from connectors.http import HttpClient
from connectors.models import Connection, ConnectionEvent, ConnectionStatus, PendingRevocation
from connectors.ratelimit import RateLimiter
from connectors.registry import provider_get

#: Refresh this long before the access token expires, so no call goes out with a dying token.
REFRESH_MARGIN = dt.timedelta(minutes=5)
#: How long a started connect flow (state + PKCE verifier in the session) stays valid.
FLOW_TTL_SECONDS = 600
_SESSION_KEY = "connector_oauth_flows"
#: Token-response fields kept (they are not secrets) to re-check the identity later.
_SECRET_EXTRA = {"id_token", "signature"}


class ConnectFlowError(Exception):
    """The OAuth callback cannot be accepted (status 400/403); nothing was stored."""

    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.status = status


class ConnectCancelledError(Exception):
    """The user declined at the provider (`error=access_denied`)."""


# --- connect --------------------------------------------------------------------------------------
def connection_connect_start(
    *, user, organization: Organization, provider_key: str, session
) -> str:
    """Begin the OAuth flow; returns the provider's authorize URL to redirect to.

    Only owners and managers may connect. `state` and the PKCE verifier are kept in the user's
    session, bound to the organisation and provider, and used once.
    """
    if not user_can_edit_organization(user, organization.pk):
        raise ConnectFlowError("Only owners and managers can connect providers.", status=403)
    provider = provider_get(provider_key)
    verifier, challenge = oauth.pkce_pair()
    state = secrets.token_urlsafe(32)
    flows = {
        key: flow
        for key, flow in session.get(_SESSION_KEY, {}).items()
        if flow["started"] > time.time() - FLOW_TTL_SECONDS
    }
    flows[state] = {
        "provider": provider.key,
        "organization_id": organization.pk,
        "user_id": user.pk,
        "verifier": verifier,
        "started": time.time(),
    }
    session[_SESSION_KEY] = flows
    return oauth.authorize_url(provider, state=state, code_challenge=challenge)


def connection_connect_complete(*, user, provider_key: str, params: dict, session) -> Connection:
    """Finish the OAuth flow from the callback's query parameters.

    Raises ConnectFlowError (missing, unknown, replayed, expired or mismatched state, or a code
    exchange that fails) with nothing stored, or ConnectCancelledError when the user declined.
    """
    provider = provider_get(provider_key)
    flow = _flow_take(session, params.get("state"), provider_key=provider.key, user=user)
    organization = Organization.objects.get(pk=flow["organization_id"])
    if not user_can_edit_organization(user, organization.pk):
        raise ConnectFlowError("Only owners and managers can connect providers.", status=403)
    if params.get("error"):
        if params["error"] == "access_denied":
            _event_for(organization, provider, ConnectionEvent.Kind.CANCELLED, "", user)
            raise ConnectCancelledError(f"{provider.name} connection was cancelled.")
        description = params.get("error_description") or params["error"]
        raise ConnectFlowError(f"{provider.name} refused the connection: {description}")
    if not params.get("code"):
        raise ConnectFlowError("The callback carries no authorization code.")
    http = oauth.token_http(provider, organization_id=organization.pk, connection_id=None)
    try:
        tokens = oauth.code_exchange(provider, http, code=params["code"], verifier=flow["verifier"])
        identity = provider.identity_fetch(_static_http(provider, tokens, organization.pk), tokens)
    except ConnectorError as exc:
        _event_for(organization, provider, ConnectionEvent.Kind.CONNECT_FAILED, str(exc), user)
        raise ConnectFlowError(f"{provider.name} connection failed: {exc.message}") from exc
    return _connection_store(organization, provider, tokens, identity, user)


def _flow_take(session, state: str | None, *, provider_key: str, user) -> dict:
    flows = session.get(_SESSION_KEY, {})
    if not state:
        raise ConnectFlowError("The callback carries no state parameter.")
    flow = flows.pop(state, None)
    session[_SESSION_KEY] = flows  # a state is used once, whatever happens next
    if flow is None:
        raise ConnectFlowError("Unknown or already used state: start connecting again.")
    if flow["provider"] != provider_key or flow["user_id"] != user.pk:
        raise ConnectFlowError("The state does not belong to this provider and user.")
    if flow["started"] < time.time() - FLOW_TTL_SECONDS:
        raise ConnectFlowError("The connection attempt expired: start connecting again.")
    return flow


@transaction.atomic
def _connection_store(organization, provider: Provider, tokens: TokenSet, identity: Identity, user):
    connection, created = Connection.objects.select_for_update().get_or_create(
        organization=organization, provider=provider.key
    )
    previous_account = connection.external_account_id
    _tokens_apply(connection, provider, tokens)
    connection.external_account_id = identity.external_account_id
    connection.external_user_id = identity.external_user_id
    connection.display_name = identity.display_name
    connection.config = {**identity.config, "token_extra": _token_extra(tokens)}
    connection.connected_by = user
    connection.connected_at = timezone.now()
    missing = sorted(provider.required_scopes() - set(connection.scopes))
    if missing:
        connection.status = ConnectionStatus.NEEDS_REAUTH
        connection.last_error = (
            f"{provider.name} granted fewer permissions than Meetbridge needs. Missing scopes: "
            f"{', '.join(missing)}. Reconnect and approve all requested permissions."
        )
        connection.last_error_at = timezone.now()
    else:
        connection.status = ConnectionStatus.ACTIVE
        connection.last_error = ""
        connection.last_error_at = None
    connection.save()
    kind = ConnectionEvent.Kind.CONNECTED if created else ConnectionEvent.Kind.RECONNECTED
    message = identity.display_name
    if previous_account and previous_account != identity.external_account_id:
        message += f" (was account {previous_account}: settings kept, check they still apply)"
    _event(connection, kind, message, user)
    if missing:
        _event(connection, ConnectionEvent.Kind.NEEDS_REAUTH, connection.last_error, user)
    return connection


def _tokens_apply(connection: Connection, provider: Provider, tokens: TokenSet) -> None:
    connection.access_token = tokens.access_token
    if tokens.refresh_token:  # HubSpot and Salesforce keep the refresh token; Zoom rotates it
        connection.refresh_token = tokens.refresh_token
    lifetime = tokens.expires_in if tokens.expires_in is not None else provider.default_access_ttl
    connection.expires_at = timezone.now() + dt.timedelta(seconds=lifetime)
    if tokens.scopes is not None:
        connection.scopes = sorted(tokens.scopes)
    elif not connection.scopes:
        connection.scopes = sorted(provider.oauth().scopes)  # vendor does not report: as asked


def _token_extra(tokens: TokenSet) -> dict:
    return {k: v for k, v in tokens.extra.items() if k not in _SECRET_EXTRA}


# --- use and refresh ------------------------------------------------------------------------------
class ConnectionTokenSource:
    """The HTTP layer's token source for a stored connection."""

    def __init__(self, connection_id: int) -> None:
        self.connection_id = connection_id

    def access_token(self) -> str:
        return connection_access_token(self.connection_id)

    def token_after_unauthorized(self, rejected: str) -> str:
        return connection_token_refresh(self.connection_id, rejected_token=rejected)


def connection_access_token(connection_id: int) -> str:
    """A valid access token, refreshed first when it expires within REFRESH_MARGIN.

    Raises ReauthRequiredError when the connection is not active.
    """
    connection = Connection.objects.get(pk=connection_id)
    _require_active(connection)
    if connection.expires_within(REFRESH_MARGIN):
        return connection_token_refresh(connection_id)
    return connection.access_token


def connection_token_refresh(connection_id: int, *, rejected_token: str | None = None) -> str:
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
            provider, organization_id=connection.organization_id, connection_id=connection.pk
        )
        try:
            tokens = oauth.token_refresh(provider, http, refresh_token=connection.refresh_token)
        except TransientError:
            raise
        except ConnectorError as exc:
            failure = exc
        else:
            _tokens_apply(connection, provider, tokens)
            connection.last_refreshed_at = timezone.now()
            connection.save()
            _event(connection, ConnectionEvent.Kind.REFRESHED, "")
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
        _event(connection, ConnectionEvent.Kind.NEEDS_REAUTH, message)
    connection.refresh_from_db()


def _require_active(connection: Connection) -> None:
    if connection.status != ConnectionStatus.ACTIVE:
        raise ReauthRequiredError(
            f"{connection.get_provider_display()} connection is {connection.get_status_display()}",
            provider=connection.provider,
            code=connection.status,
        )


def connection_http(connection: Connection, **kwargs) -> HttpClient:
    """The HTTP client for calls made on behalf of `connection`."""
    provider = provider_get(connection.provider)
    return HttpClient(
        provider=provider.key,
        base_url=provider.api_base_url(connection),
        error_mapper=provider.error_from_response,
        token_source=ConnectionTokenSource(connection.pk),
        limiter=RateLimiter(provider.rate_limit_scope(connection)),
        organization_id=connection.organization_id,
        connection_id=connection.pk,
        **kwargs,
    )


def connection_client(connection: Connection, **kwargs):
    """The provider's typed API client bound to `connection`."""
    provider = provider_get(connection.provider)
    return provider.api_client(connection_http(connection, **kwargs), connection)


def _static_http(provider: Provider, tokens: TokenSet, organization_id: int) -> HttpClient:
    class _Static:
        def access_token(self) -> str:
            return tokens.access_token

        def token_after_unauthorized(self, rejected: str) -> str:
            return tokens.access_token

    return HttpClient(
        provider=provider.key,
        base_url=provider.config.get("api_base_url", ""),
        error_mapper=provider.error_from_response,
        token_source=_Static(),
        organization_id=organization_id,
    )


# --- test and disconnect --------------------------------------------------------------------------
@dataclass
class ConnectionCheck:
    ok: bool
    message: str


def connection_test(*, connection: Connection, user=None) -> ConnectionCheck:
    """Call the provider's identity endpoint with the stored grant and report the outcome."""
    provider = provider_get(connection.provider)
    try:
        tokens = TokenSet(
            access_token="",
            refresh_token="",
            expires_in=None,
            scopes=connection.scopes,
            extra=connection.config.get("token_extra", {}),
        )
        identity = provider.identity_fetch(connection_http(connection), tokens)
    except ConnectorError as exc:
        check = ConnectionCheck(False, f"{provider.name} test failed: {exc}")
    else:
        same = identity.external_account_id == connection.external_account_id
        check = ConnectionCheck(
            same,
            f"{provider.name} answered as {identity.display_name}"
            + ("" if same else f" — not the connected account {connection.external_account_id}"),
        )
    _event(connection, ConnectionEvent.Kind.TESTED, check.message, user)
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
        _event(locked, ConnectionEvent.Kind.DISCONNECTED, "", user)
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
    """Try one pending revocation; deletes it on success, schedules a retry on failure."""
    pending = PendingRevocation.objects.filter(pk=pending_id).first()
    if pending is None:
        return True
    provider = provider_get(pending.provider)
    connection = Connection.objects.filter(
        organization_id=pending.organization_id, provider=pending.provider
    ).first()
    http = oauth.token_http(
        provider,
        organization_id=pending.organization_id,
        connection_id=connection.pk if connection else None,
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
            _event(connection, ConnectionEvent.Kind.REVOKE_FAILED, str(exc))
        return False
    if connection:
        _event(connection, ConnectionEvent.Kind.REVOKED, "")
    pending.delete()
    return True


def revocations_retry(*, limit: int = 100) -> str:
    """Periodic job: retry due revocations (a grant nobody uses should not stay alive)."""
    due = PendingRevocation.objects.filter(next_attempt_at__lte=timezone.now(), attempts__lt=20)
    done = sum(revocation_attempt(pk) for pk in due.values_list("pk", flat=True)[:limit])
    return f"{done} revoked"


# --- audit ----------------------------------------------------------------------------------------
def _event(connection: Connection, kind: str, message: str, user=None) -> None:
    ConnectionEvent.objects.create(
        organization_id=connection.organization_id,
        connection=connection,
        kind=kind,
        message=message[:4000],
        actor=user if user is not None and user.is_authenticated else None,
    )


def _event_for(organization, provider: Provider, kind: str, message: str, user) -> None:
    connection, _ = Connection.objects.get_or_create(
        organization=organization, provider=provider.key
    )
    _event(connection, kind, message, user)
