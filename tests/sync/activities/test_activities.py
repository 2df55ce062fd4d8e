"""Salesforce ↔ HubSpot tasks and activities (issue 7), against the vendor sandboxes."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from jobs.models import RunProblem
from jobs.queue import task_lease
from sync.activities import hubspot_writes, task_writes, to_salesforce
from sync.activities.execution import activity_sync_execute
from sync.activities.links import SALESFORCE_ID_PROPERTY
from sync.activities.models import ActivityFindingReason as Reason
from sync.activities.models import ActivityType
from sync.activities.owners import assigned_to
from sync.activities.people import ContactCandidate, who_choose
from sync.activities.runs import activities_sync_periodic
from sync.activities.types import marketing_event_fields
from sync.cursors import LOOKBACK_MS
from sync.models import (
    ActivityFinding,
    ActivityLink,
    ActivitySyncRun,
    ActivitySyncSettings,
    ActivityUserMapping,
)
from tests.sync.activities.activities_world import activity_world_make

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(sandbox, org_a, manager_a):
    return activity_world_make(sandbox, org_a, manager_a)


def reasons(run: ActivitySyncRun) -> list[tuple[str, str]]:
    return [(f.reason, f.source_id) for f in run.findings.all()]


# --- Salesforce → HubSpot ------------------------------------------------------------------------
def test_salesforce_task_becomes_hubspot_task_with_mapped_fields(world):
    owner = world.hubspot.user_add(email="ann@acme.example", first="Ann", last="Lee")
    ann = world.salesforce.user_add(first_name="Ann", last_name="Lee", email="ann@acme.example")
    world.map_owner(owner["id"], ann)
    contact_hs = world.hs_contact("jane@example.com")
    company = world.hubspot.record_create("companies", {"name": "Initech"})
    account = world.sf_insert("Account", {"Name": "Initech", "OwnerId": ann}, world.before())
    who = world.sf_contact("jane@example.com", AccountId=account)
    world.enable(salesforce_tasks=True)
    task_id = world.sf_task(
        Subject="Send the proposal",
        Description="Pricing for 20 seats",
        ActivityDate=dt.date(2026, 5, 1),
        Status="In Progress",
        Priority="High",
        OwnerId=ann,
        WhoId=who,
        WhatId=account,
    )

    run = world.sync()

    assert run.status == ActivitySyncRun.Status.SUCCEEDED, run.summary
    (task,) = world.hs_tasks()
    assert task.properties["hs_task_subject"] == "Send the proposal"
    assert task.properties["hs_task_body"] == "Pricing for 20 seats"
    # A date without time zone: the same calendar day, midnight UTC, never shifted.
    assert task.properties["hs_timestamp"].startswith("2026-05-01T00:00:00")
    assert task.properties["hs_task_status"] == "IN_PROGRESS"
    assert task.properties["hs_task_priority"] == "HIGH"
    assert task.properties["hubspot_owner_id"] == owner["id"]
    assert task.properties[SALESFORCE_ID_PROPERTY] == task_id
    assert world.hubspot.associations_of("tasks", task.id, "contacts")[0]["toObjectId"] == int(
        contact_hs
    )
    assert world.hubspot.associations_of("tasks", task.id, "companies")[0]["toObjectId"] == int(
        company.id
    )
    link = ActivityLink.objects.get(salesforce_id=task_id)
    assert (link.origin, link.state, link.hubspot_id) == ("salesforce", "linked", task.id)


def test_update_of_synced_salesforce_task_updates_the_same_hubspot_task(world):
    world.enable(salesforce_tasks=True)
    task_id = world.sf_task(Subject="Call back")
    world.sync()
    record = world.salesforce.records["Task"][task_id]
    world.salesforce._apply(task_spec(), record, {"Status": "Completed", "Subject": "Called"})

    run = world.sync()

    (task,) = world.hs_tasks()
    assert task.properties["hs_task_status"] == "COMPLETED"
    assert task.properties["hs_task_subject"] == "Called"
    assert (run.hubspot_created, run.hubspot_updated) == (0, 1)


def task_spec():
    from connectors.salesforce.sandbox_schema import SOBJECTS

    return SOBJECTS["Task"]


def test_tasks_created_before_switching_on_are_not_imported(world):
    world.enable(salesforce_tasks=True)
    old = world.sf_task(at=world.before(), Subject="Old")
    # Modified after enabling, so the cursor reads it, but it was created before.
    world.salesforce._apply(task_spec(), world.salesforce.records["Task"][old], {})
    new = world.sf_task(Subject="New")

    run = world.sync()

    assert [t.properties["hs_task_subject"] for t in world.hs_tasks()] == ["New"]
    assert (Reason.CREATED_BEFORE_ENABLING, old) in reasons(run)
    assert ActivityLink.objects.filter(salesforce_id=new).exists()


def test_equal_timestamps_at_the_cursor_are_neither_skipped_nor_repeated(world):
    world.enable(salesforce_tasks=True)
    same = world.after(120)
    first = [world.sf_task(at=same, Subject=f"First {i}") for i in range(3)]
    world.sync()
    settings_row = ActivitySyncSettings.objects.get(organization=world.organization)
    assert settings_row.salesforce_cursor == same
    assert [task_id for task_id, _ in settings_row.salesforce_cursor_ids["seen"]] == sorted(first)
    late = world.sf_task(at=same, Subject="Late, same second")

    run = world.sync()

    assert run.hubspot_created == 1
    assert len(world.hs_tasks()) == 4
    assert ActivityLink.objects.filter(salesforce_id=late, state="linked").exists()


def test_a_task_committed_after_newer_ones_were_read_is_still_synced(world):
    # Salesforce stamps SystemModstamp before the transaction commits: a long transaction's task
    # can appear with a stamp older than tasks already read.
    world.enable(salesforce_tasks=True)
    world.sf_task(at=world.after(600), Subject="Newest")
    world.sync()
    late = world.sf_task(at=world.after(600 - 120), Subject="Committed late")
    too_old = world.sf_task(at=world.after(600 - LOOKBACK_MS // 1000 - 60), Subject="Too late")

    run = world.sync()

    assert run.hubspot_created == 1  # the newest one is not written again
    assert ActivityLink.objects.filter(salesforce_id=late, state="linked").exists()
    assert not ActivityLink.objects.filter(salesforce_id=too_old).exists()


def test_paging_checkpoints_every_page_without_gaps(world):
    world.enable(salesforce_tasks=True)
    # 450 tasks over 3 batches of 200; many share a second across the page boundaries.
    for index in range(450):
        world.sf_task(at=world.after(60 + index // 7), Subject=f"Task {index}")

    run = world.sync()

    assert run.salesforce_read == 450
    assert run.hubspot_created == 450
    subjects = {t.properties["hs_task_subject"] for t in world.hs_tasks()}
    assert len(subjects) == 450
    assert world.sync().hubspot_created == 0


# --- HubSpot → Salesforce ------------------------------------------------------------------------
def test_a_note_that_hubspots_search_shows_late_is_still_synced(world):
    contact = world.hs_contact("jane@example.com")
    world.sf_contact("jane@example.com")
    world.enable(note=True)
    note = {"hs_note_body": "Newest"}
    world.hs_engagement("notes", note, contacts=(contact,), created=world.after(600))
    world.sync()
    # Modified before the newest note read, but found by search only now (its index lags).
    late = {"hs_note_body": "Indexed late"}
    world.hs_engagement("notes", late, contacts=(contact,), created=world.after(480))

    run = world.sync()

    assert run.salesforce_created == 1, [*reasons(run), run.summary]  # not the newest again
    assert sorted(t["Subject"] for t in world.sf_tasks()) == ["Indexed late", "Newest"]


def test_hubspot_activities_become_salesforce_tasks_with_subjects(world):
    world.salesforce.task_type_values_set(["Call", "Email", "Meeting", "HubSpot"])
    contact = world.hs_contact("jane@example.com")
    who = world.sf_contact("jane@example.com")
    world.enable(sales_email="Email", note=True, call="Call", meeting=True, hubspot_task=True)
    world.hs_engagement(
        "emails",
        {"hs_email_subject": "Your quote", "hs_email_text": "Hi Jane", "hs_attachment_ids": "7"},
        contacts=(contact,),
    )
    world.hs_engagement("notes", {"hs_note_body": "<p>Met at the fair</p>"}, contacts=(contact,))
    world.hs_engagement("calls", {"hs_call_title": "Discovery call"}, contacts=(contact,))
    world.hs_engagement("meetings", {"hs_meeting_title": "Demo"}, contacts=(contact,))
    world.hs_engagement(
        "tasks",
        {
            "hs_task_subject": "Follow up",
            "hs_task_status": "NOT_STARTED",
            "hs_task_priority": "HIGH",
        },
        contacts=(contact,),
    )

    run = world.sync()

    assert run.status == ActivitySyncRun.Status.SUCCEEDED, [*reasons(run), run.summary]
    tasks = {t["Subject"]: t for t in world.sf_tasks()}
    assert set(tasks) == {"Your quote", "Met at the fair", "Discovery call", "Demo", "Follow up"}
    assert tasks["Your quote"]["Type"] == "Email"
    assert tasks["Your quote"]["TaskSubtype"] == "Email"
    assert tasks["Your quote"]["Status"] == "Completed"
    assert tasks["Your quote"]["Description"].startswith("Hi Jane")
    assert tasks["Discovery call"]["Type"] == "Call"
    assert tasks["Demo"]["Type"] is None  # "-- no task type --"
    assert tasks["Follow up"]["Status"] == "Not Started"
    assert tasks["Follow up"]["Priority"] == "High"
    assert all(t["WhoId"] == who for t in tasks.values())
    assert all(t["OwnerId"] == world.integration_user_id for t in tasks.values())


def test_marketing_events_are_completed_tasks_named_after_the_email_or_form():
    at = dt.datetime(2026, 5, 1, 23, 30, tzinfo=dt.UTC)
    fields = {
        kind: marketing_event_fields(kind, name=name, occurred_at=at, task_type="", marker="m")
        for kind, name in [
            (ActivityType.MARKETING_EMAIL_OPENED, "May newsletter"),
            (ActivityType.MARKETING_EMAIL_CLICKED, "May newsletter"),
            (ActivityType.MARKETING_EMAIL_SENT, "May newsletter"),
            (ActivityType.FORM_SUBMISSION, "Contact us"),
        ]
    }
    assert [f["Subject"] for f in fields.values()] == [
        "Opened: May newsletter",
        "Clicked: May newsletter",
        "Sent: May newsletter",
        "Submitted: Contact us",
    ]
    assert {f["Status"] for f in fields.values()} == {"Completed"}
    assert {f["ActivityDate"] for f in fields.values()} == {"2026-05-01"}


def test_who_id_is_the_newest_contact_synced_to_salesforce_ties_to_highest_id(world):
    older = world.hs_contact("old@example.com", created=world.before(9000))
    newest_unsynced = world.hs_contact("nobody@example.com", created=world.before(100))
    tie_low = world.hs_contact("tie-low@example.com", created=world.before(500))
    tie_high = world.hs_contact("tie-high@example.com", created=world.before(500))
    assert int(tie_high) > int(tie_low)
    world.sf_contact("old@example.com")
    world.sf_contact("tie-low@example.com")
    expected = world.sf_contact("tie-high@example.com")
    world.enable(note=True)
    world.hs_engagement(
        "notes",
        {"hs_note_body": "Group email"},
        contacts=(older, newest_unsynced, tie_low, tie_high),
    )

    world.sync()

    (task,) = world.sf_tasks()
    assert task["WhoId"] == expected


def test_who_choose_prefers_newest_then_highest_id():
    resolve = {"a@x.io": "A", "b@x.io": "B", "c@x.io": "C"}.get
    candidates = [
        ContactCandidate("10", 1000, "a@x.io", ""),
        ContactCandidate("9", 2000, "b@x.io", ""),
        ContactCandidate("12", 2000, "c@x.io", ""),
        ContactCandidate("99", 3000, "", ""),
    ]
    assert who_choose(candidates, resolve)[0].hubspot_id == "12"
    assert who_choose(candidates[:2], resolve)[0].hubspot_id == "9"
    assert who_choose([candidates[3]], resolve) is None


def test_assigned_to_falls_back_from_activity_owner_to_record_owner_to_integration_user(world):
    mapped_owner = world.hubspot.user_add(email="ann@acme.example", first="Ann", last="Lee")
    unmapped = world.hubspot.user_add(email="bob@acme.example", first="Bob", last="Ray")
    ann = world.salesforce.user_add(first_name="Ann", last_name="Lee", email="ann@acme.example")
    world.map_owner(mapped_owner["id"], ann)
    owned = world.hs_contact("owned@example.com", owner=mapped_owner["id"])
    orphan = world.hs_contact("orphan@example.com", owner=unmapped["id"])
    world.sf_contact("owned@example.com")
    world.sf_contact("orphan@example.com")
    world.enable(call=True)
    by_activity = world.hs_engagement(
        "calls", {"hs_call_title": "A", "hubspot_owner_id": mapped_owner["id"]}, contacts=(orphan,)
    )
    by_record = world.hs_engagement(
        "calls", {"hs_call_title": "B", "hubspot_owner_id": unmapped["id"]}, contacts=(owned,)
    )
    fallback = world.hs_engagement(
        "calls", {"hs_call_title": "C", "hubspot_owner_id": unmapped["id"]}, contacts=(orphan,)
    )

    run = world.sync()

    owners = {t["Subject"]: t["OwnerId"] for t in world.sf_tasks()}
    assert owners == {"A": ann, "B": ann, "C": world.integration_user_id}
    decisions = {
        link.hubspot_id: link.assignment for link in ActivityLink.objects.filter(origin="hubspot")
    }
    assert "activity owner" in decisions[by_activity] and "is mapped" in decisions[by_activity]
    assert "record owner" in decisions[by_record]
    assert "integration user" in decisions[fallback]
    assert {(Reason.UNMAPPED_OWNER, by_record), (Reason.UNMAPPED_OWNER, fallback)} <= set(
        reasons(run)
    )


def test_assigned_to_without_any_owner_is_the_integration_user():
    decision = assigned_to(
        activity_owner=None, record_owner=None, mapped={}, integration_user_id="005X"
    )
    assert (decision.user_id, decision.fell_back) == ("005X", False)


def test_skipped_activities_are_in_the_audit_with_their_reason(world):
    known = world.hs_contact("jane@example.com")
    stranger = world.hs_contact("stranger@example.com")
    world.sf_contact("jane@example.com")
    world.enable(note=True, call=True)
    no_contact = world.hs_engagement("notes", {"hs_note_body": "x"}, contacts=(stranger,))
    before = world.hs_engagement(
        "notes", {"hs_note_body": "y"}, contacts=(known,), created=world.before()
    )
    world.hubspot.record_update(world.hubspot.objects["notes"][before], {"hs_note_body": "y2"})
    world.sync()
    # Calls switched off after being on: their activities are reported, not synced.
    settings_row = ActivitySyncSettings.objects.get(organization=world.organization)
    settings_row.type_settings.filter(activity_type="call").update(enabled=False)
    disabled = world.hs_engagement("calls", {"hs_call_title": "z"}, contacts=(known,))

    run = world.sync()
    first_run = ActivitySyncRun.objects.order_by("pk").first()

    assert (Reason.NO_MATCHING_CONTACT, no_contact) in reasons(first_run)
    assert (Reason.CREATED_BEFORE_ENABLING, before) in reasons(first_run)
    assert (Reason.TYPE_DISABLED, disabled) in reasons(run)
    assert world.sf_tasks() == []


# --- no loops, no duplicates ---------------------------------------------------------------------
def test_no_echo_in_either_direction_and_reruns_create_nothing(world):
    contact = world.hs_contact("jane@example.com")
    who = world.sf_contact("jane@example.com")
    world.enable(salesforce_tasks=True, hubspot_task=True, note=True)
    sf_origin = world.sf_task(Subject="From Salesforce", WhoId=who)
    world.hs_engagement("notes", {"hs_note_body": "From HubSpot"}, contacts=(contact,))

    first = world.sync()
    second = world.sync()
    third = world.sync()

    assert (first.hubspot_created, first.salesforce_created) == (1, 1)
    assert (second.hubspot_created, second.salesforce_created) == (0, 0)
    assert (third.hubspot_created, third.salesforce_created) == (0, 0)
    # The HubSpot task made in run 1 is read back by run 1, the Salesforce task by run 2.
    assert (first.echoes_skipped, second.echoes_skipped, third.echoes_skipped) == (1, 1, 0)
    assert sorted(t["Subject"] for t in world.sf_tasks()) == ["From HubSpot", "From Salesforce"]
    assert [t.properties["hs_task_subject"] for t in world.hs_tasks()] == ["From Salesforce"]
    assert ActivityLink.objects.get(salesforce_id=sf_origin).origin == "salesforce"


class WorkerKilled(BaseException):
    """Stands in for SIGKILL: nothing after the call runs, no except clause catches it."""


def lease_expire(run: ActivitySyncRun, *, by: int = 1) -> None:
    """Date the run's claim back to `by` seconds past its lease (negative: still inside it)."""
    started = timezone.now() - task_lease() - dt.timedelta(seconds=by)
    ActivitySyncRun.objects.filter(pk=run.pk).update(started_at=started)


