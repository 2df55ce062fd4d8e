from __future__ import annotations

import pytest
import responses
from django.core.cache import cache

from connectors.sandbox.core import Sandbox
from connectors.sandbox.testing import sandbox_mount
from meetings.booking_context import booking_context_clear
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
def _caches_fresh():
    """Rolled-back tests can reuse ids: no test sees what another cached."""
    booking_context_clear()
    cache.clear()


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def http_sandbox(sandbox, http_mock, settings):
    """The same fakes served over real HTTP on a free port, for worker processes.

    Settings in this process point at it too, so what is stored (URLs, tokens) matches what the
    workers see; start them with `SANDBOX_URL=<base>` in their environment.
    """
    import threading

    from connectors.registry import provider_get
    from connectors.sandbox.server import serve

    server = serve(sandbox, port=0)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_address[1]}"
    http_mock.add_passthru(base)
    settings.PROVIDERS = {
        key: {
            name: value.replace(settings.SANDBOX_URL, base) if isinstance(value, str) else value
            for name, value in conf.items()
        }
        for key, conf in settings.PROVIDERS.items()
    }
    settings.SANDBOX_URL = base
    provider_get.cache_clear()
    yield base
    server.shutdown()
    server.server_close()
    provider_get.cache_clear()
