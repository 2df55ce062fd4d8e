"""Issue 7, the rest: marketing email events and form submissions, deals ↔ Opportunities,
HubSpot → Salesforce updates and retries of failed links, against the vendor sandboxes."""

from __future__ import annotations

import pytest

from sync.activities import reads
from sync.activities.models import ActivityFindingReason as Reason
from sync.models import ActivityFinding, ActivityLink, ActivitySyncRun
from tests.sync.activities.activities_world import activity_world_make, ms

pytestmark = pytest.mark.django_db
Status = ActivitySyncRun.Status


@pytest.fixture
def world(sandbox, org_a, manager_a):
    return activity_world_make(sandbox, org_a, manager_a)


def reasons(run: ActivitySyncRun) -> list[tuple[str, str]]:
    return [(f.reason, f.source_id) for f in run.findings.all()]


MARKETING = {
    "marketing_email_sent": True,
    "marketing_email_opened": True,
    "marketing_email_clicked": True,
    "form_submission": True,
}


# --- marketing email events and form submissions ------------------------------------------------
def test_marketing_email_events_become_completed_tasks_named_after_the_email(world):
    who = world.sf_contact("jane@example.com")
    world.hs_contact("jane@example.com")
    world.enable(**MARKETING)
    campaign = world.hubspot.marketing_email_add("May newsletter", subject="News for May")
    world.hs_email_event(campaign, "SENT", "jane@example.com", world.after(60))
    world.hs_email_event(campaign, "OPEN", "Jane@Example.com", world.after(120))
    world.hs_email_event(campaign, "CLICK", "jane@example.com", world.after(180))
    world.hs_email_event(campaign, "DELIVERED", "jane@example.com", world.after(61))

    run = world.sync()

    assert run.status == Status.SUCCEEDED, [*reasons(run), run.summary]
    tasks = {t["Subject"]: t for t in world.sf_tasks()}
    assert set(tasks) == {
        "Sent: May newsletter",
        "Opened: May newsletter",
        "Clicked: May newsletter",
    }
    assert {t["Status"] for t in tasks.values()} == {"Completed"}
    assert {t["WhoId"] for t in tasks.values()} == {who}
    assert {t["OwnerId"] for t in tasks.values()} == {world.integration_user_id}
    assert (
        ActivityLink.objects.filter(hubspot_object_type="email_events", state="linked").count() == 3
    )
    assert world.sync().salesforce_created == 0


def test_form_submissions_become_submitted_tasks_for_the_submitter(world):
    owner = world.hubspot.user_add(email="ann@acme.example", first="Ann", last="Lee")
    ann = world.salesforce.user_add(first_name="Ann", last_name="Lee", email="ann@acme.example")
    world.map_owner(owner["id"], ann)
    world.hs_contact("lead@example.com", owner=owner["id"])
    lead = world.sf_insert(
        "Lead",
        {"LastName": "Lead", "Company": "Initech", "Email": "lead@example.com"},
        world.before(),
    )
    world.enable(form_submission="Call")
    form = world.hubspot.form_add("Contact us")
    world.hs_form_submission(form, "lead@example.com")
    stranger = world.hs_form_submission(form, "stranger@example.com")

    run = world.sync()

    (task,) = world.sf_tasks()
    assert (task["Subject"], task["Status"], task["WhoId"]) == (
        "Submitted: Contact us",
        "Completed",
        lead,
    )
    assert (task["OwnerId"], task["Type"]) == (ann, "Call")  # the contact's owner is mapped
    assert (Reason.NO_MATCHING_CONTACT, stranger) in reasons(run)
    assert run.status == Status.PARTIAL


def test_submissions_to_a_form_archived_since_the_last_run_are_still_synced(world):
    world.sf_contact("lead@example.com")
    world.enable(form_submission=True)
    retired_long_ago = world.hubspot.form_add("Old offer", at_ms=ms(world.before(7200)))
    world.hubspot.form_archive(retired_long_ago, at_ms=ms(world.before()))
    live = world.hubspot.form_add("Newsletter")
    world.hs_form_submission(live, "lead@example.com", world.after(60))
    world.sync()
    retired = world.hubspot.form_add("Spring offer")
    world.hs_form_submission(retired, "lead@example.com", world.after(120))
    world.hubspot.form_archive(retired, at_ms=ms(world.after(180)))
    mark = len(world.hubspot.request_log)

    world.sync()

    subjects = sorted(t["Subject"] for t in world.sf_tasks())
    assert subjects == ["Submitted: Newsletter", "Submitted: Spring offer"]
    read = [path for _, path in world.hubspot.request_log[mark:] if "/submissions/forms/" in path]
    assert not any(retired_long_ago in path for path in read)  # archived before the cursor