def test_worker_killed_between_salesforce_create_and_link_does_not_duplicate(world, monkeypatch):
    contact = world.hs_contact("jane@example.com")
    world.sf_contact("jane@example.com")
    world.enable(note=True)
    note = world.hs_engagement("notes", {"hs_note_body": "Once only"}, contacts=(contact,))

    def killed(*args, **kwargs):
        raise WorkerKilled

    monkeypatch.setattr(task_writes, "links_complete", killed)
    with pytest.raises(WorkerKilled):
        world.sync()
    assert len(world.sf_tasks()) == 1
    assert ActivityLink.objects.get(hubspot_id=note).state == ActivityLink.State.PENDING
    monkeypatch.undo()
    dead = ActivitySyncRun.objects.get()

    lease_expire(dead, by=-5)  # still within its lease: another delivery leaves it alone
    activity_sync_execute(dead.pk)
    assert ActivityLink.objects.get(hubspot_id=note).state == ActivityLink.State.PENDING
    lease_expire(dead)
    activity_sync_execute(dead.pk)
    world.sync()

    (task,) = world.sf_tasks()
    link = ActivityLink.objects.get(hubspot_id=note)
    assert (link.state, link.salesforce_id) == ("linked", task["Id"])


def test_worker_killed_between_hubspot_create_and_link_does_not_duplicate(world, monkeypatch):
    world.enable(salesforce_tasks=True)
    task_id = world.sf_task(Subject="Once only")

    def killed(*args, **kwargs):
        raise WorkerKilled

    monkeypatch.setattr(hubspot_writes, "links_save", killed)
    with pytest.raises(WorkerKilled):
        world.sync()
    monkeypatch.undo()
    assert len(world.hs_tasks()) == 1
    assert ActivityLink.objects.get(salesforce_id=task_id).state == ActivityLink.State.PENDING
    dead = ActivitySyncRun.objects.get()

    lease_expire(dead, by=-5)  # still within its lease: another delivery leaves it alone
    activity_sync_execute(dead.pk)
    assert ActivityLink.objects.get(salesforce_id=task_id).state == ActivityLink.State.PENDING
    lease_expire(dead)
    activity_sync_execute(dead.pk)

    (task,) = world.hs_tasks()
    link = ActivityLink.objects.get(salesforce_id=task_id)
    assert (link.state, link.hubspot_id) == ("linked", task.id)


