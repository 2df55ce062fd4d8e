"""Building API clients straight on a token, for client and sandbox tests that need no DB."""

from __future__ import annotations

from connectors.http import HttpClient, StaticTokenSource
from connectors.registry import provider_get


def static_http(provider_key: str, token: str, *, base_url: str) -> HttpClient:
    provider = provider_get(provider_key)
    return HttpClient(
        provider=provider_key,
        base_url=base_url,
        error_mapper=provider.error_from_response,
        token_source=StaticTokenSource(token),
        record_calls=False,
        sleep=lambda seconds: None,
    )
