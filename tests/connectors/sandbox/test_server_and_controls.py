"""The sandbox over real HTTP: routing by vendor, and the /_sandbox/ control API."""

from __future__ import annotations

import threading

import pytest
import requests
from django.core.management import CommandError

from connectors.management.commands.sandbox import _parse_sizes
from connectors.sandbox.core import Sandbox
from connectors.sandbox.server import serve


@pytest.fixture
def served(http_mock):
    sandbox = Sandbox.from_registry()
    server = serve(sandbox, port=0)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_address[1]}"
    http_mock.add_passthru(base)
    yield sandbox, base
    server.shutdown()
    server.server_close()


def _zoom_token(sandbox) -> dict:
    fake = sandbox.fakes["zoom"]
    return {"Authorization": f"Bearer {fake.oauth.grant_issue(fake.default_grant()).access_token}"}


def test_vendor_routes_and_unknown_vendors(served):
    sandbox, base = served
    me = requests.get(f"{base}/zoom/v2/users/me", headers=_zoom_token(sandbox), timeout=5)
    assert me.status_code == 200 and me.json()["account_id"]
    assert requests.get(f"{base}/nope/x", timeout=5).status_code == 404
    unauthenticated = requests.get(f"{base}/zoom/v2/users/me", timeout=5)
    assert unauthenticated.status_code == 401 and unauthenticated.json()["code"] == 124


def test_injected_fault_answers_the_next_matching_requests(served):
    sandbox, base = served
    headers = _zoom_token(sandbox)
    response = requests.post(
        f"{base}/_sandbox/faults",
        json={"vendor": "zoom", "status": 503, "path": "/v2/users/me", "times": 1},
        timeout=5,
    )
    assert response.json() == {"ok": True}
    assert requests.get(f"{base}/zoom/v2/users/me", headers=headers, timeout=5).status_code == 503
    assert requests.get(f"{base}/zoom/v2/users/me", headers=headers, timeout=5).status_code == 200


def test_configured_rate_limit_answers_429_in_the_vendor_shape(served):
    sandbox, base = served
    headers = _zoom_token(sandbox)
    requests.post(
        f"{base}/_sandbox/rate-limits",
        json={"vendor": "zoom", "name": "light", "limit": 2, "window": 60, "path": "^/v2/"},
        timeout=5,
    )
    statuses = [
        requests.get(f"{base}/zoom/v2/users/me", headers=headers, timeout=5) for _ in range(3)
    ]
    assert [r.status_code for r in statuses] == [200, 200, 429]
    assert statuses[2].headers["X-RateLimit-Category"]
    assert float(statuses[2].headers["Retry-After"]) > 0
    requests.post(f"{base}/_sandbox/clear-controls", json={}, timeout=5)
    assert requests.get(f"{base}/zoom/v2/users/me", headers=headers, timeout=5).status_code == 200


def test_seed_state_and_reset(served):
    _, base = served
    seeded = requests.post(
        f"{base}/_sandbox/seed", json={"vendor": "hubspot", "contacts": 12}, timeout=30
    ).json()
    assert seeded["hubspot"]["contacts"] >= 10
    state = requests.get(f"{base}/_sandbox/state", timeout=5).json()
    assert set(state) == {"zoom", "hubspot", "salesforce"}
    requests.post(f"{base}/_sandbox/reset", json={"vendor": "hubspot"}, timeout=5)
    after = requests.get(f"{base}/_sandbox/state", timeout=5).json()
    assert after["hubspot"]["summary"] != state["hubspot"]["summary"]
    assert "Meetbridge sandbox" in requests.get(f"{base}/_sandbox/", timeout=5).text


def test_control_api_rejects_bad_input(served):
    _, base = served
    assert requests.post(f"{base}/_sandbox/seed", data=b"[", timeout=5).status_code == 400
    assert (
        requests.post(f"{base}/_sandbox/reset", json={"vendor": "nope"}, timeout=5).status_code
        == 400
    )
    assert requests.post(f"{base}/_sandbox/what", json={}, timeout=5).status_code == 404


def test_size_arguments_are_parsed_and_validated():
    vendors = {"zoom", "hubspot"}
    assert _parse_sizes(["zoom:users=3", "hubspot:contacts=50"], vendors=vendors) == {
        "zoom": {"users": 3},
        "hubspot": {"contacts": 50},
    }
    with pytest.raises(CommandError):
        _parse_sizes(["salesforce:users=3"], vendors=vendors)
    with pytest.raises(CommandError):
        _parse_sizes(["zoom:users=many"], vendors=vendors)
