"""The one lookup of an organisation's active connection, and why not; clients label their calls."""

from __future__ import annotations

import pytest

from connectors.demo import sandbox_connect
from connectors.errors import (
    ConnectionUnavailableError,
    ConnectorError,
    PermanentError,
    ReauthRequiredError,
    TransientError,
)
from connectors.installations import (
    connected_organization_ids,
    connected_providers,
    installation_for,
    installation_get,
    installations_for_account,
)
from connectors.models import ApiCall, Connection, ConnectionStatus
from connectors.registry import UnknownProviderError

pytestmark = pytest.mark.django_db


def _unavailable(org, provider="hubspot") -> ConnectionUnavailableError:
    with pytest.raises(ConnectionUnavailableError) as caught:
        installation_get(organization_id=org.pk, provider=provider)
    return caught.value


def test_no_connection_row_is_not_connected(org_a):
    error = _unavailable(org_a)
    assert (error.reason, error.provider, error.code) == (
        "not_connected",
        "hubspot",
        "not_connected",
    )
    assert error.message == "HubSpot is not connected: connect it under Connections."
    assert str(error) == error.message


def test_a_disconnected_connection_says_connect_it_again(org_a):
    Connection.objects.create(organization=org_a, provider="zoom")
    error = _unavailable(org_a, "zoom")
    assert error.reason == "disconnected"
    assert error.message == "Zoom is disconnected: connect it again under Connections."


def test_a_connection_needing_reauth_names_its_last_error(org_a):
    Connection.objects.create(
        organization=org_a,
        provider="hubspot",
        status=ConnectionStatus.NEEDS_REAUTH,
        last_error="The HubSpot grant was refused when refreshing. Reconnect to resume syncing.",
    )
    error = _unavailable(org_a)
    assert error.reason == "needs_reauth"
    assert error.message == (
        "HubSpot needs reconnecting: The HubSpot grant was refused when refreshing. Reconnect "
        "to resume syncing. Reconnect it under Connections."
    )


def test_a_connection_in_error_names_its_last_error(org_a):
    Connection.objects.create(
        organization=org_a, provider="salesforce", status=ConnectionStatus.ERROR, last_error="boom"
    )
    error = _unavailable(org_a, "salesforce")
    assert error.reason == "error"
    assert error.message == "Salesforce connection failed: boom. Reconnect it under Connections."


def test_unavailable_is_neither_a_vendor_refusal_nor_transient(org_a):
    error = _unavailable(org_a)
    assert isinstance(error, ConnectorError)
    assert not isinstance(error, (PermanentError, TransientError, ReauthRequiredError))


def test_another_organisations_connection_does_not_count(sandbox, org_a, org_b, manager_a):
    sandbox_connect(organization=org_a, user=manager_a, provider_key="hubspot")
    assert _unavailable(org_b).reason == "not_connected"


def test_an_unknown_provider_is_a_programming_error(org_a):
    with pytest.raises(UnknownProviderError):
        installation_get(organization_id=org_a.pk, provider="myspace")


def test_an_active_connection_gives_a_client_whose_calls_carry_the_context(
    sandbox, org_a, manager_a
):
    connection = sandbox_connect(organization=org_a, user=manager_a, provider_key="zoom")
    installation = installation_get(organization_id=org_a.pk, provider="zoom")
    assert installation.connection == connection
    assert installation.provider.key == "zoom"
    assert installation.organization_id == org_a.pk
    assert installation.external_account_id == connection.external_account_id
    list(installation.client(context="test:42").users_list())
    calls = ApiCall.objects.filter(path_template="/users")
    assert calls.exists()
    assert set(calls.values_list("context", flat=True)) == {"test:42"}


def test_a_client_needs_a_context(sandbox, org_a, manager_a):
    sandbox_connect(organization=org_a, user=manager_a, provider_key="zoom")
    installation = installation_get(organization_id=org_a.pk, provider="zoom")
    with pytest.raises(ValueError, match="context"):
        installation.client(context="")


def test_installation_for_wraps_a_row_whatever_its_status(org_a):
    connection = Connection.objects.create(organization=org_a, provider="hubspot")
    installation = installation_for(connection)
    assert (installation.provider.key, installation.is_active) == ("hubspot", False)


def test_selectors_over_active_connections(sandbox, org_a, org_b, manager_a):
    zoom = sandbox_connect(organization=org_a, user=manager_a, provider_key="zoom")
    Connection.objects.create(organization=org_b, provider="zoom")
    assert connected_providers(organization_id=org_a.pk) == {"zoom"}
    assert connected_organization_ids(provider="zoom") == [org_a.pk]
    found = installations_for_account(provider="zoom", external_account_id=zoom.external_account_id)
    assert [i.connection for i in found] == [zoom]


def _contexts(before: int) -> set[tuple[str, str]]:
    return {(c.provider, c.context) for c in list(ApiCall.objects.order_by("pk"))[before:]}


def test_connect_test_refresh_and_revoke_calls_say_what_made_them(sandbox, org_a, manager_a):
    from connectors.services import connection_disconnect, connection_test

    connection = sandbox_connect(organization=org_a, user=manager_a, provider_key="hubspot")
    assert _contexts(0) == {("hubspot", "connect:hubspot")}
    before = ApiCall.objects.count()
    assert connection_test(connection=connection).ok
    assert _contexts(before) == {("hubspot", f"connection-test:{connection.pk}")}

    before = ApiCall.objects.count()
    sandbox.fakes["hubspot"].oauth.expire_access_tokens()
    installation = installation_get(organization_id=org_a.pk, provider="hubspot")
    installation.client(context="test:refresh").owners()
    # The 401 made a refresh: the token call is labelled like the call that needed it.
    assert _contexts(before) == {("hubspot", "test:refresh")}
    assert ApiCall.objects.filter(context="test:refresh", path_template="/oauth/token").exists()

    before = ApiCall.objects.count()
    connection_disconnect(connection=connection, user=manager_a)
    [(provider, context)] = _contexts(before)
    assert provider == "hubspot" and context.startswith("revocation:")
