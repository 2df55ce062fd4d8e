"""Recordings, transcripts and timeline events of the webinar sync, against the sandbox fakes."""

from __future__ import annotations

import copy

import pytest
from django.utils import timezone

from connectors.sandbox.core import Fault
from sync.models import (
    Attendance,
    RecordingExclusion,
    SyncRun,
    WebinarSession,
    WebinarSyncSettings,
    ZoomUser,
)
from sync.webinars.models.audit import FindingCategory
from sync.webinars.models.settings import RecordingsMode
from sync.webinars.runs import webinar_ensure
from sync.webinars.timeline import (
    ATTENDANCE,
    RECORDING,
    REGISTRATION,
    TEMPLATE_TOKENS,
    TIMELINE_MODE_MARKETING_EVENT,
    TIMELINE_MODE_TEMPLATES,
    activity_event_id,
)
from tests.sync.webinars.webinar_world import world_make

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(sandbox, org_a, manager_a):
    world = world_make(sandbox, org_a, manager_a)
    WebinarSyncSettings.objects.filter(organization=org_a).update(
        recordings_mode=RecordingsMode.ALL
    )
    return world


def templates_configure(world, settings, kinds=(REGISTRATION, ATTENDANCE, RECORDING)):
    """Give the HubSpot app timeline templates and configure their ids, as an operator would."""
    ids = {
        kind: world.hubspot.timeline_template_add(
            name=f"Zoom webinar {kind}",
            tokens=[{"name": n, "label": n, "type": t} for n, t in TEMPLATE_TOKENS[kind].items()],
        )
        for kind in kinds
    }
    templates_set(settings, ids)
    return ids


def templates_set(settings, ids: dict[str, str]) -> None:
    providers = copy.deepcopy(settings.PROVIDERS)
    providers["hubspot"]["timeline_templates"] = ids
    settings.PROVIDERS = providers


def recording_notes(world) -> list:
    """Our notes (the seeded portal has notes of its own)."""
    return [
        note
        for note in world.hubspot.objects["notes"].values()
        if "Recording of the Zoom webinar" in (note.value("hs_note_body") or "")
    ]


def notes_of(world, contact_id: str) -> list:
    linked = world.hubspot.associations.get(("contacts", str(contact_id), "notes"), {})
    return [note for note in recording_notes(world) if note.id in linked]


def recording_of(world, webinar) -> dict:
    return next(
        r for r in world.zoom.recordings.values() if str(r["id"]) == webinar.zoom_webinar_id
    )


def webinar_of_recording(world, uuid: str):
    recording = world.zoom.recordings[uuid]
    return webinar_ensure(organization=world.organization, zoom_webinar_id=str(recording["id"]))


def attendee_contacts(world, webinar) -> dict[str, str]:
    emails = Attendance.objects.filter(webinar=webinar, first_join_at__isnull=False).values_list(
        "email", flat=True
    )
    return {email: world.hubspot_contact(email).id for email in emails}


def not_synced_message(run) -> str:
    return run.findings.get(category=FindingCategory.RECORDING_NOT_SYNCED).message


# --- recordings ---------------------------------------------------------------------------------
def test_recording_is_attached_as_a_note_once_per_attendee(world):
    webinar = world.webinar()
    run = world.sync(webinar)
    recording = recording_of(world, webinar)
    contacts = attendee_contacts(world, webinar)
    assert contacts
    for contact_id in contacts.values():
        (note,) = notes_of(world, contact_id)
        body = note.value("hs_note_body")
        assert recording["share_url"] in body and webinar.topic in body
        assert recording["recording_play_passcode"] in body and "Transcript" in body
    session = WebinarSession.objects.get(webinar=webinar)
    assert session.recording_state == "available" and session.recording_checked_at
    assert session.transcript_url.startswith("https://")
    assert not run.findings.filter(category=FindingCategory.RECORDING_NOT_SYNCED).exists()
    assert run.timeline_mode == TIMELINE_MODE_MARKETING_EVENT

    mark = len(world.hubspot.request_log)
    world.sync(webinar)
    assert world.hubspot_writes(mark) == []
    assert all(len(notes_of(world, contact_id)) == 1 for contact_id in contacts.values())


def test_recordings_for_nobody_say_the_setting_is_off(world):
    WebinarSyncSettings.objects.update(recordings_mode=RecordingsMode.NOBODY)
    run = world.sync(world.webinar())
    assert "setting off" in not_synced_message(run)
    assert recording_notes(world) == []


