"""The OAuth callback rejects anything but its own, fresh, unused state, and stores nothing."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest
import requests

from connectors.models import Connection, ConnectionEvent, ConnectionStatus
from tests.factories import user_make

pytestmark = pytest.mark.django_db


def _start(client, org, key="hubspot"):
    response = client.get(f"/connections/{key}/connect/?organization={org.pk}")
    assert response.status_code == 302
    return response["Location"]


def _approve(authorize_url: str, decision: str = "approve") -> dict:
    params = {k: v[0] for k, v in parse_qs(urlsplit(authorize_url).query).items()}
    response = requests.post(
        authorize_url.split("?")[0],
        data={**params, "decision": decision},
        allow_redirects=False,
        timeout=5,
    )
    assert response.status_code == 302
    return {k: v[0] for k, v in parse_qs(urlsplit(response.headers["Location"]).query).items()}


def _callback(client, params, key="hubspot"):
    return client.get(f"/connections/{key}/callback/", params)


def test_full_flow_through_the_views(client, sandbox, org_a, manager_a):
    client.force_login(manager_a)
    params = _approve(_start(client, org_a))
    response = _callback(client, params)
    connection = Connection.objects.get(organization=org_a, provider="hubspot")
    assert response.status_code == 302
    assert response["Location"].endswith(f"/connection/{connection.pk}/change/")
    assert connection.status == ConnectionStatus.ACTIVE


def test_replayed_state_is_rejected(client, sandbox, org_a, manager_a):
    client.force_login(manager_a)
    params = _approve(_start(client, org_a))
    assert _callback(client, params).status_code == 302
    Connection.objects.all().delete()
    replay = _callback(client, params)
    assert replay.status_code == 400
    assert not Connection.objects.exists()


@pytest.mark.parametrize("tamper", ["missing", "mismatched"])
def test_missing_or_mismatched_state_is_rejected_and_nothing_stored(
    client, sandbox, org_a, manager_a, tamper
):
    client.force_login(manager_a)
    params = _approve(_start(client, org_a))
    if tamper == "missing":
        params.pop("state")
    else:
        params["state"] = params["state"][:-2] + "xx"
    response = _callback(client, params)
    assert response.status_code == 400
    assert not Connection.objects.filter(status=ConnectionStatus.ACTIVE).exists()


def test_state_of_another_provider_is_rejected(client, sandbox, org_a, manager_a):
    client.force_login(manager_a)
    params = _approve(_start(client, org_a, key="zoom"))
    assert _callback(client, params, key="hubspot").status_code == 400


def test_state_from_another_session_is_rejected(client, sandbox, org_a, manager_a):
    client.force_login(manager_a)
    params = _approve(_start(client, org_a))
    other = user_make(org_a)
    client.force_login(other)  # a new session: the state is not in it
    assert _callback(client, params).status_code == 400


def test_tampered_pkce_verifier_fails_the_exchange(client, sandbox, org_a, manager_a):
    client.force_login(manager_a)
    params = _approve(_start(client, org_a))
    session = client.session
    flows = session["connector_oauth_flows"]
    flows[params["state"]]["verifier"] = "x" * 64
    session["connector_oauth_flows"] = flows
    session.save()
    response = _callback(client, params)
    assert response.status_code == 400
    assert not Connection.objects.filter(status=ConnectionStatus.ACTIVE).exists()
    assert ConnectionEvent.objects.filter(kind=ConnectionEvent.Kind.CONNECT_FAILED).exists()


def test_access_denied_is_a_cancel(client, sandbox, org_a, manager_a):
    client.force_login(manager_a)
    params = _approve(_start(client, org_a), decision="deny")
    assert params["error"] == "access_denied"
    response = _callback(client, params)
    assert response.status_code == 302
    assert not Connection.objects.filter(status=ConnectionStatus.ACTIVE).exists()
    assert ConnectionEvent.objects.filter(kind=ConnectionEvent.Kind.CANCELLED).exists()


def test_members_cannot_connect(client, sandbox, org_a):
    from accounts.models import Role

    member = user_make(org_a, role=Role.MEMBER)
    client.force_login(member)
    response = client.get(f"/connections/hubspot/connect/?organization={org_a.pk}")
    assert response.status_code == 403


def test_managers_cannot_connect_another_organisation(client, sandbox, org_a, org_b, manager_a):
    client.force_login(manager_a)
    assert client.get(f"/connections/zoom/connect/?organization={org_b.pk}").status_code == 403


def test_unknown_provider_is_404(client, manager_a, org_a):
    client.force_login(manager_a)
    assert client.get(f"/connections/nope/connect/?organization={org_a.pk}").status_code == 404


def test_missing_scopes_mark_the_connection_needs_reauth(client, sandbox, org_a, manager_a):
    fake = sandbox.fakes["hubspot"]
    granted = fake.default_grant()
    original = fake.default_grant

    def fewer_scopes():
        grant = original()
        grant.scopes = [s for s in grant.scopes if s != "crm.objects.contacts.write"]
        return grant

    fake.default_grant = fewer_scopes
    client.force_login(manager_a)
    _callback(client, _approve(_start(client, org_a)))
    connection = Connection.objects.get(provider="hubspot")
    assert granted.scopes  # sanity: the default grant has scopes
    assert connection.status == ConnectionStatus.NEEDS_REAUTH
    assert "crm.objects.contacts.write" in connection.last_error
