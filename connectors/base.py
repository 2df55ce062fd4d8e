"""What every provider is: a small descriptor of the vendor (OAuth data, identity lookup, error
mapping, API client, sandbox fake). Shared code talks to providers only through this surface.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar, Literal

from django.conf import settings
from django.utils.module_loading import import_string

from connectors.errors import (
    ConnectorError,
    NotFoundError,
    PermanentError,
    RateLimitedError,
    ReauthRequiredError,
    TransientError,
)

if TYPE_CHECKING:
    import requests

    from connectors.http import HttpClient
    from connectors.models import Connection


@dataclass(frozen=True)
class OAuthSpec:
    """A vendor's OAuth 2.0 authorization-code flow, as data."""

    authorize_url: str
    token_url: str
    revoke_url: str | None
    scopes: tuple[str, ...]
    client_auth: Literal["basic", "body"] = "body"  # how the client proves itself at /token
    pkce: bool = True
    scope_separator: str = " "
    # Which token the revoke endpoint takes: Zoom revokes the grant by access token, HubSpot and
    # Salesforce by refresh token (which also kills its access tokens).
    revoke_token: Literal["access_token", "refresh_token"] = "refresh_token"
    extra_authorize_params: dict[str, str] = field(default_factory=dict)


@dataclass
class TokenSet:
    """A token endpoint's answer, normalised. `extra` keeps vendor fields (hub_id, instance_url)."""

    access_token: str
    refresh_token: str
    expires_in: int | None
    scopes: list[str] | None
    extra: dict[str, Any] = field(default_factory=dict)

    def __repr__(self) -> str:  # tokens never reach logs or tracebacks
        return f"TokenSet(expires_in={self.expires_in}, scopes={self.scopes})"


@dataclass
class Identity:
    """Who and what was connected."""

    external_account_id: str
    external_user_id: str
    display_name: str
    config: dict[str, Any] = field(default_factory=dict)


class Provider:
    """Base of every provider. Subclasses set the class attributes and implement the methods."""

    key: ClassVar[str]
    name: ClassVar[str]
    client_path: ClassVar[str]  # dotted path of the typed API client class
    sandbox_path: ClassVar[str]  # dotted path of the VendorFake subclass
    # Access-token lifetime to assume when the token endpoint does not say (Salesforce).
    default_access_ttl: ClassVar[int] = 3600

    # --- configuration ---------------------------------------------------------------------------
    @property
    def config(self) -> dict[str, Any]:
        return settings.PROVIDERS[self.key]

    @property
    def client_id(self) -> str:
        return self.config.get("client_id") or ""

    @property
    def client_secret(self) -> str:
        return self.config.get("client_secret") or ""

    def oauth(self) -> OAuthSpec:
        raise NotImplementedError

    def required_scopes(self) -> set[str]:
        """Scopes the product's features need; a grant missing any is marked needs_reauth."""
        return set(self.oauth().scopes)

    # --- OAuth results ----------------------------------------------------------------------------
    def token_set(self, data: dict[str, Any]) -> TokenSet:
        """Normalise the token endpoint's JSON (override for vendor quirks)."""
        scope = data.get("scope")
        scopes = data.get("scopes")
        if scopes is None and isinstance(scope, str):
            scopes = scope.replace(",", " ").split()
        return TokenSet(
            access_token=data["access_token"],
            refresh_token=data.get("refresh_token") or "",
            expires_in=int(data["expires_in"]) if data.get("expires_in") is not None else None,
            scopes=list(scopes) if scopes is not None else None,
            extra={
                k: v
                for k, v in data.items()
                if k not in {"access_token", "refresh_token", "expires_in"}
            },
        )

    def identity_fetch(self, http: HttpClient, tokens: TokenSet) -> Identity:
        """Look up who connected (account, user) right after the code exchange."""
        raise NotImplementedError

    def api_base_url(self, connection: Connection) -> str:
        return self.config["api_base_url"]

    def rate_limit_scope(self, connection: Connection) -> str:
        """Prefix of the client-side rate-limit buckets: the vendor limits per account."""
        return f"{self.key}:{connection.external_account_id or connection.pk}"

    # --- API --------------------------------------------------------------------------------------
    def api_client(self, http: HttpClient, connection: Connection | None = None):
        return import_string(self.client_path)(http)

    @property
    def sandbox_class(self):
        return import_string(self.sandbox_path)

    def error_from_response(self, response: requests.Response) -> ConnectorError:
        """Map an error response to the exception family; vendors override `error_details`."""
        message, code = self.error_details(response)
        return error_for_status(response, provider=self.key, message=message, code=code)

    def error_details(self, response: requests.Response) -> tuple[str, str]:
        """(message, code) from the vendor's error body."""
        from connectors.http import response_json

        try:
            body = response_json(response)
        except ValueError:
            return (response.text[:300] or response.reason or "error"), ""
        if isinstance(body, dict):
            message = body.get("message") or body.get("error_description") or body.get("error")
            code = body.get("code") or body.get("error") or body.get("category") or ""
            return str(message or response.reason), str(code)
        return str(body)[:300], ""


def error_for_status(
    response: requests.Response, *, provider: str, message: str, code: str
) -> ConnectorError:
    """The default HTTP status → exception mapping that vendors refine."""
    from connectors.http import retry_after_seconds

    status = response.status_code
    kwargs = {"provider": provider, "status": status, "code": code}
    if status == 429:
        return RateLimitedError(
            message, retry_after=retry_after_seconds(response.headers), **kwargs
        )
    if status == 401:
        return ReauthRequiredError(message, **kwargs)
    if status == 404:
        return NotFoundError(message, **kwargs)
    if status in (408, 425) or status >= 500:
        return TransientError(message, **kwargs)
    return PermanentError(message, **kwargs)
