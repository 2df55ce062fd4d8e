"""Salesforce: web-server OAuth flow with PKCE against a configurable login host (production,
test.salesforce.com or a My Domain), `instance_url` as the REST base, quota errors."""

from __future__ import annotations

from typing import TYPE_CHECKING

from connectors.base import Identity, OAuthSpec, Provider, TokenSet
from connectors.errors import ConnectorError, RateLimitedError

if TYPE_CHECKING:
    import requests

    from connectors.http import HttpClient
    from connectors.models import Connection

SALESFORCE_SCOPES = ("api", "refresh_token")
# Salesforce returns no expires_in: the session timeout is an org setting (2 h by default).
# We refresh a little before that and, failing that, on the first 401.
SESSION_SECONDS = 2 * 3600
# 403 REQUEST_LIMIT_EXCEEDED has no Retry-After; the daily allocation rolls over 24 h, so we
# pause for an hour and look again rather than hammering an exhausted quota. The same code is
# used for too many concurrent long-running requests ("ConcurrentPerOrgLongTxn"), which clears
# as soon as those requests finish.
QUOTA_PAUSE_SECONDS = 3600
CONCURRENCY_PAUSE_SECONDS = 20


class SalesforceProvider(Provider):
    key = "salesforce"
    name = "Salesforce"
    client_path = "connectors.salesforce.client.SalesforceClient"
    sandbox_path = "connectors.salesforce.sandbox.SalesforceSandbox"
    default_access_ttl = SESSION_SECONDS

    def oauth(self) -> OAuthSpec:
        login = self.config["login_url"]
        return OAuthSpec(
            authorize_url=f"{login}/services/oauth2/authorize",
            token_url=f"{login}/services/oauth2/token",
            revoke_url=f"{login}/services/oauth2/revoke",
            scopes=SALESFORCE_SCOPES,
            client_auth="body",
            pkce=True,
        )

    def identity_fetch(self, http: HttpClient, tokens: TokenSet) -> Identity:
        from connectors.http import response_json

        # The token response's `id` is the identity URL .../id/{orgId}/{userId}.
        identity = response_json(http.request("GET", "/id", url=tokens.extra["id"]))
        instance_url = tokens.extra["instance_url"].rstrip("/")
        return Identity(
            external_account_id=str(identity["organization_id"]),
            external_user_id=str(identity["user_id"]),
            display_name=f"{identity.get('username', '')} ({instance_url})",
            config={
                "instance_url": instance_url,
                "identity_url": tokens.extra["id"],
                "username": identity.get("username", ""),
                "email": identity.get("email", ""),
            },
        )

    def api_base_url(self, connection: Connection) -> str:
        return f"{connection.config['instance_url']}/services/data/{self.config['api_version']}"

    def error_from_response(self, response: requests.Response) -> ConnectorError:
        error = super().error_from_response(response)
        if error.code == "REQUEST_LIMIT_EXCEEDED":
            concurrent = "Concurrent" in error.message
            return RateLimitedError(
                error.message,
                provider=self.key,
                status=response.status_code,
                code=error.code,
                retry_after=CONCURRENCY_PAUSE_SECONDS if concurrent else QUOTA_PAUSE_SECONDS,
            )
        return error

    def error_details(self, response: requests.Response) -> tuple[str, str]:
        from connectors.http import response_json

        # REST errors are a JSON array: [{"message": ..., "errorCode": ..., "fields": [...]}];
        # OAuth errors an object: {"error": "invalid_grant", "error_description": ...}.
        try:
            body = response_json(response)
        except ValueError:
            return super().error_details(response)
        if isinstance(body, list) and body and isinstance(body[0], dict):
            first = body[0]
            fields = first.get("fields") or []
            suffix = f" (fields: {', '.join(fields)})" if fields else ""
            return f"{first.get('message', '')}{suffix}", str(first.get("errorCode", ""))
        return super().error_details(response)
