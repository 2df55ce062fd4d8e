"""HubSpot: OAuth v3 token/revoke endpoints (v1 is retired on 2027-02-16), identity, errors."""

from __future__ import annotations

from typing import TYPE_CHECKING

from connectors.base import Identity, OAuthSpec, Provider, TokenSet
from connectors.errors import ConnectorError, MissingScopeError, RateLimitedError

if TYPE_CHECKING:
    import requests

    from connectors.http import HttpClient

# Exact scope names from the specs' security blocks (apis.md §2.2).
HUBSPOT_SCOPES = (
    "oauth",
    "crm.objects.contacts.read",
    "crm.objects.contacts.write",
    "crm.objects.companies.read",
    "crm.objects.deals.read",
    "crm.schemas.contacts.read",
    "crm.schemas.contacts.write",
    "crm.schemas.companies.read",
    "crm.objects.owners.read",
    "crm.objects.marketing_events.read",
    "crm.objects.marketing_events.write",
    "settings.users.read",
    "timeline",
    "automation",
    # Activities → Salesforce tasks (issue 7, apis.md §2.8): sales emails, form submissions,
    # marketing email events.
    "sales-email-read",
    "forms",
    "content",
)


class HubSpotProvider(Provider):
    key = "hubspot"
    name = "HubSpot"
    client_path = "connectors.hubspot.client.HubSpotClient"
    sandbox_path = "connectors.hubspot.sandbox.HubSpotSandbox"
    default_access_ttl = 1800  # 30 minutes; always taken from expires_in when present

    def oauth(self) -> OAuthSpec:
        api = self.config["api_base_url"]
        return OAuthSpec(
            authorize_url=f"{self.config['app_base_url']}/oauth/authorize",
            token_url=f"{api}/oauth/v3/token",
            revoke_url=f"{api}/oauth/v3/token/revoke",
            scopes=HUBSPOT_SCOPES,
            client_auth="body",
            pkce=True,
        )

    def identity_fetch(self, http: HttpClient, tokens: TokenSet) -> Identity:
        from connectors.http import response_json

        account = response_json(http.request("GET", "/account-info/v3/details"))
        portal_id = str(account.get("portalId") or tokens.extra.get("hub_id"))
        domain = account.get("uiDomain") or "app.hubspot.com"
        return Identity(
            external_account_id=portal_id,
            external_user_id=str(tokens.extra.get("user_id", "")),
            display_name=f"HubSpot portal {portal_id}",
            config={"ui_domain": domain, "timezone": account.get("timeZone", "")},
        )

    def error_from_response(self, response: requests.Response) -> ConnectorError:
        error = super().error_from_response(response)
        if response.status_code == 403:
            # HubSpot answers 403 when the grant lacks a scope the call needs (category
            # MISSING_SCOPES, the scopes in errors[].context.requiredGranularScopes); 403 is
            # HubSpot's permission answer, so every 403 is taken as a missing permission.
            # https://developers.hubspot.com/docs/api/error-handling
            return MissingScopeError(
                error.message,
                provider=self.key,
                status=403,
                code=error.code,
                scopes=required_scopes(response),
            )
        if isinstance(error, RateLimitedError) and error.retry_after is None:
            # HubSpot sends no Retry-After and its limits roll (TEN_SECONDLY_ROLLING, and one
            # second for search): capacity comes back as the oldest requests age out, so a
            # one-second pause (then backoff) recovers without waiting out a whole window.
            error.retry_after = 1.0
        return error

    def error_details(self, response: requests.Response) -> tuple[str, str]:
        from connectors.http import response_json

        # {"status": "error", "message": ..., "correlationId": ..., "category": "VALIDATION_ERROR"}
        try:
            body = response_json(response)
        except ValueError:
            return super().error_details(response)
        if isinstance(body, dict):
            message = body.get("message") or body.get("error_description") or response.reason
            code = body.get("subCategory") or body.get("category") or body.get("error") or ""
            return str(message), str(code)
        return super().error_details(response)


def required_scopes(response: requests.Response) -> tuple[str, ...]:
    """The scopes a HubSpot 403 names as required (in order, once each); () when it names none.

    {"category": "MISSING_SCOPES", "errors": [{"message": "One or more of the following scopes
    are required.", "context": {"requiredGranularScopes": ["crm.objects.contacts.read"]}}]}
    """
    from connectors.http import response_json

    try:
        body = response_json(response)
    except ValueError:
        return ()
    errors = body.get("errors") if isinstance(body, dict) else None
    scopes: dict[str, None] = {}
    for item in errors if isinstance(errors, list) else []:
        context = item.get("context") if isinstance(item, dict) else None
        if not isinstance(context, dict):
            continue
        for key in ("requiredGranularScopes", "requiredScopes"):
            names = context.get(key)
            if isinstance(names, list):
                scopes.update((str(name), None) for name in names if name)
    return tuple(scopes)
