"""Connecting: the OAuth authorization-code flow with state and PKCE, ending in a stored grant."""

from __future__ import annotations

import secrets
import time

from django.db import transaction
from django.utils import timezone

from accounts.models import Organization
from accounts.selectors import user_can_edit_organization
from connectors import oauth
from connectors.base import Identity, Provider, TokenSet
from connectors.errors import ConnectorError
from connectors.http import HttpClient, StaticTokenSource
from connectors.models import Connection, ConnectionEvent, ConnectionStatus
from connectors.registry import provider_get
from connectors.services.events import connection_event_record, organization_event_record
from connectors.services.tokens import connection_tokens_apply

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
            organization_event_record(
                organization, provider, ConnectionEvent.Kind.CANCELLED, "", user
            )
            raise ConnectCancelledError(f"{provider.name} connection was cancelled.")
        description = params.get("error_description") or params["error"]
        raise ConnectFlowError(f"{provider.name} refused the connection: {description}")
    if not params.get("code"):
        raise ConnectFlowError("The callback carries no authorization code.")
    context = f"connect:{provider.key}"
    http = oauth.token_http(
        provider, organization_id=organization.pk, connection_id=None, context=context
    )
    try:
        tokens = oauth.code_exchange(provider, http, code=params["code"], verifier=flow["verifier"])
        identity = provider.identity_fetch(
            _static_http(provider, tokens, organization.pk, context=context), tokens
        )
    except ConnectorError as exc:
        organization_event_record(
            organization, provider, ConnectionEvent.Kind.CONNECT_FAILED, str(exc), user
        )
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
    connection_tokens_apply(connection, provider, tokens)
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
    connection_event_record(connection, kind, message, user)
    if missing:
        connection_event_record(
            connection, ConnectionEvent.Kind.NEEDS_REAUTH, connection.last_error, user
        )
    return connection


def _token_extra(tokens: TokenSet) -> dict:
    return {k: v for k, v in tokens.extra.items() if k not in _SECRET_EXTRA}


def _static_http(
    provider: Provider, tokens: TokenSet, organization_id: int, *, context: str
) -> HttpClient:
    return HttpClient(
        provider=provider.key,
        base_url=provider.config.get("api_base_url", ""),
        error_mapper=provider.error_from_response,
        token_source=StaticTokenSource(tokens.access_token),
        organization_id=organization_id,
        context=context,
    )
