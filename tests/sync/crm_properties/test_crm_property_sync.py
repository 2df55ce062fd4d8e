"""CRM property sync for routing, against the HubSpot sandbox: settings validation, "Test sync",
incremental runs (cursor boundaries, the 10,000-result cap, deletions, resuming), the manual
two-hour limit, the nightly job, the routing selector and the admin's role rules."""

from __future__ import annotations

import datetime as dt
import threading

import pytest
from django.contrib.messages import get_messages
from django.db import connection as db_connection
from django.urls import reverse
from django.utils import timezone
from django_q.models import OrmQ

from accounts.models import Role
from connectors.demo import sandbox_connect
from connectors.errors import TransientError
from connectors.hubspot import client as hubspot_client_module
from connectors.hubspot.client import HubSpotClient
from connectors.hubspot.sandbox_schema import property_definition
from jobs.lifecycle import EXECUTE_TASK
from jobs.models import RunProblem
from jobs.scheduling import periodic_job_by_name
from jobs.tasks import run_execute
from sync.crm_properties import execution
from sync.crm_properties.execution import crm_sync_run_execute
from sync.crm_properties.jobs import crm_property_sync_nightly
from sync.crm_properties.properties import PropertyCheck, crm_sync_settings_save, crm_test_sync
from sync.crm_properties.runs import crm_manual_sync_request, crm_sync_request, duration_text
from sync.crm_properties.selectors import crm_snapshot_for_email
from sync.cursors import LOOKBACK_MS, ReadCursor, now_ms
from sync.models import CrmRecord, CrmSyncRun, CrmSyncSettings
from tests.factories import organization_make, user_make

pytestmark = pytest.mark.django_db
T0 = 1_767_225_600_000  # 2026-01-01T00:00:00Z in ms


def crm_property_sync(organization, trigger) -> CrmSyncRun:
    """Request a run and deliver its task at once, as a worker would."""
    run = crm_sync_request(organization=organization, trigger=trigger)
    crm_sync_run_execute(run.pk)
    run.refresh_from_db()
    return run


def running_run(organization, trigger) -> CrmSyncRun:
    """A run some worker is running right now."""
    return CrmSyncRun.objects.create(
        organization=organization,
        trigger=trigger,
        status=CrmSyncRun.Status.RUNNING,
        started_at=timezone.now(),
        attempts=1,
    )


MINUTE = 60_000


@pytest.fixture
def hubspot(sandbox, org_a, manager_a):
    """org_a connected to a fresh HubSpot sandbox with a custom contact property `segment`."""
    fake = sandbox.fakes["hubspot"]
    fake.properties["contacts"]["segment"] = property_definition(
        "segment", "string", "text", group="contactinformation"
    )
    sandbox_connect(organization=org_a, user=manager_a, provider_key="hubspot")
    return fake


@pytest.fixture
def crm_settings(org_a, hubspot):
    return CrmSyncSettings.objects.create(
        organization=org_a,
        contact_properties=["segment", "lifecyclestage"],
        company_properties=["industry"],
    )


def contact_add(fake, email, *, at=T0, company=None, primary=False, **properties):
    record = fake.record_create("contacts", {"email": email, **properties}, at_ms=at)
    if company is not None:
        fake.associate("contacts", record.id, "companies", company.id, 1 if primary else None)
    return record


def company_add(fake, domain, *, at=T0, **properties):
    return fake.record_create(
        "companies", {"domain": domain, "name": domain, **properties}, at_ms=at
    )


def touch(record, at, **properties):
    """Change a sandbox record as if edited in HubSpot at `at` (ms)."""
    record.properties.update(properties)
    record.updated_ms = at


def stored(org, kind=CrmRecord.ObjectType.CONTACT):
    return {r.hubspot_id: r for r in CrmRecord.objects.filter(organization=org, object_type=kind)}


def searches(fake, object_type="contacts"):
    return sum(path == f"/crm/v3/objects/{object_type}/search" for _, path in fake.request_log)


def messages_of(response):
    return [str(m) for m in get_messages(response.wsgi_request)]


