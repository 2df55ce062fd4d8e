"""Zoom webinar → HubSpot, end to end against the sandbox fakes."""

from __future__ import annotations

import pytest

from connectors.models import Connection
from connectors.sandbox.core import Fault
from connectors.services import connection_mark_needs_reauth
from jobs.models import RunProblem
from sync.models import Attendance, ContactExclusion, ContactSyncState, SyncFinding, SyncRun
from sync.webinars.discovery import organization_webinars_refresh
from sync.webinars.models.audit import FindingCategory
from sync.webinars.rollups import PROP_ATTENDED, PROP_AVG_PERCENT, PROP_REGISTRATIONS
from tests.sync.webinars.webinar_world import world_make

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(sandbox, org_a, manager_a):
    return world_make(sandbox, org_a, manager_a)


def test_past_webinar_creates_contacts_properties_and_marketing_event(world):
    run = world.sync(world.webinar())
    assert run.status in (SyncRun.Status.SUCCEEDED, SyncRun.Status.PARTIAL), run.summary
    registered = Attendance.objects.filter(
        webinar__zoom_webinar_id=str(world.demo["past_webinar_id"]),
        registration_status__in=["approved", "pending"],
    )
    assert registered.exists()
    email = registered.first().email
    contact = world.hubspot_contact(email)
    assert contact is not None
    assert contact.properties[PROP_REGISTRATIONS] == "1"
    state = ContactSyncState.objects.get(email=email)
    assert state.outcome == "synced" and state.hubspot_contact_id == contact.id
    attended = Attendance.objects.filter(webinar=run.webinar, minutes_attended__gt=0).first()
    assert attended is not None
    attendee = world.hubspot_contact(attended.email)
    assert attendee.properties[PROP_ATTENDED] == "1"
    assert float(attendee.properties[PROP_AVG_PERCENT]) > 0
    assert run.contacts_created > 0 and run.registrants > 0 and run.attendees > 0
    assert (str(world.demo["past_webinar_id"])) in {e[1] for e in world.hubspot.marketing_events}


def test_rerun_with_nothing_changed_writes_nothing(world):
    webinar = world.webinar()
    world.sync(webinar)
    mark = len(world.hubspot.request_log)
    again = world.sync(webinar)
    assert again.contacts_created == 0 and again.contacts_updated == 0
    assert world.hubspot_writes(mark) == []


def _property_checks(world, since: int) -> int:
    return sum("/crm/v3/properties/" in path for _, path in world.hubspot.request_log[since:])


def test_our_properties_are_checked_once_for_many_runs_and_again_after_a_refusal(world):
    webinar = world.webinar()
    world.sync(webinar)
    mark = len(world.hubspot.request_log)
    world.sync(webinar)
    assert _property_checks(world, mark) == 0
    # One of our properties is deleted in HubSpot: the next contact write is refused...
    del world.hubspot.properties["contacts"][PROP_ATTENDED]
    ContactSyncState.objects.update(properties_hash="")  # so that contacts are written again
    refused = world.sync(webinar)
    assert refused.status == SyncRun.Status.FAILED
    # ...and the run after it checks the properties again, recreates ours and succeeds.
    mark = len(world.hubspot.request_log)
    again = world.sync(webinar)
    assert _property_checks(world, mark) >= 5  # the group and our four properties
    assert PROP_ATTENDED in world.hubspot.properties["contacts"]
    assert again.status == SyncRun.Status.SUCCEEDED


def test_sync_off_records_a_skipped_run(sandbox, org_a, manager_a):
    world = world_make(sandbox, org_a, manager_a, enabled=False)
    run = world.sync(world.webinar())
    assert run.status == SyncRun.Status.SUCCEEDED
    assert run.summary.startswith("Skipped: Sync disabled for the organisation")
    assert SyncFinding.objects.get(run=run).category == FindingCategory.SYNC_DISABLED_GLOBAL
    assert world.hubspot_writes() == []


def test_webinar_toggle_off_skips(world):
    webinar = world.webinar()
    webinar.sync_enabled = False
    webinar.save()
    run = world.sync(webinar)
    assert (run.status, run.summary) == (
        SyncRun.Status.SUCCEEDED,
        "Skipped: Sync disabled for the webinar",
    )
    assert run.findings.get().category == FindingCategory.SYNC_DISABLED_WEBINAR


def test_zoom_events_webinars_are_skipped_with_a_reason(world):
    run = world.sync(world.webinar("zoom_events_webinar_id"))
    assert run.status == SyncRun.Status.SUCCEEDED and run.summary.startswith("Skipped")
    assert run.findings.get().category == FindingCategory.WEBINAR_UNSUPPORTED