def test_recordings_for_selected_users_follow_the_hosts_toggle(world):
    WebinarSyncSettings.objects.update(recordings_mode=RecordingsMode.SELECTED)
    webinar = world.webinar()
    host_id = world.zoom.webinars[int(webinar.zoom_webinar_id)]["host_id"]
    webinar = webinar_ensure(
        organization=world.organization,
        zoom_webinar_id=webinar.zoom_webinar_id,
        host_zoom_user_id=host_id,
    )
    run = world.sync(webinar)
    assert "setting off" in not_synced_message(run)
    assert recording_notes(world) == []
    ZoomUser.objects.filter(zoom_user_id=host_id).update(sync_recordings=True)
    run = world.sync(webinar)
    assert list(run.findings.values_list("category", "message")) == []
    assert recording_notes(world)


def test_a_session_without_attendees_is_explained(world):
    webinar = world.webinar()
    (instance,) = world.zoom.instances[int(webinar.zoom_webinar_id)]
    guests = [row for row in world.zoom.participants[instance["uuid"]] if not row["user_email"]]
    world.zoom.participants[instance["uuid"]] = guests
    run = world.sync(webinar)
    assert "no attendees" in not_synced_message(run)
    assert recording_notes(world) == []


def test_a_deleted_recording_is_explained(world):
    webinar = webinar_of_recording(world, world.demo["trashed_recording_uuid"])
    run = world.sync(webinar)
    assert "unavailable or deleted" in not_synced_message(run)
    assert WebinarSession.objects.get(webinar=webinar).recording_state == "unavailable"
    assert recording_notes(world) == []


def test_a_processing_recording_is_retried_by_one_follow_up_run(world):
    uuid = world.demo["processing_recording_uuid"]
    webinar = webinar_of_recording(world, uuid)
    run = world.sync(webinar)
    assert "still processing" in not_synced_message(run)
    session = WebinarSession.objects.get(webinar=webinar, instance_uuid=uuid)
    assert session.recording_state == "processing" and session.recording_checked_at is None
    follow_ups = SyncRun.objects.filter(webinar=webinar, status=SyncRun.Status.QUEUED)
    assert follow_ups.count() == 1 and follow_ups.get().not_before > run.finished_at
    world.sync(webinar)  # still processing: the waiting follow-up is not doubled
    assert follow_ups.count() == 1
    assert recording_notes(world) == []

    recording = world.zoom.recordings[uuid]
    for file in recording["recording_files"]:
        file["status"] = "completed"
    follow_up = follow_ups.get()
    follow_ups.update(not_before=timezone.now())  # its time has come
    from sync.webinars.execution import webinar_sync_execute

    webinar_sync_execute(follow_up.pk)
    follow_up.refresh_from_db()
    assert follow_up.status in (SyncRun.Status.SUCCEEDED, SyncRun.Status.PARTIAL)
    session.refresh_from_db()
    assert session.recording_state == "available" and session.recording_checked_at
    contacts = attendee_contacts(world, webinar)
    assert contacts
    assert all(len(notes_of(world, contact_id)) == 1 for contact_id in contacts.values())
    assert not SyncRun.objects.filter(webinar=webinar, status=SyncRun.Status.QUEUED).exists()


def test_recording_exclusions_keep_a_domain_from_getting_the_recording(world):
    webinar = world.webinar()
    (instance,) = world.zoom.instances[int(webinar.zoom_webinar_id)]
    emails = sorted(
        r["user_email"] for r in world.zoom.participants[instance["uuid"]] if r["user_email"]
    )
    excluded = emails[0]
    domain = excluded.split("@")[1]
    RecordingExclusion.objects.create(organization=world.organization, domain=domain)
    run = world.sync(webinar)
    finding = run.findings.get(category=FindingCategory.RECORDING_NOT_SYNCED)
    assert excluded in finding.emails and "recording exclusions" in finding.message
    contacts = attendee_contacts(world, webinar)
    assert any(not email.endswith(f"@{domain}") for email in contacts)
    for email, contact_id in contacts.items():
        expected = 0 if email.endswith(f"@{domain}") else 1
        assert len(notes_of(world, contact_id)) == expected


