"""A fake OAuth 2.0 authorization server that the vendor fakes share.

It implements the authorization-code grant with PKCE (S256 and plain), single-use codes that
expire, access tokens with a lifetime, refresh tokens (optionally rotated on every use, as Zoom
does: the old one is then dead), and revocation. Vendor fakes wrap it in their own endpoints and
response shapes.
"""

from __future__ import annotations

import base64
import hashlib
import html
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from urllib.parse import urlencode

from connectors.sandbox.core import SandboxError, SandboxRequest, html_response


@dataclass
class Grant:
    """What one consent produced: who, which scopes, and the current tokens."""

    account_id: str
    user_id: str
    scopes: list[str]
    client_id: str
    access_token: str = ""
    refresh_token: str = ""
    access_expires_at: float = 0.0
    revoked: bool = False
    extra: dict = field(default_factory=dict)


@dataclass
class _Code:
    grant: Grant
    redirect_uri: str
    challenge: str | None
    challenge_method: str
    expires_at: float


class FakeOAuthServer:
    def __init__(
        self,
        *,
        clients: dict[str, str],
        clock: Callable[[], float],
        access_ttl: int,
        rotate_refresh_tokens: bool,
        token_prefix: str,
    ) -> None:
        self.clients = clients  # client_id -> client_secret
        self.clock = clock
        self.access_ttl = access_ttl
        self.rotate_refresh_tokens = rotate_refresh_tokens
        self.token_prefix = token_prefix
        self.codes: dict[str, _Code] = {}
        self.by_access: dict[str, Grant] = {}
        self.by_refresh: dict[str, Grant] = {}
        self.token_calls = 0  # how many times the token endpoint issued tokens

    # --- authorize -------------------------------------------------------------------------------
    def authorize_page(self, request: SandboxRequest, *, vendor_name: str, account_label: str):
        """GET: the consent page. Every parameter travels on as a hidden field."""
        self._check_authorize_params(request)
        hidden = "".join(
            f'<input type="hidden" name="{html.escape(k)}" value="{html.escape(v[-1])}">'
            for k, v in request.query.items()
        )
        scopes = html.escape(request.arg("scope", "") or "(default scopes)")
        return html_response(
            f"<!doctype html><title>{vendor_name} sandbox — authorize</title>"
            f"<h1>{vendor_name} sandbox</h1><p>Meetbridge asks to access "
            f"<b>{html.escape(account_label)}</b> with scopes <code>{scopes}</code>.</p>"
            f'<form method="post">{hidden}'
            '<button name="decision" value="approve">Approve</button> '
            '<button name="decision" value="deny">Deny</button></form>'
        )

    def authorize_decide(self, params: dict[str, str], *, grant: Grant | None) -> str:
        """POST: approve (grant given) or deny; returns the redirect URL back to the client."""
        redirect_uri = params.get("redirect_uri", "")
        state = params.get("state")
        extra = {"state": state} if state is not None else {}
        if params.get("decision") != "approve" or grant is None:
            query = urlencode({"error": "access_denied", **extra})
            return f"{redirect_uri}?{query}"
        code = secrets.token_urlsafe(24)
        self.codes[code] = _Code(
            grant=grant,
            redirect_uri=redirect_uri,
            challenge=params.get("code_challenge"),
            challenge_method=params.get("code_challenge_method", "plain"),
            expires_at=self.clock() + 300,
        )
        return f"{redirect_uri}?{urlencode({'code': code, **extra})}"

    def _check_authorize_params(self, request: SandboxRequest) -> None:
        if request.arg("client_id") not in self.clients:
            raise SandboxError(400, "invalid_client", "Invalid client_id")
        if not request.arg("redirect_uri"):
            raise SandboxError(400, "invalid_request", "redirect_uri is required")

    # --- token ------------------------------------------------------------------------------------
    def client_authenticate(self, client_id: str | None, client_secret: str | None) -> str:
        if not client_id or self.clients.get(client_id) != client_secret:
            raise SandboxError(401, "invalid_client", "Invalid client credentials")
        return client_id

    def token_grant(self, *, client_id: str, form: dict[str, str]) -> Grant:
        """The token endpoint's grant types: authorization_code (with PKCE) and refresh_token."""
        grant_type = form.get("grant_type")
        if grant_type == "authorization_code":
            return self.exchange_code(
                client_id=client_id,
                code=form.get("code"),
                redirect_uri=form.get("redirect_uri"),
                verifier=form.get("code_verifier"),
            )
        if grant_type == "refresh_token":
            return self.refresh(client_id=client_id, refresh_token=form.get("refresh_token"))
        raise SandboxError(400, "unsupported_grant_type", f"Unsupported grant_type {grant_type!r}")

    def exchange_code(
        self, *, client_id: str, code: str | None, redirect_uri: str | None, verifier: str | None
    ) -> Grant:
        entry = self.codes.pop(code or "", None)  # single use, even when it fails below
        if entry is None or entry.expires_at < self.clock():
            raise SandboxError(400, "invalid_grant", "Invalid authorization code")
        if entry.grant.client_id != client_id:
            raise SandboxError(400, "invalid_grant", "Code was issued to another client")
        if entry.redirect_uri != (redirect_uri or ""):
            raise SandboxError(400, "invalid_grant", "redirect_uri mismatch")
        if entry.challenge and (
            not verifier or _challenge(verifier, entry.challenge_method) != entry.challenge
        ):
            raise SandboxError(400, "invalid_grant", "Invalid code_verifier")
        return self._issue(entry.grant, new_refresh=True)

    def refresh(self, *, client_id: str, refresh_token: str | None) -> Grant:
        grant = self.by_refresh.get(refresh_token or "")
        if grant is None or grant.revoked or grant.client_id != client_id:
            raise SandboxError(400, "invalid_grant", "Invalid refresh token")
        if self.rotate_refresh_tokens:
            del self.by_refresh[refresh_token]
        return self._issue(grant, new_refresh=self.rotate_refresh_tokens)

    def _issue(self, grant: Grant, *, new_refresh: bool) -> Grant:
        self.by_access.pop(grant.access_token, None)
        grant.access_token = f"{self.token_prefix}at_{secrets.token_urlsafe(32)}"
        grant.access_expires_at = self.clock() + self.access_ttl
        if new_refresh or not grant.refresh_token:
            grant.refresh_token = f"{self.token_prefix}rt_{secrets.token_urlsafe(32)}"
        self.by_access[grant.access_token] = grant
        self.by_refresh[grant.refresh_token] = grant
        self.token_calls += 1
        return grant

    def revoke(self, token: str | None) -> bool:
        grant = self.by_access.get(token or "") or self.by_refresh.get(token or "")
        if grant is None:
            return False
        grant.revoked = True
        self.by_access.pop(grant.access_token, None)
        self.by_refresh.pop(grant.refresh_token, None)
        return True

    # --- resource server --------------------------------------------------------------------------
    def authenticate(self, request: SandboxRequest) -> Grant:
        """The grant behind the request's bearer token; SandboxError 401 when absent or expired."""
        token = request.bearer()
        grant = self.by_access.get(token or "")
        if grant is None or grant.revoked:
            raise SandboxError(401, "invalid_token", "Invalid access token")
        if grant.access_expires_at < self.clock():
            raise SandboxError(401, "expired_token", "Access token is expired")
        return grant

    def grant_issue(self, grant: Grant) -> Grant:
        """Issue tokens directly (tests and the demo connect without the consent page)."""
        return self._issue(grant, new_refresh=True)

    def expire_access_tokens(self) -> None:
        for grant in self.by_access.values():
            grant.access_expires_at = 0.0


def _challenge(verifier: str, method: str) -> str:
    if method == "S256":
        digest = hashlib.sha256(verifier.encode()).digest()
        return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()
    return verifier