def test_excluded_domain_and_email_are_never_created(world):
    webinar = world.webinar()
    world.sync(webinar)  # fill the ledger, then exclude two people and start over in HubSpot
    emails = sorted(
        Attendance.objects.filter(webinar=webinar).values_list("email", flat=True).distinct()
    )
    excluded_email, excluded_domain_email = emails[0], emails[1]
    ContactExclusion.objects.create(
        organization=world.organization, kind="email", value=excluded_email
    )
    domain = excluded_domain_email.split("@")[1]
    ContactExclusion.objects.create(organization=world.organization, kind="domain", value=domain)
    for email in (excluded_email, excluded_domain_email):
        contact = world.hubspot_contact(email)
        if contact:
            world.hubspot.objects["contacts"].pop(contact.id)
    ContactSyncState.objects.all().delete()
    run = world.sync(webinar)
    assert world.hubspot_contact(excluded_email) is None
    assert world.hubspot_contact(excluded_domain_email) is None
    reasons = dict(ContactSyncState.objects.values_list("email", "reason"))
    assert reasons[excluded_email] == FindingCategory.EXCLUDED_EMAIL
    assert reasons[excluded_domain_email] == FindingCategory.EXCLUDED_DOMAIN
    finding = run.findings.get(category=FindingCategory.EXCLUDED_EMAIL)
    assert excluded_email in finding.emails


def test_hubspot_users_are_never_contacts(world):
    webinar = world.webinar()
    world.sync(webinar)
    registrant = Attendance.objects.filter(webinar=webinar).order_by("email").first()
    world.hubspot.user_add(email=registrant.email, first="In", last="House")
    contact = world.hubspot_contact(registrant.email)
    world.hubspot.objects["contacts"].pop(contact.id)
    ContactSyncState.objects.all().delete()
    world.sync(webinar)
    assert world.hubspot_contact(registrant.email) is None
    state = ContactSyncState.objects.get(email=registrant.email)
    assert state.reason == FindingCategory.EXCLUDED_HUBSPOT_USER


def test_secondary_email_and_deleted_contact_are_not_created(world):
    webinar = world.webinar()
    world.sync(webinar)
    first, second = Attendance.objects.filter(webinar=webinar).order_by("email")[:2]
    # `first` turns out to be somebody's secondary email; `second` was deleted in HubSpot.
    contact = world.hubspot_contact(first.email)
    world.hubspot.objects["contacts"].pop(contact.id)
    owner = world.hubspot.record_create(
        "contacts", {"email": "primary@else.example", "hs_additional_emails": first.email}
    )
    world.hubspot.record_archive("contacts", world.hubspot_contact(second.email).id)
    ContactSyncState.objects.filter(email=first.email).delete()
    world.sync(webinar)
    assert world.hubspot_contact(first.email) is None
    assert world.hubspot_contact(second.email) is None
    assert ContactSyncState.objects.get(email=first.email).reason == FindingCategory.SECONDARY_EMAIL
    assert owner.id in ContactSyncState.objects.get(email=first.email).detail
    assert (
        ContactSyncState.objects.get(email=second.email).reason == FindingCategory.CONTACT_DELETED
    )


def test_needs_reauth_pauses_with_a_visible_reason(world):
    connection_mark_needs_reauth(
        Connection.objects.get(provider="hubspot"), "Grant refused. Reconnect."
    )
    run = world.sync(world.webinar())
    assert run.status == SyncRun.Status.PAUSED
    assert (run.problem, run.problem_provider) == (RunProblem.NEEDS_RECONNECTING, "hubspot")
    assert run.problem_message.startswith("HubSpot needs reconnecting: Grant refused.")
    assert world.hubspot_writes() == []


def test_transient_errors_reschedule_the_run(world):
    world.zoom.fault_add(Fault(status=503, path="/v2/webinars/", times=100))
    run = world.sync(world.webinar())
    assert run.status == SyncRun.Status.QUEUED
    assert (run.problem, run.problem_provider) == (RunProblem.VENDOR_UNAVAILABLE, "zoom")
    assert run.not_before is not None and "Zoom temporarily unavailable" in run.summary


def test_a_run_killed_halfway_converges_when_run_again(world, monkeypatch):
    webinar = world.webinar()

    def crash(**kwargs):
        raise KeyboardInterrupt("worker killed")

    monkeypatch.setattr("sync.webinars.execution.marketing_event_sync", crash)
    with pytest.raises(KeyboardInterrupt):
        world.sync(webinar)
    monkeypatch.undo()
    run = SyncRun.objects.get()
    assert run.status == SyncRun.Status.RUNNING
    SyncRun.objects.filter(pk=run.pk).update(started_at=run.started_at.replace(year=2000))
    from sync.webinars.execution import webinar_sync_execute

    webinar_sync_execute(run.pk)
    run.refresh_from_db()
    assert run.status in (SyncRun.Status.SUCCEEDED, SyncRun.Status.PARTIAL)
    emails = [
        r.value("email") for r in world.hubspot.objects["contacts"].values() if not r.archived
    ]
    assert len(emails) == len(set(emails))
    assert run.attempts == 2


def test_discovery_mirrors_users_and_requests_runs(world):
    result = organization_webinars_refresh(organization=world.organization)
    assert "webinar runs requested" in result
    assert SyncRun.objects.filter(status=SyncRun.Status.QUEUED).exists()


def test_discovery_calls_carry_the_organisation(world):
    from connectors.models import ApiCall

    before = ApiCall.objects.count()
    organization_webinars_refresh(organization=world.organization)
    calls = list(ApiCall.objects.order_by("pk"))[before:]
    assert calls and {call.provider for call in calls} == {"zoom"}
    assert {call.context for call in calls} == {f"webinar-discovery:{world.organization.pk}"}


def test_discovery_without_zoom_says_why(org_a):
    result = organization_webinars_refresh(organization=org_a)
    assert result == "Zoom is not connected: connect it under Connections."