def test_a_missing_transcript_is_reported_and_the_recording_still_attached(world):
    webinar = world.webinar()
    recording = recording_of(world, webinar)
    recording["recording_files"] = [
        f for f in recording["recording_files"] if f["file_type"] != "TRANSCRIPT"
    ]
    run = world.sync(webinar)
    assert run.findings.filter(category=FindingCategory.ERROR_TRANSCRIPT).exists()
    contact_id = next(iter(attendee_contacts(world, webinar).values()))
    (note,) = notes_of(world, contact_id)
    assert recording["share_url"] in note.value("hs_note_body")
    assert "Transcript" not in note.value("hs_note_body")


# --- timeline -----------------------------------------------------------------------------------
def test_template_mode_sends_events_with_deterministic_ids_and_a_rerun_sends_none(world, settings):
    ids = templates_configure(world, settings)
    webinar = world.webinar()
    run = world.sync(webinar)
    assert run.timeline_mode == TIMELINE_MODE_TEMPLATES
    events = world.hubspot.timeline_events
    registered = Attendance.objects.filter(
        webinar=webinar, registration_status__in=["approved", "pending"]
    ).select_related("session")
    attended = Attendance.objects.filter(
        webinar=webinar, first_join_at__isnull=False
    ).select_related("session")
    for row, kind in [(r, REGISTRATION) for r in registered] + [
        (r, k) for r in attended for k in (ATTENDANCE, RECORDING)
    ]:
        event = events[activity_event_id(webinar, row.session, row.email, kind)]
        assert event["eventTemplateId"] == ids[kind]
        assert event["objectId"] == world.hubspot_contact(row.email).id
    attendance_event = next(e for e in events.values() if e["eventTemplateId"] == ids[ATTENDANCE])
    assert int(attendance_event["tokens"]["minutes_attended"]) >= 0
    assert recording_notes(world) == []  # the recording went to the timeline

    mark, count = len(world.hubspot.request_log), len(events)
    world.sync(webinar)
    assert world.hubspot_writes(mark) == []
    assert len(events) == count


def test_a_redelivered_event_counts_as_delivered(world, settings):
    templates_configure(world, settings)
    webinar = world.webinar()
    world.sync(webinar)
    count = len(world.hubspot.timeline_events)
    Attendance.objects.update(activity_hashes={})  # as if the worker died before marking
    run = world.sync(webinar)
    assert len(world.hubspot.timeline_events) == count
    assert not run.findings.filter(category=FindingCategory.ERROR_TIMELINE).exists()
    rows = Attendance.objects.filter(webinar=webinar).exclude(
        registration_status__in=["", "denied", "cancelled"], first_join_at__isnull=True
    )
    assert rows and all(row.activity_hashes for row in rows)


def test_timeline_failures_become_findings_and_are_retried(world, settings):
    templates_set(settings, {REGISTRATION: "424242"})  # a template the app does not have
    webinar = world.webinar()
    run = world.sync(webinar)
    finding = run.findings.get(category=FindingCategory.ERROR_TIMELINE)
    registered = set(
        Attendance.objects.filter(
            webinar=webinar, registration_status__in=["approved", "pending"]
        ).values_list("email", flat=True)
    )
    assert set(finding.emails) == registered
    assert run.status == SyncRun.Status.PARTIAL

    ids = templates_configure(world, settings, kinds=(REGISTRATION,))
    run = world.sync(webinar)
    assert not run.findings.filter(category=FindingCategory.ERROR_TIMELINE).exists()
    sent = [
        e
        for e in world.hubspot.timeline_events.values()
        if e["eventTemplateId"] == ids[REGISTRATION]
    ]
    assert len(sent) == len(registered)


def test_a_refused_timeline_call_is_a_finding_not_a_failed_run(world, settings):
    templates_configure(world, settings, kinds=(ATTENDANCE,))
    world.hubspot.fault_add(Fault(status=400, path="/integrators/timeline/", times=10))
    webinar = world.webinar()
    run = world.sync(webinar)
    assert run.status == SyncRun.Status.PARTIAL
    finding = run.findings.get(category=FindingCategory.ERROR_TIMELINE)
    assert set(finding.emails) == set(attendee_contacts(world, webinar))


def test_marketing_event_mode_sends_no_timeline_events(world):
    run = world.sync(world.webinar())
    assert run.timeline_mode == TIMELINE_MODE_MARKETING_EVENT
    assert world.hubspot.timeline_events == {}
    assert not any("/integrators/timeline" in path for _, path in world.hubspot.request_log)