# --- quota and Salesforce errors -----------------------------------------------------------------
def test_request_limit_exceeded_pauses_the_stream_until_the_quota_resets(world):
    world.enable(salesforce_tasks=True)
    world.sf_task(Subject="Waits for the quota")
    world.salesforce.api_usage_set(world.salesforce.daily_api_limit)

    run = world.sync()

    assert run.status == ActivitySyncRun.Status.PAUSED
    assert (run.problem, run.problem_provider) == (RunProblem.RATE_LIMITED, "salesforce")
    assert "REQUEST_LIMIT_EXCEEDED" in run.problem_message
    settings_row = ActivitySyncSettings.objects.get(organization=world.organization)
    assert settings_row.paused_until > timezone.now() + dt.timedelta(minutes=50)
    resume = ActivitySyncRun.objects.get(trigger=ActivitySyncRun.Trigger.RESUME)
    assert resume.not_before == settings_row.paused_until
    assert activities_sync_periodic() == "0 organisations queued"
    assert world.hs_tasks() == []


def test_picklist_error_becomes_a_finding_naming_the_field(world):
    world.salesforce.task_type_values_set(["Call", "Webinar"])
    contact = world.hs_contact("jane@example.com")
    world.sf_contact("jane@example.com")
    world.enable(meeting="Webinar")
    world.salesforce.task_type_values_set(["Call"])  # an admin removed the value meanwhile
    meeting = world.hs_engagement("meetings", {"hs_meeting_title": "Demo"}, contacts=(contact,))

    run = world.sync()

    (finding,) = run.findings.filter(outcome=ActivityFinding.Outcome.FAILED)
    assert (finding.reason, finding.field_name, finding.source_id) == (
        Reason.PICKLIST_VALUE,
        "Type",
        meeting,
    )
    assert ActivityLink.objects.get(hubspot_id=meeting).state == ActivityLink.State.FAILED
    assert run.status == ActivitySyncRun.Status.PARTIAL


