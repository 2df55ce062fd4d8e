"""The OAuth 2.0 authorization-code flow with PKCE, spoken to any provider's `OAuthSpec`.

Token calls go through the one HTTP layer like every other vendor call (timeouts, retries on
transient errors, call records without secrets).
"""

from __future__ import annotations

import base64
import hashlib
import secrets
from typing import TYPE_CHECKING
from urllib.parse import urlencode

from django.conf import settings
from django.urls import reverse

from connectors.http import HttpClient, response_json

if TYPE_CHECKING:
    from connectors.base import Provider, TokenSet


def pkce_pair() -> tuple[str, str]:
    """A fresh (code_verifier, S256 code_challenge) pair (RFC 7636)."""
    verifier = secrets.token_urlsafe(64)[:96]
    digest = hashlib.sha256(verifier.encode()).digest()
    return verifier, base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def redirect_uri(provider: Provider) -> str:
    """The callback URL registered with the vendor: one distinct path per provider."""
    path = reverse("connectors:callback", kwargs={"provider_key": provider.key})
    return f"{settings.PUBLIC_BASE_URL}{path}"


def authorize_url(provider: Provider, *, state: str, code_challenge: str | None) -> str:
    spec = provider.oauth()
    params = {
        "response_type": "code",
        "client_id": provider.client_id,
        "redirect_uri": redirect_uri(provider),
        "state": state,
        "scope": spec.scope_separator.join(spec.scopes),
        **spec.extra_authorize_params,
    }
    if spec.pkce and code_challenge:
        params["code_challenge"] = code_challenge
        params["code_challenge_method"] = "S256"
    return f"{spec.authorize_url}?{urlencode(params)}"


def token_http(
    provider: Provider, *, organization_id: int | None, connection_id: int | None, context: str = ""
):
    """The HTTP client for the token endpoints; `context` labels its ApiCall rows."""
    return HttpClient(
        provider=provider.key,
        base_url=provider.oauth().token_url,
        error_mapper=provider.error_from_response,
        organization_id=organization_id,
        connection_id=connection_id,
        context=context,
    )


def _token_call(provider: Provider, http: HttpClient, form: dict[str, str]) -> TokenSet:
    spec = provider.oauth()
    basic = None
    if spec.client_auth == "basic":
        basic = (provider.client_id, provider.client_secret)
    else:
        form = {**form, "client_id": provider.client_id, "client_secret": provider.client_secret}
    response = http.request(
        "POST", "/oauth/token", url=spec.token_url, data=form, basic_auth=basic, authenticated=False
    )
    return provider.token_set(response_json(response))


def code_exchange(provider: Provider, http: HttpClient, *, code: str, verifier: str) -> TokenSet:
    form = {
        "grant_type": "authorization_code",
        "code": code,
        "redirect_uri": redirect_uri(provider),
    }
    if provider.oauth().pkce:
        form["code_verifier"] = verifier
    return _token_call(provider, http, form)


def token_refresh(provider: Provider, http: HttpClient, *, refresh_token: str) -> TokenSet:
    return _token_call(
        provider, http, {"grant_type": "refresh_token", "refresh_token": refresh_token}
    )


def token_revoke(provider: Provider, http: HttpClient, *, token: str, token_type_hint: str) -> None:
    """Revoke at the vendor. Raises a ConnectorError when the vendor refuses or is unreachable."""
    spec = provider.oauth()
    if not spec.revoke_url:
        return
    form = {"token": token, "token_type_hint": token_type_hint}
    basic = None
    if spec.client_auth == "basic":
        basic = (provider.client_id, provider.client_secret)
    else:
        form.update(client_id=provider.client_id, client_secret=provider.client_secret)
    http.request(
        "POST",
        "/oauth/revoke",
        url=spec.revoke_url,
        data=form,
        basic_auth=basic,
        authenticated=False,
    )
