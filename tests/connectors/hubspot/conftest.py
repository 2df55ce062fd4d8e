"""HubSpot fixtures: the HubSpot fake behind `responses` and a client on an issued token."""

from __future__ import annotations

import pytest

from connectors.hubspot.client import HubSpotClient
from connectors.hubspot.sandbox import HubSpotSandbox
from tests.connectors.helpers import static_http


@pytest.fixture
def fake(sandbox) -> HubSpotSandbox:
    return sandbox.fakes["hubspot"]


def client_for(fake: HubSpotSandbox, settings, scopes: list[str] | None = None) -> HubSpotClient:
    grant = fake.default_grant()
    if scopes is not None:
        grant.scopes = scopes
    token = fake.oauth.grant_issue(grant).access_token
    base_url = settings.PROVIDERS["hubspot"]["api_base_url"]
    return HubSpotClient(static_http("hubspot", token, base_url=base_url))


@pytest.fixture
def hubspot(fake, settings) -> HubSpotClient:
    """A client of the (empty) default portal; tests seed what they need."""
    return client_for(fake, settings)
