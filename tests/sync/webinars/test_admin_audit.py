"""The audit screens: read-only runs with their findings, finding search, contact states."""

from __future__ import annotations

import pytest
from django.urls import reverse

from accounts.models import Role
from sync.models import ContactSyncState, SyncRun
from sync.webinars.models.audit import FindingCategory
from tests.factories import user_make
from tests.sync.factories import (
    contact_state_make,
    finding_make,
    run_make,
    webinar_make,
)
from tests.tenant_rows import TENANT_ROW_BUILDERS

pytestmark = pytest.mark.django_db

FINDINGS = reverse("admin:sync_syncfinding_changelist")
STATES = reverse("admin:sync_contactsyncstate_changelist")


@pytest.fixture
def run(org_a):
    return run_make(
        webinar_make(org_a, topic="Launch day"),
        status=SyncRun.Status.PARTIAL,
        registrants=40,
        attendees=25,
        contacts_created=30,
        contacts_updated=5,
        contacts_skipped=4,
        contacts_failed=1,
        api_calls=9,
        timeline_mode="marketing_event",
    )


def test_run_list_shows_counts_and_filters_by_status(client, org_a, manager_a, run):
    run_make(run.webinar, status=SyncRun.Status.FAILED)
    client.force_login(manager_a)

    response = client.get(reverse("admin:sync_syncrun_changelist"), {"status__exact": "partial"})

    assert [r.pk for r in response.context["cl"].result_list] == [run.pk]
    page = response.content.decode()
    assert "Succeeded with findings" in page
    assert "marketing_event" in page


def test_run_page_shows_findings_with_emails_and_fix_hint(client, manager_a, run):
    finding_make(
        run,
        ["jane@example.com", "joe@example.com"],
        category=FindingCategory.EXCLUDED_DOMAIN,
        message="2 registrants use an excluded domain.",
        fix_hint="Remove example.com from contact exclusions to sync them.",
    )
    client.force_login(manager_a)

    response = client.get(reverse("admin:sync_syncrun_change", args=[run.pk]))

    assert response.status_code == 200
    page = response.content.decode()
    for text in (
        "Excluded: domain",
        "2 registrants use an excluded domain.",
        "Remove example.com from contact exclusions",
        "jane@example.com",
        "joe@example.com",
    ):
        assert text in page
    assert "Save" not in page.replace("Save and", "")  # nothing to save: read-only


def test_audit_is_read_only_for_managers_and_visible_to_members(client, org_a, run):
    member = user_make(org_a, role=Role.MEMBER)
    manager = user_make(org_a, role=Role.MANAGER)
    url = reverse("admin:sync_syncrun_change", args=[run.pk])
    client.force_login(member)
    assert client.get(url).status_code == 200
    client.force_login(manager)
    assert client.post(url, {"status": "succeeded"}).status_code == 403
    assert client.get(reverse("admin:sync_syncrun_add")).status_code == 403
    run.refresh_from_db()
    assert run.status == SyncRun.Status.PARTIAL


@pytest.mark.parametrize(
    ("term", "expected"),
    [
        ("jane@example.com", {"domain"}),
        ("JANE@Example.com", {"domain"}),
        ("example.org", {"invalid"}),
        ("nobody@example.com", set()),
    ],
)
def test_findings_are_searchable_by_email(client, manager_a, run, term, expected):
    finding_make(run, ["jane@example.com", "joe@example.com"], message="domain")
    finding_make(
        run, ["bad@example.org"], category=FindingCategory.INVALID_EMAIL, message="invalid"
    )
    client.force_login(manager_a)

    response = client.get(FINDINGS, {"q": term})

    assert {f.message for f in response.context["cl"].result_list} == expected


def test_finding_search_does_not_reach_other_tenants(client, org_b, manager_a, run):
    finding_make(run_make(webinar_make(org_b)), ["jane@example.com"])
    client.force_login(manager_a)

    response = client.get(FINDINGS, {"q": "jane@example.com"})

    assert list(response.context["cl"].result_list) == []


def test_contact_state_explains_why_an_email_is_not_in_hubspot(client, org_a, manager_a, run):
    finding_make(
        run,
        ["jane@example.com"],
        category=FindingCategory.EXCLUDED_DOMAIN,
        fix_hint="Remove example.com from contact exclusions.",
    )
    state = contact_state_make(
        org_a,
        "jane@example.com",
        outcome=ContactSyncState.Outcome.EXCLUDED,
        reason=FindingCategory.EXCLUDED_DOMAIN,
        detail="example.com is a contact exclusion",
        last_run=run,
    )
    contact_state_make(org_a, "joe@example.com", hubspot_contact_id="501")
    client.force_login(manager_a)

    listing = client.get(STATES, {"q": "Jane@example.com"})

    assert list(listing.context["cl"].result_list) == [state]
    assert "Excluded: domain — example.com is a contact exclusion" in listing.content.decode()

    page = client.get(reverse("admin:sync_contactsyncstate_change", args=[state.pk]))
    content = page.content.decode()
    assert "Remove example.com from contact exclusions." in content
    assert f"{FINDINGS}?q=jane%40example.com" in content


def test_contact_states_filter_by_outcome(client, org_a, manager_a):
    contact_state_make(org_a, "a@example.com", outcome=ContactSyncState.Outcome.SYNCED)
    failed = contact_state_make(
        org_a,
        "b@example.com",
        outcome=ContactSyncState.Outcome.FAILED,
        reason=FindingCategory.ERROR_HUBSPOT,
    )
    client.force_login(manager_a)

    response = client.get(STATES, {"outcome__exact": "failed"})

    assert list(response.context["cl"].result_list) == [failed]


def test_every_sync_screen_renders_for_the_operator(client, org_a):
    """Superusers see every tenant: each list and page renders for them too."""
    client.force_login(user_make(None, superuser=True))
    for model, builder in TENANT_ROW_BUILDERS.items():
        if model._meta.app_label != "sync":
            continue
        row = builder(org_a)
        name = f"admin:sync_{model._meta.model_name}"
        assert client.get(reverse(f"{name}_changelist")).status_code == 200, model
        assert client.get(reverse(f"{name}_change", args=[row.pk])).status_code == 200, model
