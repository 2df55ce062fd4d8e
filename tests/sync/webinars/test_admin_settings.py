"""Settings screens: organisation switch, Zoom users with their webinars, exclusions."""

from __future__ import annotations

import pytest
from django.urls import reverse

from accounts.models import Membership, Role
from sync.models import ContactExclusion, RecordingExclusion, Webinar, WebinarSyncSettings
from tests.factories import organization_make, user_make
from tests.sync.factories import (
    contact_exclusion_make,
    sync_settings_make,
    webinar_make,
    zoom_user_make,
)

pytestmark = pytest.mark.django_db

SETTINGS_LIST = reverse("admin:sync_webinarsyncsettings_changelist")
SETTINGS_ADD = reverse("admin:sync_webinarsyncsettings_add")


def _settings_url(row):
    return reverse("admin:sync_webinarsyncsettings_change", args=[row.pk])


# --- Webinar sync settings ------------------------------------------------------------------


def test_settings_list_offers_to_set_up_an_organisation_without_settings(client, org_a, org_b):
    other = organization_make("Gamma")
    manager = user_make(org_a)
    for org in (org_b, other):
        Membership.objects.create(user=manager, organization=org, role=Role.MANAGER)
    sync_settings_make(org_b, sync_enabled=True)
    client.force_login(manager)

    response = client.get(SETTINGS_LIST)

    assert [row.organization for row in response.context["cl"].result_list] == [org_b]
    labels = [link["label"] for link in response.context["create_links"]]
    assert labels == ["Set up webinar sync for Alpha", "Set up webinar sync for Gamma"]
    assert f"{SETTINGS_ADD}?organization={org_a.pk}" in response.content.decode()
    assert "nothing of it is synced" in response.content.decode()


def test_settings_add_form_offers_only_editable_organisations_without_settings(
    client, org_a, org_b
):
    manager = user_make(org_a)
    done = organization_make("Done")
    Membership.objects.create(user=manager, organization=done, role=Role.MANAGER)
    Membership.objects.create(user=manager, organization=org_b, role=Role.MEMBER)
    sync_settings_make(done)
    client.force_login(manager)

    response = client.get(SETTINGS_ADD)

    offered = list(response.context["adminform"].form.fields["organization"].queryset)
    assert offered == [org_a]
    assert response.context["adminform"].form.initial["organization"] == org_a.pk


def test_settings_add_creates_one_row_and_shows_the_switch_off_note(client, org_a, manager_a):
    client.force_login(manager_a)
    page = client.get(SETTINGS_ADD).content.decode()
    assert "nothing is synced to HubSpot" in page
    assert "audit log says that sync is disabled" in page

    response = client.post(
        SETTINGS_ADD,
        {"organization": org_a.pk, "sync_enabled": "on", "recordings_mode": "selected"},
    )

    assert response.status_code == 302
    row = WebinarSyncSettings.objects.get(organization=org_a)
    assert row.sync_enabled and row.recordings_mode == "selected"
    # Every organisation has its row now: nothing left to add.
    assert client.get(SETTINGS_ADD).status_code == 403


def test_settings_second_row_for_an_organisation_is_refused(client, org_a, manager_a):
    other = organization_make("Other")
    Membership.objects.create(user=manager_a, organization=other, role=Role.MANAGER)
    sync_settings_make(org_a)
    client.force_login(manager_a)

    response = client.post(SETTINGS_ADD, {"organization": org_a.pk, "recordings_mode": "all"})

    assert response.status_code == 200
    assert "organization" in response.context["adminform"].form.errors
    assert WebinarSyncSettings.objects.filter(organization=org_a).count() == 1


def test_settings_manager_switches_sync_on(client, org_a, manager_a):
    row = sync_settings_make(org_a)
    client.force_login(manager_a)

    response = client.post(_settings_url(row), {"sync_enabled": "on", "recordings_mode": "all"})

    assert response.status_code == 302
    row.refresh_from_db()
    assert row.sync_enabled and row.recordings_mode == "all"
    assert row.organization == org_a


def test_settings_member_views_but_cannot_switch(client, org_a):
    row = sync_settings_make(org_a)
    client.force_login(user_make(org_a, role=Role.MEMBER))

    assert client.get(SETTINGS_LIST).status_code == 200
    assert client.get(_settings_url(row)).status_code == 200
    response = client.post(_settings_url(row), {"sync_enabled": "on", "recordings_mode": "all"})

    assert response.status_code == 403
    row.refresh_from_db()
    assert not row.sync_enabled
    assert client.get(SETTINGS_ADD).status_code == 403


# --- Zoom users -----------------------------------------------------------------------------


def test_zoom_user_list_shows_webinar_count_and_has_no_add(client, org_a, manager_a):
    host = zoom_user_make(org_a, email="ann@example.com")
    webinar_make(org_a, host=host)
    webinar_make(org_a, host=host)
    client.force_login(manager_a)

    response = client.get(reverse("admin:sync_zoomuser_changelist"))

    [row] = response.context["cl"].result_list
    assert row.webinar_total == 2
    assert not response.context["has_add_permission"]
    assert client.get(reverse("admin:sync_zoomuser_add")).status_code == 403


def test_zoom_user_toggles_are_editable_in_the_list(client, org_a, manager_a):
    host = zoom_user_make(org_a, sync_new_webinars=True, sync_recordings=False)
    client.force_login(manager_a)

    response = client.post(
        reverse("admin:sync_zoomuser_changelist"),
        {
            "form-TOTAL_FORMS": "1",
            "form-INITIAL_FORMS": "1",
            "form-0-id": host.pk,
            "form-0-sync_recordings": "on",
            "_save": "Save",
        },
    )

    assert response.status_code == 302
    host.refresh_from_db()
    assert host.sync_recordings and not host.sync_new_webinars