def settings_url(settings, view="change"):
    name = {"change": "change", "test": "test_sync", "sync": "sync_now"}[view]
    return reverse(f"admin:sync_crmsyncsettings_{name}", args=[settings.pk])


# --- settings validation ------------------------------------------------------------------------


def add_form_post(client, organization, contacts, companies):
    return client.post(
        reverse("admin:sync_crmsyncsettings_add"),
        {
            "organization": organization.pk,
            "contact_properties": contacts,
            "company_properties": companies,
        },
    )


def test_settings_reject_malformed_property_names(client, hubspot, org_a, manager_a):
    client.force_login(manager_a)

    response = add_form_post(client, org_a, "segment", "industry, bad-name, 9lives")

    assert response.status_code == 200
    errors = response.context["adminform"].form.errors
    assert "bad-name" in errors["company_properties"][0]
    assert "9lives" in errors["company_properties"][0]
    assert not CrmSyncSettings.objects.exists()


def test_settings_name_the_properties_missing_in_hubspot(client, hubspot, org_a, manager_a):
    client.force_login(manager_a)
    before = searches(hubspot)

    response = add_form_post(client, org_a, "segment\nno_such_thing", "industry\nsegment")

    errors = response.context["adminform"].form.errors
    assert errors["contact_properties"] == [
        "Not found among HubSpot's contact properties: no_such_thing"
    ]
    assert errors["company_properties"] == [
        "Not found among HubSpot's company properties: segment"  # a contact-only property
    ]
    property_calls = [p for _, p in hubspot.request_log if p.startswith("/crm/v3/properties/")]
    assert sorted(property_calls) == ["/crm/v3/properties/companies", "/crm/v3/properties/contacts"]
    assert searches(hubspot) == before
    assert not CrmSyncSettings.objects.exists()


def test_settings_without_hubspot_connection_get_a_clear_error(client, db):
    org = organization_make("Gamma")
    manager = user_make(org)
    client.force_login(manager)

    response = add_form_post(client, org, "segment", "")

    errors = str(response.context["adminform"].form.errors)
    assert "HubSpot is not connected: connect it under Connections." in errors
    assert not CrmSyncSettings.objects.exists()


def test_valid_settings_are_saved_deduplicated(client, hubspot, org_a, manager_a):
    client.force_login(manager_a)

    response = add_form_post(client, org_a, "segment, lifecyclestage\nsegment", "industry")

    assert response.status_code == 302
    saved = CrmSyncSettings.objects.get(organization=org_a)
    assert saved.contact_properties == ["segment", "lifecyclestage"]
    assert saved.company_properties == ["industry"]


def test_changing_a_list_restarts_only_that_types_cursor(crm_settings):
    CrmSyncSettings.objects.filter(pk=crm_settings.pk).update(
        contact_cursor_ms=T0,
        contact_cursor_ids=["1"],
        company_cursor_ms=T0,
        company_cursor_ids=["2"],
    )
    crm_settings.refresh_from_db()
    crm_settings.company_properties = ["industry", "city"]

    crm_sync_settings_save(settings=crm_settings)

    crm_settings.refresh_from_db()
    assert (crm_settings.contact_cursor_ms, crm_settings.contact_cursor_ids) == (T0, ["1"])
    assert (crm_settings.company_cursor_ms, crm_settings.company_cursor_ids) == (0, [])


# --- test sync ----------------------------------------------------------------------------------


def test_test_sync_reports_missing_properties_and_writes_nothing(
    client, hubspot, crm_settings, manager_a
):
    contact_add(hubspot, "jane@acme.example", segment="smb")
    del hubspot.properties["companies"]["industry"]  # deleted in HubSpot after saving
    before = CrmSyncSettings.objects.values().get(pk=crm_settings.pk)
    client.force_login(manager_a)

    response = client.post(settings_url(crm_settings, "test"))

    assert response.status_code == 302
    [message] = messages_of(response)
    assert message == "Test sync: Not found in HubSpot: company properties industry."
    assert not CrmRecord.objects.exists()
    assert not CrmSyncRun.objects.exists()
    assert CrmSyncSettings.objects.values().get(pk=crm_settings.pk) == before
    assert not OrmQ.objects.exists()
    assert searches(hubspot) == 0