def test_marketing_events_at_equal_timestamps_are_neither_skipped_nor_repeated(world):
    world.enable(marketing_email_sent=True)
    campaign = world.hubspot.marketing_email_add("Webinar invitation")
    same = world.after(300)
    for index in range(3):
        world.sf_contact(f"r{index}@example.com")
        world.hs_email_event(campaign, "SENT", f"r{index}@example.com", same)
    assert world.sync().salesforce_created == 3
    world.sf_contact("late@example.com")
    world.hs_email_event(campaign, "SENT", "late@example.com", same)  # same millisecond, later

    run = world.sync()

    assert (run.hubspot_read, run.salesforce_created) == (1, 1)
    assert len(world.sf_tasks()) == 4
    assert world.sync().hubspot_read == 0


def test_marketing_events_from_before_enabling_are_not_synced(world):
    world.sf_contact("jane@example.com")
    campaign = world.hubspot.marketing_email_add("April newsletter")
    world.hs_email_event(campaign, "OPEN", "jane@example.com", world.before(600))
    world.enable(marketing_email_opened=True)

    run = world.sync()

    assert world.sf_tasks() == [] and run.hubspot_read == 0


def test_a_missing_marketing_scope_is_a_finding_and_other_types_still_sync(world):
    contact = world.hs_contact("jane@example.com")
    world.sf_contact("jane@example.com")
    world.enable(note=True, marketing_email_opened=True)
    for grant in world.hubspot.oauth.by_access.values():
        grant.scopes = [scope for scope in grant.scopes if scope != "content"]
    world.hs_engagement("notes", {"hs_note_body": "Still synced"}, contacts=(contact,))

    run = world.sync()

    assert [t["Subject"] for t in world.sf_tasks()] == ["Still synced"]
    (finding,) = run.findings.all()
    assert (finding.reason, finding.source_type) == (Reason.CONNECTION, "marketing_email_opened")
    assert "content" in finding.message
    assert run.status == Status.PARTIAL


# --- deals ↔ Opportunities ----------------------------------------------------------------------
def test_salesforce_task_on_an_opportunity_is_associated_with_the_deal_of_that_name(world):
    deal = world.hs_deal("Initech renewal 2026")
    world.hs_deal("Other deal")
    opportunity = world.sf_opportunity("Initech renewal 2026")
    world.enable(salesforce_tasks=True)
    world.sf_task(Subject="Send the contract", WhatId=opportunity)

    world.sync()

    (task,) = world.hs_tasks()
    assert world.hubspot.associations_of("tasks", task.id, "deals")[0]["toObjectId"] == int(deal)


def test_an_ambiguous_deal_name_links_no_deal(world):
    world.hs_deal("Renewal")
    world.hs_deal("Renewal")
    opportunity = world.sf_opportunity("Renewal")
    world.enable(salesforce_tasks=True)
    world.sf_task(Subject="Call", WhatId=opportunity)

    run = world.sync()

    (task,) = world.hs_tasks()
    assert world.hubspot.associations_of("tasks", task.id, "deals") == []
    assert run.hubspot_created == 1


def test_hubspot_activity_on_a_deal_gets_the_newest_matching_opportunity_as_what_id(world):
    account = world.sf_insert("Account", {"Name": "Initech"}, world.before())
    contact = world.hs_contact("jane@example.com")
    world.sf_contact("jane@example.com", AccountId=account)
    old_deal = world.hs_deal("Pilot", created=world.before(9000))
    new_deal = world.hs_deal("Expansion", created=world.before(100))
    unmatched = world.hs_deal("No such opportunity", created=world.before(10))
    world.sf_opportunity("Pilot", AccountId=account)
    world.sf_opportunity("Expansion")  # same name elsewhere: the contact's account decides
    expansion = world.sf_opportunity("Expansion", AccountId=account)
    world.enable(call=True)
    call = world.hs_engagement("calls", {"hs_call_title": "Pricing"}, contacts=(contact,))
    for deal in (old_deal, new_deal, unmatched):
        world.hubspot.associate("calls", call, "deals", deal)

    world.sync()

    (task,) = world.sf_tasks()
    assert task["WhatId"] == expansion