def test_invalid_field_becomes_a_finding_naming_the_field(world, monkeypatch):
    contact = world.hs_contact("jane@example.com")
    world.sf_contact("jane@example.com")
    world.enable(note=True)
    world.hs_engagement("notes", {"hs_note_body": "x"}, contacts=(contact,))
    original = to_salesforce.task_fields
    monkeypatch.setattr(
        to_salesforce, "task_fields", lambda *a, **k: {**original(*a, **k), "Legacy__c": "1"}
    )

    run = world.sync()

    (finding,) = run.findings.filter(outcome=ActivityFinding.Outcome.FAILED)
    assert (finding.reason, finding.field_name) == (Reason.INVALID_FIELD, "Legacy__c")


# --- settings, mapping, schedule -----------------------------------------------------------------
def test_user_mapping_is_suggested_by_email_and_manual_mappings_are_kept(world):
    from sync.activities.configuration import user_mappings_suggest_for

    ann = world.hubspot.user_add(email="ann@acme.example", first="Ann", last="Lee")
    bob = world.hubspot.user_add(email="bob@acme.example", first="Bob", last="Ray")
    ann_sf = world.salesforce.user_add(first_name="Ann", last_name="Lee", email="ann@acme.example")
    world.salesforce.user_add(first_name="Bob", last_name="Ray", email="bob@acme.example")
    ActivityUserMapping.objects.create(
        organization=world.organization, hubspot_owner_id=bob["id"], salesforce_user_id="005MANUAL"
    )

    user_mappings_suggest_for(world.organization)

    rows = {m.hubspot_owner_id: m for m in ActivityUserMapping.objects.all()}
    assert (rows[ann["id"]].salesforce_user_id, rows[ann["id"]].source) == (ann_sf, "suggested")
    assert rows[bob["id"]].salesforce_user_id == "005MANUAL"