def test_test_sync_passes_when_every_property_exists(hubspot, crm_settings, org_a):
    check = crm_test_sync(organization=org_a)

    assert check.ok
    assert check.summary() == "All 3 properties exist in HubSpot."
    assert isinstance(check, PropertyCheck)


# --- sync runs ----------------------------------------------------------------------------------


def test_sync_stores_contacts_and_companies_with_the_chosen_properties(
    hubspot, crm_settings, org_a
):
    acme = company_add(hubspot, "acme.example", industry="Software", city="Berlin")
    other = company_add(hubspot, "other.example", industry="Retail")
    owner = hubspot.user_add(email="bob@meetbridge.example", first="Bob", last="B")
    jane = contact_add(
        hubspot, "Jane@Acme.example", segment="enterprise", hubspot_owner_id=owner["id"]
    )
    hubspot.associate("contacts", jane.id, "companies", other.id)  # unlabeled
    hubspot.associate("contacts", jane.id, "companies", acme.id, 1)  # primary
    solo = contact_add(hubspot, "solo@nowhere.example", company=other)

    run = crm_property_sync(org_a, CrmSyncRun.Trigger.NIGHTLY)

    assert run.status == CrmSyncRun.Status.SUCCEEDED, run.summary
    assert (run.contacts, run.companies, run.problem) == (2, 2, "")
    assert run.finished_at is not None
    contacts = stored(org_a)
    assert contacts[jane.id].email == "jane@acme.example"
    assert contacts[jane.id].hubspot_owner_id == owner["id"]
    assert contacts[jane.id].company_hubspot_id == acme.id
    assert contacts[jane.id].properties == {"segment": "enterprise", "lifecyclestage": ""}
    assert contacts[solo.id].company_hubspot_id == other.id  # the only company
    companies = stored(org_a, CrmRecord.ObjectType.COMPANY)
    assert companies[acme.id].domain == "acme.example"
    assert companies[acme.id].properties == {"industry": "Software"}  # city is not chosen


def test_second_run_reads_only_changed_records(hubspot, crm_settings, org_a):
    records = [contact_add(hubspot, f"c{n}@acme.example", at=T0 + n * MINUTE) for n in range(5)]
    crm_property_sync(org_a, CrmSyncRun.Trigger.NIGHTLY)
    touch(records[1], T0 + 10 * MINUTE, segment="changed")

    run = crm_property_sync(org_a, CrmSyncRun.Trigger.NIGHTLY)

    assert (run.contacts, run.companies) == (1, 0)
    assert stored(org_a)[records[1].id].properties["segment"] == "changed"
    assert CrmRecord.objects.filter(organization=org_a).count() == 5


def test_records_sharing_the_cursor_millisecond_are_neither_skipped_nor_read_twice(
    hubspot, crm_settings, org_a
):
    first = [contact_add(hubspot, f"a{n}@acme.example", at=T0) for n in range(3)]
    crm_property_sync(org_a, CrmSyncRun.Trigger.NIGHTLY)
    crm_settings.refresh_from_db()
    assert crm_settings.contact_cursor_ms == T0
    assert _cursor_ids(crm_settings) == sorted(r.id for r in first)
    # Created after the run but stamped with the same millisecond (a HubSpot import).
    late = contact_add(hubspot, "late@acme.example", at=T0, segment="smb")

    run = crm_property_sync(org_a, CrmSyncRun.Trigger.NIGHTLY)

    assert run.contacts == 1
    assert stored(org_a)[late.id].properties["segment"] == "smb"
    crm_settings.refresh_from_db()
    assert _cursor_ids(crm_settings) == sorted(r.id for r in [*first, late])


def _cursor_ids(crm_settings) -> list[str]:
    cursor = ReadCursor.load(crm_settings.contact_cursor_ms, crm_settings.contact_cursor_ids)
    return sorted(cursor.seen)


