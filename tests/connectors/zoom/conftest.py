"""Zoom fixtures: the Zoom fake behind `responses`, seeded, and a client on an issued token."""

from __future__ import annotations

import pytest

from connectors.zoom.client import ZoomClient
from connectors.zoom.sandbox import ZoomSandbox
from tests.connectors.helpers import static_http

PAGE_SIZE = 7  # small pages, so that listings span several of them


@pytest.fixture
def fake(sandbox) -> ZoomSandbox:
    zoom_fake = sandbox.fakes["zoom"]
    zoom_fake.seed()
    return zoom_fake


def client_for(fake: ZoomSandbox, settings, scopes: list[str] | None = None) -> ZoomClient:
    grant = fake.oauth.grant_issue(fake.default_grant(scopes))
    http = static_http(
        "zoom", grant.access_token, base_url=settings.PROVIDERS["zoom"]["api_base_url"]
    )
    return ZoomClient(http, page_size=PAGE_SIZE)


@pytest.fixture
def zoom(fake, settings) -> ZoomClient:
    return client_for(fake, settings)