def test_periodic_job_queues_one_run_per_organisation_with_the_sync_on(world, org_b):
    from sync.activities.configuration import activity_settings_ensure

    activity_settings_ensure(org_b)  # all off
    world.enable(note=True)

    assert activities_sync_periodic() == "1 organisations queued"
    assert activities_sync_periodic() == "1 organisations queued"
    assert ActivitySyncRun.objects.filter(organization=world.organization).count() == 1
    assert not ActivitySyncRun.objects.filter(organization=org_b).exists()


def test_backfill_brings_tasks_created_before_switching_on(world, manager_a):
    from sync.activities.execution import activity_sync_execute
    from sync.activities.runs import activity_backfill_request

    world.enable(salesforce_tasks=True)
    world.sf_task(at=world.before(7200), Subject="Two hours before")
    world.sf_task(at=world.before(3 * 86400), Subject="Three days before")
    world.sync()
    assert world.hs_tasks() == []

    run = activity_backfill_request(
        organization=world.organization, since=world.before(86400), user=manager_a
    )
    activity_sync_execute(run.pk)
    run.refresh_from_db()

    assert [t.properties["hs_task_subject"] for t in world.hs_tasks()] == ["Two hours before"]
    assert (run.trigger, run.requested_by) == (ActivitySyncRun.Trigger.BACKFILL, manager_a)