def test_a_change_the_search_index_shows_late_is_read_by_the_next_run(hubspot, crm_settings, org_a):
    newest = now_ms() - MINUTE
    contact_add(hubspot, "early@acme.example", at=newest - 30 * MINUTE)
    contact_add(hubspot, "newest@acme.example", at=newest)
    crm_property_sync(org_a, CrmSyncRun.Trigger.NIGHTLY)
    # Modified before the newest change read, but visible only now (HubSpot's index lags).
    late = contact_add(hubspot, "late@acme.example", at=newest - 2 * MINUTE, segment="smb")
    too_old = contact_add(hubspot, "old@acme.example", at=newest - LOOKBACK_MS - MINUTE)

    run = crm_property_sync(org_a, CrmSyncRun.Trigger.NIGHTLY)

    assert run.contacts == 1  # the late one; the two read before are not stored again
    assert stored(org_a)[late.id].properties["segment"] == "smb"
    # The look-back is bounded: a change that late is left to the next full resync.
    assert too_old.id not in stored(org_a)


def test_sync_reads_past_the_search_result_cap(hubspot, crm_settings, org_a, monkeypatch):
    # The cap is lowered on both sides (fake and client) so that 65 records cross it 3 times.
    hubspot.search_result_cap = 20
    monkeypatch.setattr(hubspot_client_module, "SEARCH_RESULT_CAP", 20)
    monkeypatch.setattr(execution, "CHUNK", 7)
    made = [
        contact_add(hubspot, f"p{n}@acme.example", at=T0 + (n // 4) * MINUTE) for n in range(65)
    ]

    run = crm_property_sync(org_a, CrmSyncRun.Trigger.NIGHTLY)

    assert run.status == CrmSyncRun.Status.SUCCEEDED, run.summary
    assert run.contacts == 65  # each record stored once: no gap, no double
    assert set(stored(org_a)) == {r.id for r in made}
    assert searches(hubspot) >= 4  # the search restarted below the cap


def test_deleted_records_are_removed(hubspot, crm_settings, org_a):
    keep = contact_add(hubspot, "keep@acme.example")
    gone = contact_add(hubspot, "gone@acme.example")
    company = company_add(hubspot, "gone.example")
    crm_property_sync(org_a, CrmSyncRun.Trigger.NIGHTLY)
    hubspot.record_archive("contacts", gone.id)
    hubspot.record_archive("companies", company.id)

    run = crm_property_sync(org_a, CrmSyncRun.Trigger.NIGHTLY)

    assert run.status == CrmSyncRun.Status.SUCCEEDED
    assert set(stored(org_a)) == {keep.id}
    assert not stored(org_a, CrmRecord.ObjectType.COMPANY)


def test_a_failed_run_resumes_from_the_last_stored_chunk(hubspot, crm_settings, org_a, monkeypatch):
    monkeypatch.setattr(execution, "CHUNK", 5)
    for n in range(12):
        contact_add(hubspot, f"r{n}@acme.example", at=T0 + n * MINUTE)
    real = HubSpotClient.primary_company_ids
    calls = []

    def flaky(self, ids):
        calls.append(ids)
        if len(calls) == 3:
            raise TransientError("HubSpot is down", provider="hubspot", status=503)
        return real(self, ids)

    monkeypatch.setattr(HubSpotClient, "primary_company_ids", flaky)

    failed = crm_property_sync(org_a, CrmSyncRun.Trigger.NIGHTLY)

    assert failed.status == CrmSyncRun.Status.QUEUED  # retried later, with backoff
    assert failed.problem == RunProblem.VENDOR_UNAVAILABLE
    assert "HubSpot is down" in failed.summary
    assert failed.contacts == 10
    crm_settings.refresh_from_db()
    assert crm_settings.contact_cursor_ms == T0 + 9 * MINUTE

    CrmSyncRun.objects.filter(pk=failed.pk).update(not_before=timezone.now())
    crm_sync_run_execute(failed.pk)
    resumed = CrmSyncRun.objects.get(pk=failed.pk)

    assert resumed.status == CrmSyncRun.Status.SUCCEEDED
    assert resumed.contacts == 12  # 10 before the failure, the last 2 after it
    assert len(calls) == 4  # chunks 1-2, the failed third, then only the rest
    assert len(stored(org_a)) == 12


def test_a_run_past_its_time_budget_continues_in_a_new_task(
    hubspot, crm_settings, org_a, monkeypatch
):
    monkeypatch.setattr(execution, "CHUNK", 2)
    for n in range(5):
        contact_add(hubspot, f"t{n}@acme.example", at=T0 + n * MINUTE)
    monkeypatch.setattr(execution.CrmPropertySync, "time_budget", -1)
    run = crm_sync_request(organization=org_a, trigger=CrmSyncRun.Trigger.MANUAL)
    OrmQ.objects.all().delete()

    outcome = crm_sync_run_execute(run.pk)

    assert "continues" in outcome
    run.refresh_from_db()
    assert (run.status, run.attempts) == (CrmSyncRun.Status.QUEUED, 0)  # no attempt used up
    [task] = OrmQ.objects.all()
    assert task.func() == EXECUTE_TASK and task.args() == ("crm-property-sync", run.pk)
    while run.status == CrmSyncRun.Status.QUEUED:
        crm_sync_run_execute(run.pk)
        run.refresh_from_db()
    assert run.status == CrmSyncRun.Status.SUCCEEDED
    assert len(stored(org_a)) == 5


# --- manual sync --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("minutes", "text"),
    [(120, "2 h"), (72, "1 h 12 min"), (35, "35 min"), (0.1, "1 min"), (119.5, "2 h")],
)
def test_remaining_time_is_shown_in_hours_and_minutes(minutes, text):
    assert duration_text(dt.timedelta(minutes=minutes)) == text


def test_manual_sync_is_refused_within_two_hours_with_the_remaining_time(
    client, hubspot, crm_settings, org_a, manager_a
):
    client.force_login(manager_a)

    started = client.post(settings_url(crm_settings, "sync"))

    run = CrmSyncRun.objects.get()
    assert (run.trigger, run.status, run.requested_by) == ("manual", "queued", manager_a)
    assert messages_of(started)[0].startswith("Sync with HubSpot started.")
    [task] = OrmQ.objects.all()
    assert task.func() == EXECUTE_TASK and task.args() == ("crm-property-sync", run.pk)
    crm_sync_run_execute(run.pk)
    CrmSyncRun.objects.filter(pk=run.pk).update(
        created_at=run.created_at - dt.timedelta(minutes=47, seconds=30)
    )

    refused = client.post(settings_url(crm_settings, "sync"))

    assert messages_of(refused)[-1] == (
        "Sync with HubSpot refused: Next manual sync possible in 1 h 13 min."
    )
    assert CrmSyncRun.objects.count() == 1
    page = client.get(settings_url(crm_settings))
    assert "Next manual sync possible in 1 h 1" in page.content.decode()
    CrmSyncRun.objects.filter(pk=run.pk).update(created_at=run.created_at - dt.timedelta(hours=2))

    again = client.post(settings_url(crm_settings, "sync"))

    assert messages_of(again)[-1].startswith("Sync with HubSpot started.")
    assert CrmSyncRun.objects.count() == 2


def test_manual_sync_is_refused_while_a_sync_runs(client, hubspot, crm_settings, org_a, manager_a):
    nightly = running_run(org_a, CrmSyncRun.Trigger.NIGHTLY)
    client.force_login(manager_a)

    response = client.post(settings_url(crm_settings, "sync"))

    [message] = messages_of(response)
    assert "A sync with HubSpot is running" in message
    assert list(CrmSyncRun.objects.all()) == [nightly]
    assert not OrmQ.objects.exists()


def test_manual_sync_needs_hubspot_connected(db):
    org = organization_make("Gamma")
    CrmSyncSettings.objects.create(organization=org, company_properties=["industry"])

    outcome = crm_manual_sync_request(organization=org, user=user_make(org))

    assert not outcome.started
    assert "HubSpot is not connected" in outcome.message
    assert not CrmSyncRun.objects.exists()


def test_a_click_while_another_click_is_deciding_starts_no_second_run(
    hubspot, crm_settings, org_a, manager_a, monkeypatch
):
    from jobs import queue

    original = queue.async_task
    second = []

    def racing_enqueue(*args, **kwargs):
        # Another click arrives while the first holds the settings row and has made its run.
        second.append(crm_manual_sync_request(organization=org_a, user=manager_a))
        return original(*args, **kwargs)

    monkeypatch.setattr(queue, "async_task", racing_enqueue)

    first = crm_manual_sync_request(organization=org_a, user=manager_a)

    assert first.started
    assert not second[0].started
    assert CrmSyncRun.objects.count() == 1
    assert OrmQ.objects.count() == 1


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_clicks_on_postgresql_start_one_run(sandbox, org_a, manager_a):
    if db_connection.vendor != "postgresql":
        pytest.skip("row locks are real on PostgreSQL (DATABASE_URL=postgres://...)")
    fake = sandbox.fakes["hubspot"]
    sandbox_connect(organization=org_a, user=manager_a, provider_key="hubspot")
    assert fake is not None
    CrmSyncSettings.objects.create(organization=org_a, company_properties=["industry"])
    barrier = threading.Barrier(6)
    outcomes = []

    def click():
        barrier.wait()
        try:
            outcomes.append(crm_manual_sync_request(organization=org_a, user=manager_a))
        finally:
            db_connection.close()

    threads = [threading.Thread(target=click) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sum(o.started for o in outcomes) == 1
    assert CrmSyncRun.objects.count() == 1
    assert OrmQ.objects.count() == 1


# --- nightly ------------------------------------------------------------------------------------


def test_nightly_job_queues_one_task_per_connected_configured_organisation(
    hubspot, crm_settings, org_a, org_b
):
    CrmSyncSettings.objects.create(organization=org_b, company_properties=["industry"])  # no HS
    gamma = organization_make("Gamma")
    sandbox_connect(organization=gamma, user=user_make(gamma), provider_key="hubspot")
    CrmSyncSettings.objects.create(organization=gamma)  # connected, nothing chosen
    job = periodic_job_by_name("nightly-crm-property-sync")
    assert job.func == "sync.crm_properties.jobs.crm_property_sync_nightly"

    assert crm_property_sync_nightly() == "1 organisations queued"

    run = CrmSyncRun.objects.get()
    [task] = OrmQ.objects.all()
    assert task.func() == EXECUTE_TASK and task.args() == ("crm-property-sync", run.pk)
    contact_add(hubspot, "night@acme.example")
    assert run_execute(*task.args()).endswith("succeeded")
    run.refresh_from_db()
    assert (run.trigger, run.contacts) == (CrmSyncRun.Trigger.NIGHTLY, 1)


def test_the_nightly_job_joins_an_organisations_running_sync(hubspot, crm_settings, org_a):
    running = running_run(org_a, CrmSyncRun.Trigger.MANUAL)

    crm_property_sync_nightly()

    assert list(CrmSyncRun.objects.all()) == [running]
    assert not OrmQ.objects.exists()


# --- selector -----------------------------------------------------------------------------------


def test_selector_returns_contact_company_and_owner(hubspot, crm_settings, org_a, org_b):
    acme = company_add(hubspot, "acme.example", industry="Software")
    contact_add(
        hubspot,
        "jane@acme.example",
        company=acme,
        primary=True,
        segment="smb",
        hubspot_owner_id="101",
    )
    crm_property_sync(org_a, CrmSyncRun.Trigger.NIGHTLY)

    snapshot = crm_snapshot_for_email(organization=org_a, email=" JANE@acme.example ")

    assert snapshot.contact == {
        "segment": "smb",
        "lifecyclestage": "",
        "email": "jane@acme.example",
        "hubspot_owner_id": "101",
    }
    assert snapshot.company == {
        "industry": "Software",
        "domain": "acme.example",
        "hubspot_owner_id": "",
    }
    assert snapshot.hubspot_owner_id == "101"
    assert snapshot.company_hubspot_id == acme.id
    assert crm_snapshot_for_email(organization=org_b, email="jane@acme.example") is None


def test_selector_falls_back_to_the_company_of_the_email_domain(hubspot, crm_settings, org_a):
    company_add(hubspot, "acme.example", industry="Software")
    crm_property_sync(org_a, CrmSyncRun.Trigger.NIGHTLY)

    snapshot = crm_snapshot_for_email(organization=org_a, email="new.person@acme.example")

    assert snapshot.contact == {} and snapshot.hubspot_owner_id == ""
    assert snapshot.company["industry"] == "Software"
    assert crm_snapshot_for_email(organization=org_a, email="x@unknown.example") is None
    assert crm_snapshot_for_email(organization=org_a, email="not-an-email") is None


def test_selector_returns_only_the_properties_chosen_now(hubspot, crm_settings, org_a):
    contact_add(hubspot, "jane@acme.example", segment="smb", lifecyclestage="lead")
    crm_property_sync(org_a, CrmSyncRun.Trigger.NIGHTLY)
    CrmSyncSettings.objects.filter(pk=crm_settings.pk).update(contact_properties=["segment"])

    snapshot = crm_snapshot_for_email(organization=org_a, email="jane@acme.example")

    assert "lifecyclestage" not in snapshot.contact
    assert snapshot.contact["segment"] == "smb"


# --- admin roles --------------------------------------------------------------------------------


def test_member_sees_settings_without_buttons_and_cannot_press_them(
    client, hubspot, crm_settings, org_a
):
    member = user_make(org_a, role=Role.MEMBER)
    client.force_login(member)

    page = client.get(settings_url(crm_settings))

    assert page.status_code == 200
    html = page.content.decode()
    assert settings_url(crm_settings, "test") not in html
    assert settings_url(crm_settings, "sync") not in html
    assert client.post(settings_url(crm_settings, "test")).status_code == 403
    assert client.post(settings_url(crm_settings, "sync")).status_code == 403
    assert not CrmSyncRun.objects.exists()


@pytest.mark.parametrize("role", [Role.OWNER, Role.MANAGER])
def test_owners_and_managers_get_the_buttons(client, hubspot, crm_settings, org_a, role):
    client.force_login(user_make(org_a, role=role))

    html = client.get(settings_url(crm_settings)).content.decode()

    assert settings_url(crm_settings, "test") in html
    assert settings_url(crm_settings, "sync") in html
    assert "A manual sync is possible now." in html


def test_buttons_are_post_only_and_tenant_scoped(client, hubspot, crm_settings, org_b):
    other_manager = user_make(org_b)
    client.force_login(other_manager)
    assert client.post(settings_url(crm_settings, "sync")).status_code == 404
    assert client.post(settings_url(crm_settings, "test")).status_code == 404
    client.force_login(user_make(crm_settings.organization))
    assert client.get(settings_url(crm_settings, "sync")).status_code == 405
    assert client.get(settings_url(crm_settings, "test")).status_code == 405
    assert not CrmSyncRun.objects.exists()


def test_records_are_searchable_and_read_only(client, hubspot, crm_settings, org_a, manager_a):
    company_add(hubspot, "acme.example", industry="Software")
    contact_add(hubspot, "jane@acme.example")
    contact_add(hubspot, "bob@other.example")
    crm_property_sync(org_a, CrmSyncRun.Trigger.NIGHTLY)
    client.force_login(manager_a)
    url = reverse("admin:sync_crmrecord_changelist")

    by_email = client.get(url, {"q": "jane@"})
    by_domain = client.get(url, {"q": "acme.example", "object_type__exact": "company"})

    assert [r.email for r in by_email.context["cl"].result_list] == ["jane@acme.example"]
    assert [r.domain for r in by_domain.context["cl"].result_list] == ["acme.example"]
    record = CrmRecord.objects.filter(organization=org_a).first()
    response = client.post(reverse("admin:sync_crmrecord_change", args=[record.pk]), {})
    assert response.status_code == 403
    runs = client.get(reverse("admin:sync_crmsyncrun_changelist"))
    assert runs.status_code == 200
    assert not runs.context["has_add_permission"]
