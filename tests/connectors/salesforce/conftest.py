"""Salesforce fixtures: the Salesforce fake behind `responses` and a client on an issued token."""

from __future__ import annotations

import pytest

from connectors.salesforce.client import SalesforceClient
from connectors.salesforce.sandbox import SalesforceSandbox
from tests.connectors.helpers import static_http

API_VERSION = "v62.0"


@pytest.fixture
def fake(sandbox) -> SalesforceSandbox:
    """An empty org: the integration user only. Tests seed what they need."""
    return sandbox.fakes["salesforce"]


@pytest.fixture
def instance_url(settings) -> str:
    return f"{settings.SANDBOX_URL}/salesforce/instance"


@pytest.fixture
def token(fake) -> str:
    return fake.oauth.grant_issue(fake.default_grant()).access_token


def client_for(token: str, instance_url: str) -> SalesforceClient:
    base_url = f"{instance_url}/services/data/{API_VERSION}"
    return SalesforceClient(static_http("salesforce", token, base_url=base_url))


@pytest.fixture
def sf(token, instance_url) -> SalesforceClient:
    return client_for(token, instance_url)
