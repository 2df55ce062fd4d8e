"""Zoom: OAuth (authorization code + PKCE, rotating refresh tokens), identity, error mapping.

Meetbridge is an admin-managed OAuth app: an account admin authorises it once for the account,
which lets it list the account's users and their webinars (`:admin` granular scopes). Every
refresh returns a new refresh token and kills the old one, so the new one must be saved in the
same transaction as the refresh (see connectors.services).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from connectors.base import Identity, OAuthSpec, Provider, TokenSet
from connectors.errors import ConnectorError, ReauthRequiredError

if TYPE_CHECKING:
    import requests

    from connectors.http import HttpClient

# Granular scopes (apis.md §3.2). Zoom's authorize URL takes no scope parameter (scopes are set
# on the app), but the token response lists what was granted, which we compare with these.
ZOOM_SCOPES = (
    "user:read:user:admin",
    "user:read:list_users:admin",
    "webinar:read:list_webinars:admin",
    "webinar:read:webinar:admin",
    "webinar:read:list_registrants:admin",
    "webinar:write:registrant:admin",
    "webinar:read:list_past_instances:admin",
    "report:read:list_webinar_participants:admin",
    "cloud_recording:read:list_recording_files:admin",
    "meeting:read:meeting:admin",  # GET /meetings/{id} (ZoomClient.meeting_get)
    "meeting:read:list_meetings:admin",  # a booking's meeting after a lost create answer
    "meeting:write:meeting:admin",
    "meeting:update:meeting:admin",
    "meeting:delete:meeting:admin",
)

# "Invalid access token, does not contain scopes: [...]" (devforum.zoom.us/t/95961: 4700;
# granular-scope apps are reported to get 4711 [PARTIAL]).
MISSING_SCOPE_CODES = ("4700", "4711")


class ZoomProvider(Provider):
    key = "zoom"
    name = "Zoom"
    client_path = "connectors.zoom.client.ZoomClient"
    sandbox_path = "connectors.zoom.sandbox.ZoomSandbox"
    default_access_ttl = 3600

    def oauth(self) -> OAuthSpec:
        base = self.config["oauth_base_url"]
        return OAuthSpec(
            authorize_url=f"{base}/authorize",
            token_url=f"{base}/token",
            revoke_url=f"{base}/revoke",
            scopes=ZOOM_SCOPES,
            client_auth="basic",
            pkce=True,
            revoke_token="access_token",
        )

    def token_set(self, data: dict) -> TokenSet:
        tokens = super().token_set(data)
        # Zoom separates granted scopes with spaces (older apps: commas); base handles both.
        return tokens

    def identity_fetch(self, http: HttpClient, tokens: TokenSet) -> Identity:
        from connectors.http import response_json

        me = response_json(http.request("GET", "/users/me"))
        return Identity(
            external_account_id=str(me["account_id"]),
            external_user_id=str(me["id"]),
            display_name=f"{me.get('email', '')} (Zoom account {me['account_id']})",
            config={"email": me.get("email", ""), "timezone": me.get("timezone", "")},
        )

    def error_from_response(self, response: requests.Response) -> ConnectorError:
        error = super().error_from_response(response)
        if response.status_code == 429 and (
            response.headers.get("X-RateLimit-Type", "").lower() == "daily-limit"
        ):
            # A per-user daily cap (meeting create/update, apis.md §3.3): only the day's
            # buckets wait for the reset, not the account's per-second ones.
            error.details["daily_limit"] = True
        if error.code in MISSING_SCOPE_CODES:
            # The grant lacks a scope (HTTP 400): only reconnecting with the scope fixes it.
            return ReauthRequiredError(
                error.message, provider=self.key, status=error.status, code=error.code
            )
        return error

    def error_details(self, response: requests.Response) -> tuple[str, str]:
        from connectors.http import response_json

        # Zoom errors: {"code": 1001, "message": "User does not exist: ..."}; OAuth errors:
        # {"reason": "Invalid Token!", "error": "invalid_request"}.
        try:
            body = response_json(response)
        except ValueError:
            return super().error_details(response)
        if isinstance(body, dict):
            if "error" in body:
                return str(
                    body.get("reason") or body.get("error_description") or body["error"]
                ), str(body["error"])
            return str(body.get("message") or response.reason), str(body.get("code", ""))
        return super().error_details(response)
