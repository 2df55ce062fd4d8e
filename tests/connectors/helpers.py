"""Building API clients straight on a token, for client and sandbox tests that need no DB."""

from __future__ import annotations

from connectors.http import HttpClient
from connectors.registry import provider_get


class StaticToken:
    """A TokenSource that always hands out the same token (no refresh)."""

    def __init__(self, token: str) -> None:
        self.token = token

    def access_token(self) -> str:
        return self.token

    def token_after_unauthorized(self, rejected: str) -> str:
        return self.token


def static_http(provider_key: str, token: str, *, base_url: str) -> HttpClient:
    provider = provider_get(provider_key)
    return HttpClient(
        provider=provider_key,
        base_url=base_url,
        error_mapper=provider.error_from_response,
        token_source=StaticToken(token),
        record_calls=False,
        sleep=lambda seconds: None,
    )