# --- admin ---------------------------------------------------------------------------------------
def test_settings_screen_offers_the_orgs_task_types_and_says_not_retroactive(client, world):
    from django.urls import reverse

    world.salesforce.task_type_values_set(["Call", "Webinar follow-up"])
    settings_row = ActivitySyncSettings.objects.get(organization=world.organization)
    client.force_login(world.user)

    response = client.get(reverse("admin:sync_activitysyncsettings_change", args=[settings_row.pk]))

    assert response.status_code == 200
    (formset,) = response.context["inline_admin_formsets"]
    choices = formset.formset.forms[0].fields["salesforce_task_type"].choices
    assert choices == [
        ("", "-- no task type --"),
        ("Call", "Call"),
        ("Webinar follow-up", "Webinar follow-up"),
    ]
    assert len(formset.formset.forms) == len(ActivityType.values)
    assert "Not retroactive" in response.content.decode()


def test_run_screen_lists_every_skipped_item_with_its_reason(client, world):
    from django.urls import reverse

    stranger = world.hs_contact("stranger@example.com")
    world.enable(note=True)
    note = world.hs_engagement("notes", {"hs_note_body": "x"}, contacts=(stranger,))
    run = world.sync()
    client.force_login(world.user)

    page = client.get(reverse("admin:sync_activitysyncrun_change", args=[run.pk])).content.decode()

    assert "No matching contact" in page
    assert note in page