# --- updates HubSpot → Salesforce ---------------------------------------------------------------
def test_changed_hubspot_activity_updates_its_task_only_when_the_content_changed(world):
    contact = world.hs_contact("jane@example.com")
    world.sf_contact("jane@example.com")
    world.enable(call=True)
    call = world.hs_engagement("calls", {"hs_call_title": "Intro"}, contacts=(contact,))
    world.sync()
    record = world.hubspot.objects["calls"][call]

    world.hubspot.record_update(record, {"hs_call_title": "Intro (rescheduled)"})
    changed = world.sync()
    world.hubspot.record_update(record, {"hs_call_direction": "OUTBOUND"})  # not carried over
    unchanged = world.sync()

    (task,) = world.sf_tasks()
    assert task["Subject"] == "Intro (rescheduled)"
    assert (changed.salesforce_updated, changed.salesforce_created) == (1, 0)
    assert (unchanged.hubspot_read, unchanged.salesforce_updated) == (1, 0)


def test_a_new_owner_of_a_synced_hubspot_activity_reassigns_its_task(world):
    owners = {}
    for name in ("ann", "bob"):
        owner = world.hubspot.user_add(email=f"{name}@acme.example", first=name, last="Lee")
        user = world.salesforce.user_add(
            first_name=name, last_name="Lee", email=f"{name}@acme.example"
        )
        world.map_owner(owner["id"], user)
        owners[name] = (str(owner["id"]), user)
    contact = world.hs_contact("jane@example.com")
    world.sf_contact("jane@example.com")
    world.enable(call=True)
    properties = {"hs_call_title": "Intro", "hubspot_owner_id": owners["ann"][0]}
    call = world.hs_engagement("calls", properties, contacts=(contact,))
    world.sync()
    assert world.sf_tasks()[0]["OwnerId"] == owners["ann"][1]

    world.hubspot.record_update(
        world.hubspot.objects["calls"][call], {"hubspot_owner_id": owners["bob"][0]}
    )
    run = world.sync()

    (task,) = world.sf_tasks()
    assert (task["OwnerId"], task["Subject"]) == (owners["bob"][1], "Intro")
    assert run.salesforce_updated == 1


def test_a_hubspot_task_that_came_from_salesforce_is_never_written_back(world):
    world.enable(salesforce_tasks=True, hubspot_task=True)
    task_id = world.sf_task(Subject="From Salesforce")
    world.sync()
    (hs_task,) = world.hs_tasks()
    world.hubspot.record_update(hs_task, {"hs_task_subject": "Edited in HubSpot"})

    run = world.sync()

    assert world.salesforce.records["Task"][task_id]["Subject"] == "From Salesforce"
    assert (run.salesforce_updated, run.salesforce_created, run.echoes_skipped) == (0, 0, 1)


# --- retries of failed links --------------------------------------------------------------------
def _failing_meeting(world):
    world.salesforce.task_type_values_set(["Call", "Webinar"])
    contact = world.hs_contact("jane@example.com")
    world.sf_contact("jane@example.com")
    world.enable(meeting="Webinar")
    world.salesforce.task_type_values_set(["Call"])
    return world.hs_engagement("meetings", {"hs_meeting_title": "Demo"}, contacts=(contact,))


def test_a_failed_link_is_retried_on_the_next_run_and_the_first_finding_is_kept(world):
    meeting = _failing_meeting(world)
    first = world.sync()
    world.salesforce.task_type_values_set(["Call", "Webinar"])  # the admin restores the value

    second = world.sync()

    (task,) = world.sf_tasks()
    assert task["Type"] == "Webinar"
    link = ActivityLink.objects.get(hubspot_id=meeting)
    assert (link.state, link.attempts, link.salesforce_id) == ("linked", 2, task["Id"])
    assert (second.retried, second.salesforce_created) == (1, 1)
    assert (Reason.PICKLIST_VALUE, meeting) in reasons(first)
    assert world.sync().retried == 0


def test_retries_are_bounded_and_the_last_one_says_it_gave_up(world):
    meeting = _failing_meeting(world)

    runs = [world.sync() for _ in range(4)]

    assert [r.retried for r in runs] == [0, 1, 1, 0]
    link = ActivityLink.objects.get(hubspot_id=meeting)
    assert (link.state, link.attempts) == ("failed", 3)
    gave_up = ActivityFinding.objects.filter(reason=Reason.GAVE_UP, source_id=meeting)
    assert [f.run_id for f in gave_up] == [runs[2].pk]
    assert world.sf_tasks() == []