def _zoom_user_post(host, webinars, *, recordings: bool, synced: set[int]):
    data = {
        "sync_new_webinars": "on",
        "webinars-TOTAL_FORMS": str(len(webinars)),
        "webinars-INITIAL_FORMS": str(len(webinars)),
        "webinars-MIN_NUM_FORMS": "0",
        "webinars-MAX_NUM_FORMS": "1000",
    }
    if recordings:
        data["sync_recordings"] = "on"
    for i, webinar in enumerate(webinars):
        data[f"webinars-{i}-id"] = webinar.pk
        data[f"webinars-{i}-host"] = host.pk
        if webinar.pk in synced:
            data[f"webinars-{i}-sync_enabled"] = "on"
    return data


def test_zoom_user_page_toggles_each_webinar(client, org_a, manager_a):
    host = zoom_user_make(org_a)
    keep = webinar_make(org_a, host=host, topic="Keep", sync_enabled=True)
    stop = webinar_make(org_a, host=host, topic="Stop", sync_enabled=True)
    url = reverse("admin:sync_zoomuser_change", args=[host.pk])
    client.force_login(manager_a)
    webinars = [
        form.instance for form in client.get(url).context["inline_admin_formsets"][0].formset
    ]
    assert set(webinars) == {keep, stop}

    response = client.post(url, _zoom_user_post(host, webinars, recordings=True, synced={keep.pk}))

    assert response.status_code == 302, response.context and response.context["errors"]
    keep.refresh_from_db()
    stop.refresh_from_db()
    host.refresh_from_db()
    assert keep.sync_enabled and not stop.sync_enabled
    assert host.sync_recordings
    assert stop.topic == "Stop"  # Zoom's data is read-only here


def test_zoom_user_member_cannot_toggle(client, org_a):
    host = zoom_user_make(org_a)
    webinar = webinar_make(org_a, host=host, sync_enabled=True)
    client.force_login(user_make(org_a, role=Role.MEMBER))
    url = reverse("admin:sync_zoomuser_change", args=[host.pk])
    assert client.get(url).status_code == 200

    response = client.post(url, _zoom_user_post(host, [webinar], recordings=True, synced=set()))

    assert response.status_code == 403
    webinar.refresh_from_db()
    assert webinar.sync_enabled
    assert not Webinar.objects.filter(sync_enabled=False).exists()


# --- Exclusions -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "typed", "stored"),
    [
        ("domain", "@Example.COM", "example.com"),
        ("domain", "  Sub.Example.org ", "sub.example.org"),
        ("email", " Jane@Example.com ", "jane@example.com"),
    ],
)
def test_contact_exclusion_is_normalised(client, org_a, manager_a, kind, typed, stored):
    client.force_login(manager_a)

    response = client.post(
        reverse("admin:sync_contactexclusion_add"),
        {"organization": org_a.pk, "kind": kind, "value": typed},
    )

    assert response.status_code == 302
    assert ContactExclusion.objects.get(organization=org_a).value == stored


@pytest.mark.parametrize(
    ("kind", "typed", "error"),
    [
        ("email", "jane@", "is not a valid email address"),
        ("email", "jane at example.com", "is not a valid email address"),
        ("domain", "example", "is not a domain name such as example.com"),
        ("domain", "exa mple.com", "is not a domain name such as example.com"),
    ],
)
def test_malformed_contact_exclusion_is_a_form_error(client, org_a, manager_a, kind, typed, error):
    client.force_login(manager_a)

    response = client.post(
        reverse("admin:sync_contactexclusion_add"),
        {"organization": org_a.pk, "kind": kind, "value": typed},
    )

    assert response.status_code == 200
    errors = response.context["adminform"].form.errors
    assert error in " ".join(errors["value"])
    assert not ContactExclusion.objects.exists()


def test_contact_exclusion_duplicate_after_normalising_is_a_form_error(client, org_a, manager_a):
    contact_exclusion_make(org_a, kind="domain", value="example.com")
    client.force_login(manager_a)

    response = client.post(
        reverse("admin:sync_contactexclusion_add"),
        {"organization": org_a.pk, "kind": "domain", "value": "@EXAMPLE.com"},
    )

    assert response.status_code == 200
    assert response.context["adminform"].form.errors
    assert ContactExclusion.objects.count() == 1


def test_recording_exclusion_is_validated_and_normalised(client, org_a, manager_a):
    client.force_login(manager_a)
    url = reverse("admin:sync_recordingexclusion_add")

    bad = client.post(url, {"organization": org_a.pk, "domain": "not a domain"})
    assert bad.status_code == 200
    assert "is not a domain name" in " ".join(bad.context["adminform"].form.errors["domain"])
    assert not RecordingExclusion.objects.exists()

    good = client.post(url, {"organization": org_a.pk, "domain": "@Partner.EXAMPLE.com"})
    assert good.status_code == 302
    assert RecordingExclusion.objects.get().domain == "partner.example.com"


def test_member_cannot_add_an_exclusion(client, org_a):
    client.force_login(user_make(org_a, role=Role.MEMBER))

    response = client.post(
        reverse("admin:sync_contactexclusion_add"),
        {"organization": org_a.pk, "kind": "domain", "value": "example.com"},
    )

    assert response.status_code == 403
    assert not ContactExclusion.objects.exists()
