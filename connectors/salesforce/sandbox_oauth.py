"""The Salesforce sandbox's login host: web-server OAuth flow with PKCE, revoke, identity URL.

Shapes per apis.md §4.1: the token response has `instance_url`, `id` (the identity URL),
`issued_at` (ms), `signature`, `scope`, `token_type` and no `expires_in`; a refresh returns no new
refresh token (rotation off, the default); OAuth errors are `{"error", "error_description"}`.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from connectors.sandbox.core import (
    SandboxError,
    SandboxRequest,
    SandboxResponse,
    json_response,
    redirect_response,
    route,
)
from connectors.sandbox.oauth import Grant

if TYPE_CHECKING:
    from collections.abc import Iterator

    from connectors.sandbox.oauth import FakeOAuthServer

# How Salesforce words its token endpoint errors [UNVERIFIED beyond the codes themselves].
_OAUTH_DESCRIPTIONS = {
    "invalid_client": "invalid client credentials",
    "invalid_client_id": "client identifier invalid",
    "unsupported_grant_type": "grant type not supported",
}


@contextmanager
def oauth_errors() -> Iterator[None]:
    """Render errors raised inside as OAuth errors (`{"error", "error_description"}`, 400)."""
    try:
        yield
    except SandboxError as error:
        code = str(error.code)
        status = 400 if error.status == 401 else error.status  # Salesforce says 400 here
        description = _OAUTH_DESCRIPTIONS.get(code, error.message)
        raise SandboxError(status, code, description, oauth=True) from None


class OAuthRoutesMixin:
    oauth: FakeOAuthServer
    org_id: str
    records: dict[str, dict[str, dict[str, Any]]]

    def default_grant(self) -> Grant:
        """The consent the integration user gives (tests issue tokens on it directly)."""
        from django.conf import settings

        return Grant(
            account_id=self.org_id,
            user_id=self.integration_user_id,
            scopes=["api", "refresh_token"],
            client_id=settings.PROVIDERS["salesforce"]["client_id"],
        )

    @route("GET", "/login/services/oauth2/authorize")
    def oauth_authorize_page(self, request: SandboxRequest) -> SandboxResponse:
        with oauth_errors():
            if request.arg("response_type") != "code":
                raise SandboxError(400, "unsupported_response_type", "response type not supported")
            user = self.records["User"][self.integration_user_id]
            return self.oauth.authorize_page(
                request, vendor_name="Salesforce", account_label=f"{user['Username']} (sandbox org)"
            )

    @route("POST", "/login/services/oauth2/authorize")
    def oauth_authorize_decide(self, request: SandboxRequest) -> SandboxResponse:
        params = request.form()
        with oauth_errors():
            if params.get("client_id") not in self.oauth.clients:
                raise SandboxError(400, "invalid_client_id", "client identifier invalid")
            grant = self.default_grant()
            grant.scopes = (params.get("scope") or "api refresh_token").split()
            grant.client_id = params["client_id"]
            return redirect_response(self.oauth.authorize_decide(params, grant=grant))

    @route("POST", "/login/services/oauth2/token")
    def oauth_token(self, request: SandboxRequest) -> SandboxResponse:
        form = request.form()
        with oauth_errors():
            client_id = self.oauth.client_authenticate(
                form.get("client_id"), form.get("client_secret")
            )
            refreshing = form.get("grant_type") == "refresh_token"
            try:
                grant = self.oauth.token_grant(client_id=client_id, form=form)
            except SandboxError as error:
                if refreshing and error.code == "invalid_grant":
                    # Salesforce's wording for a refresh token that is revoked or expired.
                    raise SandboxError(
                        400, "invalid_grant", "expired access/refresh token"
                    ) from None
                raise
            # A refresh answers without a new refresh token (Salesforce does not rotate).
            return json_response(self._token_body(request, grant, with_refresh=not refreshing))

    def _token_body(self, request: SandboxRequest, grant: Grant, *, with_refresh: bool) -> dict:
        identity_url = f"{request.root_url}/login/id/{grant.account_id}/{grant.user_id}"
        issued_at = str(int(self.clock() * 1000))
        # signature = base64(HMAC-SHA256(client secret, id + issued_at)), as Salesforce signs.
        secret = self.oauth.clients[grant.client_id].encode()
        digest = hmac.new(secret, (identity_url + issued_at).encode(), hashlib.sha256).digest()
        body = {
            "access_token": grant.access_token,
            "instance_url": f"{request.root_url}/instance",
            "id": identity_url,
            "token_type": "Bearer",
            "issued_at": issued_at,
            "signature": base64.b64encode(digest).decode(),
            "scope": " ".join(grant.scopes),
        }
        if with_refresh:
            body["refresh_token"] = grant.refresh_token
        return body

    @route("POST", "/login/services/oauth2/revoke")
    def oauth_revoke(self, request: SandboxRequest) -> SandboxResponse:
        token = request.form().get("token") or request.arg("token") or ""
        with oauth_errors():
            if not token.startswith(self.oauth.token_prefix):
                raise SandboxError(400, "unsupported_token_type", "unsupported token type")
            if token in self.oauth.by_access and token not in self.oauth.by_refresh:
                # Revoking an access token ends that session only; revoking the refresh token
                # ends it and every access token issued from it (apis.md §4.1).
                self.oauth.by_access.pop(token)
            elif not self.oauth.revoke(token):
                raise SandboxError(400, "invalid_token", "invalid token")
        return SandboxResponse(200, b"", {})

    @route("GET", "/login/id/{org_id}/{user_id}")
    def identity_get(self, request: SandboxRequest, org_id: str, user_id: str) -> SandboxResponse:
        try:
            grant = self.oauth.authenticate(request)
        except SandboxError:
            # The identity service answers a bad token with 403 and a plain-text body [from
            # memory, UNVERIFIED].
            return SandboxResponse(403, b"Bad_OAuth_Token", {"Content-Type": "text/plain"})
        user = self.records["User"].get(user_id)
        if org_id != self.org_id or user is None or grant.user_id != user_id:
            return SandboxResponse(403, b"Bad_Id", {"Content-Type": "text/plain"})
        instance = f"{request.root_url}/instance/services/data/v{{version}}"
        return json_response(
            {
                "id": f"{request.root_url}/login/id/{org_id}/{user_id}",
                "asserted_user": True,
                "user_id": user_id,
                "organization_id": org_id,
                "username": user["Username"],
                "nick_name": user["Username"].split("@")[0],
                "display_name": user["Name"],
                "email": user["Email"],
                "email_verified": True,
                "first_name": user.get("FirstName"),
                "last_name": user["LastName"],
                "timezone": "Etc/UTC",
                "active": bool(user["IsActive"]),
                "user_type": "STANDARD",
                "language": "en_US",
                "locale": "en_US",
                "utcOffset": 0,
                "urls": {
                    "rest": f"{instance}/",
                    "sobjects": f"{instance}/sobjects/",
                    "query": f"{instance}/query/",
                    "search": f"{instance}/search/",
                    "recent": f"{instance}/recent/",
                    "profile": f"{request.root_url}/instance/{user_id}",
                },
            }
        )
