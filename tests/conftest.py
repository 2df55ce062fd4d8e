from __future__ import annotations

import pytest
import responses

from connectors.sandbox.core import Sandbox
from connectors.sandbox.testing import sandbox_mount
from tests.factories import organization_make, user_make


@pytest.fixture(autouse=True)
def http_mock():
    """No test reaches the network: any request not routed to a fake raises ConnectionError."""
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        yield mock


@pytest.fixture
def sandbox(http_mock, settings) -> Sandbox:
    """Fresh fakes of every vendor, answering at settings.SANDBOX_URL through `responses`."""
    fakes = Sandbox.from_registry()
    sandbox_mount(http_mock, fakes, settings.SANDBOX_URL)
    return fakes


@pytest.fixture
def org_a(db):
    return organization_make("Alpha")


@pytest.fixture
def org_b(db):
    return organization_make("Beta")


@pytest.fixture
def manager_a(org_a):
    return user_make(org_a)


@pytest.fixture
def is_postgres():
    from django.db import connection

    return connection.vendor == "postgresql"


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