def test_a_failed_form_submission_is_retried_from_what_the_link_kept(world):
    world.salesforce.task_type_values_set(["Call", "Web"])
    world.sf_contact("jane@example.com")
    world.enable(form_submission="Web")
    world.salesforce.task_type_values_set(["Call"])
    form = world.hubspot.form_add("Demo request")
    submission = world.hs_form_submission(form, "jane@example.com")
    world.sync()
    assert ActivityLink.objects.get(hubspot_id=submission).source["name"] == "Demo request"
    world.salesforce.task_type_values_set(["Call", "Web"])

    run = world.sync()

    (task,) = world.sf_tasks()
    assert (task["Subject"], run.retried) == ("Submitted: Demo request", 1)
    link = ActivityLink.objects.get(hubspot_id=submission)
    assert (link.state, link.source) == ("linked", {})


def test_a_failed_salesforce_task_is_retried_into_hubspot(world, monkeypatch):
    from connectors.errors import PermanentError
    from connectors.hubspot.client import HubSpotClient

    world.enable(salesforce_tasks=True)
    task_id = world.sf_task(Subject="Refused once")

    def refuse(*args, **kwargs):
        raise PermanentError("HubSpot said no", provider="hubspot", status=400)

    monkeypatch.setattr(HubSpotClient, "batch_create_tasks", refuse)
    monkeypatch.setattr(HubSpotClient, "task_create", refuse)
    first = world.sync()
    monkeypatch.undo()
    assert ActivityLink.objects.get(salesforce_id=task_id).state == "failed"

    second = world.sync()

    (task,) = world.hs_tasks()
    assert task.properties["hs_task_subject"] == "Refused once"
    assert (Reason.HUBSPOT_REFUSED, task_id) in reasons(first)
    assert (second.retried, second.hubspot_created) == (1, 1)


def test_without_the_deals_scope_tasks_sync_without_deal_links_and_the_run_says_why(world):
    world.hs_deal("Renewal")
    opportunity = world.sf_opportunity("Renewal")
    world.enable(salesforce_tasks=True)
    world.sf_task(Subject="One", WhatId=opportunity)
    world.sf_task(Subject="Two", WhatId=opportunity)
    for grant in world.hubspot.oauth.by_access.values():
        grant.scopes = [s for s in grant.scopes if s != "crm.objects.deals.read"]

    run = world.sync()

    assert run.hubspot_created == 2
    (finding,) = run.findings.filter(reason=Reason.CONNECTION)  # once per run, not per task
    assert finding.source_type == "deals"
    assert run.status == Status.PARTIAL


def test_an_email_event_recorded_late_is_still_synced(world):
    world.sf_contact("jane@example.com")
    world.sf_contact("joe@example.com")
    world.enable(**MARKETING)
    campaign = world.hubspot.marketing_email_add("Spring newsletter", subject="Spring")
    world.hs_email_event(campaign, "SENT", "jane@example.com", world.after(600))
    world.sync()
    world.hs_email_event(campaign, "SENT", "joe@example.com", world.after(500))

    run = world.sync()

    assert run.salesforce_created == 1
    assert len(world.sf_tasks()) == 2


def test_the_look_back_never_reaches_before_switching_on(world, monkeypatch):
    # Reads that start two minutes after switching on look back five: not past the switch-on.
    monkeypatch.setattr(reads, "now_ms", lambda: ms(world.after(120)))
    world.sf_contact("jane@example.com")
    campaign = world.hubspot.marketing_email_add("Launch", subject="Launch")
    before = world.hs_email_event(campaign, "SENT", "jane@example.com", world.before(120))
    world.enable(**MARKETING)
    world.hs_email_event(campaign, "SENT", "jane@example.com", world.after(60))
    first, second = world.sync(), world.sync()
    assert len(world.sf_tasks()) == 1
    assert not any(source == before for run in (first, second) for _, source in reasons(run))


# --- a grant without a permission ---------------------------------------------------------------
def _without_scopes(world, *scopes: str) -> None:
    from connectors.models import Connection

    token = Connection.objects.get(organization=world.organization, provider="hubspot").access_token
    grant = world.hubspot.oauth.by_access[token]
    grant.scopes = [scope for scope in grant.scopes if scope not in scopes]


def test_a_missing_forms_scope_is_one_finding_and_the_run_goes_on(world):
    world.enable(form_submission=True)
    world.hubspot.form_add("Contact us")
    _without_scopes(world, "forms")

    run = world.sync()

    assert run.status != Status.FAILED, [*reasons(run), run.summary]
    [finding] = [f for f in run.findings.all() if f.reason == Reason.CONNECTION]
    assert "approve the `forms` and `content` permissions" in finding.message
