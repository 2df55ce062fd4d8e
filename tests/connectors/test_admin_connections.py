from __future__ import annotations

import pytest
from django.urls import reverse

from accounts.models import Role
from connectors.demo import sandbox_connect
from connectors.models import ConnectionStatus
from tests.factories import user_make

pytestmark = pytest.mark.django_db


@pytest.fixture
def zoom(sandbox, org_a, manager_a):
    return sandbox_connect(organization=org_a, user=manager_a, provider_key="zoom")


def _change_url(connection):
    return reverse("admin:connectors_connection_change", args=[connection.pk])


def test_change_page_offers_reconnect_test_and_disconnect(client, zoom, manager_a):
    client.force_login(manager_a)
    page = client.get(_change_url(zoom)).content.decode()
    assert "Reconnect" in page and ">Test<" in page and ">Disconnect<" in page
    assert zoom.access_token not in page and zoom.refresh_token not in page


def test_changelist_offers_connect_links_for_missing_providers(client, zoom, manager_a, org_a):
    client.force_login(manager_a)
    page = client.get(reverse("admin:connectors_connection_changelist")).content.decode()
    assert f"/connections/hubspot/connect/?organization={org_a.pk}" in page
    assert f"/connections/zoom/connect/?organization={org_a.pk}" not in page


def test_test_button_reports_the_identity(client, zoom, manager_a):
    client.force_login(manager_a)
    response = client.post(reverse("admin:connectors_connection_test", args=[zoom.pk]), follow=True)
    assert "Zoom answered as" in response.content.decode()


def test_disconnect_button_revokes_and_keeps_the_row(client, sandbox, zoom, manager_a):
    client.force_login(manager_a)
    token = zoom.access_token
    response = client.post(
        reverse("admin:connectors_connection_disconnect", args=[zoom.pk]), follow=True
    )
    assert "disconnected and revoked" in response.content.decode()
    zoom.refresh_from_db()
    assert zoom.status == ConnectionStatus.DISCONNECTED
    assert token not in sandbox.fakes["zoom"].oauth.by_access


def test_members_see_no_buttons_and_cannot_post(client, zoom, org_a):
    member = user_make(org_a, role=Role.MEMBER)
    client.force_login(member)
    page = client.get(_change_url(zoom)).content.decode()
    assert ">Disconnect<" not in page
    response = client.post(reverse("admin:connectors_connection_disconnect", args=[zoom.pk]))
    assert response.status_code == 403
    zoom.refresh_from_db()
    assert zoom.status == ConnectionStatus.ACTIVE


def test_disconnect_requires_post(client, zoom, manager_a):
    client.force_login(manager_a)
    response = client.get(reverse("admin:connectors_connection_disconnect", args=[zoom.pk]))
    assert response.status_code == 405


def test_shared_zoom_account_is_warned_about(client, sandbox, zoom, org_b, manager_a):
    sandbox_connect(organization=org_b, user=user_make(org_b), provider_key="zoom")
    client.force_login(manager_a)
    page = client.get(_change_url(zoom)).content.decode()
    assert "also connected to 1 other organisation" in page


def test_needs_reauth_is_warned_about_on_the_list(client, zoom, manager_a):
    from connectors.services import connection_mark_needs_reauth

    connection_mark_needs_reauth(zoom, "Grant refused. Reconnect to resume syncing.")
    client.force_login(manager_a)
    page = client.get(reverse("admin:connectors_connection_changelist")).content.decode()
    assert "Grant refused. Reconnect to resume syncing." in page
