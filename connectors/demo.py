"""Connecting an organisation to the sandbox without a browser (`make demo`, tests).

It walks the real OAuth flow: start (state + PKCE), approve on the sandbox's consent page,
complete with the code. The sandbox keeps its state in memory, so the demo reconnects at every
start; reconnecting keeps every setting.
"""

from __future__ import annotations

from urllib.parse import parse_qsl, urlsplit

from connectors.http import HttpClient
from connectors.models import Connection
from connectors.registry import provider_get, provider_keys
from connectors.services import connection_connect_complete, connection_connect_start


def sandbox_connect(*, organization, user, provider_key: str) -> Connection:
    """Connect `organization` to one provider of the sandbox, approving on its consent page."""
    provider = provider_get(provider_key)
    session: dict = {}
    authorize = connection_connect_start(
        user=user, organization=organization, provider_key=provider_key, session=session
    )
    consent = HttpClient(
        provider=provider_key,
        base_url="",
        error_mapper=provider.error_from_response,
        record_calls=False,
    )
    response = consent.request(
        "POST",
        "/oauth/authorize (consent)",
        url=authorize.split("?")[0],
        data={**dict(parse_qsl(urlsplit(authorize).query)), "decision": "approve"},
        authenticated=False,
    )
    callback = dict(parse_qsl(urlsplit(response.headers["Location"]).query))
    return connection_connect_complete(
        user=user, provider_key=provider_key, params=callback, session=session
    )


def demo_connect_all(*, organization, user) -> list[str]:
    """Connect `organization` to every provider in the sandbox; returns one line per provider."""
    lines = []
    for key in provider_keys():
        connection = sandbox_connect(organization=organization, user=user, provider_key=key)
        name = provider_get(key).name
        lines.append(
            f"Connected {name}: {connection.get_status_display()} — {connection.display_name}"
        )
    return lines
