"""Activity sync API budgets: lookups and writes cost a few calls per chunk, not one per item
(Salesforce SOQL per email, HubSpot searches per name, HubSpot task updates per task)."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from connectors.salesforce.sandbox_schema import SOBJECTS
from sync.activities.configuration import user_mappings_suggest_for
from sync.activities.deals import hubspot_deals_by_name
from sync.activities.models import ActivityFindingReason as Reason
from sync.activities.people import hubspot_companies_by_name
from sync.models import ActivityLink, ActivityUserMapping
from tests.sync.activities.activities_world import activity_world_make

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(sandbox, org_a, manager_a):
    return activity_world_make(sandbox, org_a, manager_a)


def calls(fake, since: int, *, method: str | None = None, ending: str = "") -> int:
    return sum(
        path.endswith(ending) and (method is None or verb == method)
        for verb, path in fake.request_log[since:]
    )


def salesforce_queries(world, since: int) -> int:
    return calls(world.salesforce, since, method="GET", ending="/query")


def people(world, prefix: str, count: int) -> list[str]:
    """`count` emails: a third Contacts, a third unconverted Leads, a third unknown."""
    emails = [f"{prefix}{i}@example.com" for i in range(count)]
    for i, email in enumerate(emails):
        if i % 3 == 0:
            world.sf_contact(email)
        elif i % 3 == 1:
            values = {"LastName": f"L{i}", "Company": "Initech", "Email": email}
            world.sf_insert("Lead", values, world.before())
    return emails


# --- F10: Salesforce lookups of people, per chunk ------------------------------------------------
def test_marketing_recipients_are_looked_up_in_two_salesforce_queries_per_chunk(world):
    world.enable(marketing_email_sent=True)
    campaign = world.hubspot.marketing_email_add("News", subject="News")
    for email in people(world, "many", 40):
        world.hs_email_event(campaign, "SENT", email, world.after(120))
    mark = len(world.salesforce.request_log)

    run = world.sync()

    assert run.salesforce_created == 27  # 14 Contacts and 13 Leads; the rest are skipped
    assert len({t["WhoId"] for t in world.sf_tasks()}) == 27
    assert salesforce_queries(world, mark) == 2  # one for Contacts, one for Leads (was 66)


def test_engagement_candidates_are_looked_up_in_two_salesforce_queries_per_chunk(world):
    world.enable(note=True)
    for email in people(world, "note", 30):
        contact = world.hs_contact(email)
        world.hs_engagement("notes", {"hs_note_body": email}, contacts=(contact,))
    mark = len(world.salesforce.request_log)

    run = world.sync()

    assert run.salesforce_created == 20
    assert salesforce_queries(world, mark) == 2  # one for Contacts, one for Leads (was 50)


# --- F11: HubSpot companies and deals by name, per page ------------------------------------------
def test_related_companies_and_deals_take_one_search_each_per_page(world):
    world.enable(salesforce_tasks=True)
    expected = {}
    for i in range(30):
        company = world.hubspot.record_create("companies", {"name": f"Company {i}"}).id
        deal = world.hs_deal(f"Deal {i}")
        account = world.sf_insert("Account", {"Name": f"Company {i}"}, world.before())
        opportunity = world.sf_opportunity(f"Deal {i}", AccountId=account)
        task = world.sf_task(Subject=f"Task {i}", WhatId=opportunity)
        expected[task] = (company, deal)
    mark = len(world.hubspot.request_log)

    run = world.sync()

    assert run.hubspot_created == 30
    assert calls(world.hubspot, mark, ending="/companies/search") == 1
    assert calls(world.hubspot, mark, ending="/deals/search") == 1
    for link in ActivityLink.objects.filter(salesforce_id__in=expected):
        company, deal = expected[link.salesforce_id]
        for to_type, wanted in (("companies", company), ("deals", deal)):
            linked = world.hubspot.associations_of("tasks", link.hubspot_id, to_type)
            assert [str(row["toObjectId"]) for row in linked] == [wanted]


class CountingHubSpot:
    def __init__(self, rows):
        self.rows, self.searches = rows, []

    def search_in(self, object_type, property_name, values, *, properties=()):
        self.searches.append(sorted(values))
        wanted = {v.casefold() for v in values}
        return iter(r for r in self.rows if r["properties"][property_name].casefold() in wanted)


def test_names_are_searched_once_per_run_with_the_exact_match_rules_kept():
    hubspot = CountingHubSpot(
        [
            {"id": "1", "properties": {"name": "Initech", "dealname": "Renewal"}},
            {"id": "2", "properties": {"name": "INITECH", "dealname": "Upsell"}},
            {"id": "3", "properties": {"name": "Globex", "dealname": "upsell"}},
        ]
    )
    ctx = SimpleNamespace(hubspot=hubspot, companies={}, deals={})

    first = hubspot_companies_by_name(ctx, {"initech", "Globex", "Hooli"})
    again = hubspot_companies_by_name(ctx, {"Initech", "Globex"})
    deals = hubspot_deals_by_name(ctx, {"Renewal", "renewal", "Upsell"})
    hubspot_deals_by_name(ctx, {"Renewal"})

    assert first == {"initech": "1", "Globex": "3", "Hooli": None}  # first match, any case
    assert again == {"Initech": "1", "Globex": "3"}
    # Exact name, and no other deal with the name in another case.
    assert deals == {"Renewal": "1", "renewal": None, "Upsell": None}
    assert hubspot.searches == [
        ["Globex", "Hooli", "initech"],
        ["Initech"],
        ["Renewal", "Upsell", "renewal"],
    ]


# --- F12: HubSpot task updates in batches --------------------------------------------------------
def test_changed_salesforce_tasks_update_hubspot_in_one_batch_and_refusals_are_findings(world):
    world.enable(salesforce_tasks=True)
    tasks = [world.sf_task(Subject=f"Task {i}") for i in range(5)]
    assert world.sync().hubspot_created == 5
    links = {link.salesforce_id: link for link in ActivityLink.objects.all()}
    gone = links[tasks[0]]
    world.hubspot.record_archive("tasks", gone.hubspot_id)
    for task_id in tasks:
        record = world.salesforce.records["Task"][task_id]
        world.salesforce._apply(SOBJECTS["Task"], record, {"Status": "Completed"})
    mark = len(world.hubspot.request_log)

    run = world.sync()

    assert calls(world.hubspot, mark, ending="/tasks/batch/update") == 1
    assert calls(world.hubspot, mark, method="PATCH") == 0
    assert run.hubspot_updated == 4
    (refusal,) = run.findings.filter(reason=Reason.HUBSPOT_REFUSED)
    assert (refusal.source_id, "OBJECT_NOT_FOUND" in refusal.message) == (tasks[0], True)
    updated = {t.id: t.properties["hs_task_status"] for t in world.hs_tasks()}
    assert set(updated.values()) == {"COMPLETED"} and len(updated) == 4
    after = {link.salesforce_id: link for link in ActivityLink.objects.all()}
    assert after[tasks[0]].last_seen_hash == gone.last_seen_hash  # tried again on next change
    assert all(after[t].last_seen_hash != links[t].last_seen_hash for t in tasks[1:])
    assert all(after[t].updated_at > links[t].updated_at for t in tasks[1:])


def test_a_batch_update_hubspot_refuses_whole_falls_back_to_one_by_one(world, monkeypatch):
    from connectors.errors import PermanentError
    from connectors.hubspot.client import HubSpotClient

    world.enable(salesforce_tasks=True)
    tasks = [world.sf_task(Subject=f"Task {i}") for i in range(3)]
    world.sync()
    for task_id in tasks:
        record = world.salesforce.records["Task"][task_id]
        world.salesforce._apply(SOBJECTS["Task"], record, {"Subject": "Changed"})

    def refused(self, updates):
        raise PermanentError("VALIDATION_ERROR", provider="hubspot", status=400)

    monkeypatch.setattr(HubSpotClient, "batch_update_tasks", refused)
    run = world.sync()

    assert run.hubspot_updated == 3
    assert {t.properties["hs_task_subject"] for t in world.hs_tasks()} == {"Changed"}


# --- owners: one User query --------------------------------------------------------------------
def test_user_suggestions_look_every_owner_up_in_one_salesforce_query(world):
    expected = {}
    for i in range(12):
        owner = world.hubspot.user_add(email=f"rep{i}@acme.example", first="Rep", last=str(i))
        if i % 2 == 0:
            expected[owner["id"]] = world.salesforce.user_add(
                first_name="Rep", last_name=str(i), email=f"REP{i}@acme.example"
            )
    mark = len(world.salesforce.request_log)

    user_mappings_suggest_for(world.organization)

    assert salesforce_queries(world, mark) == 1
    rows = ActivityUserMapping.objects.filter(hubspot_owner_id__in=expected)
    assert {row.hubspot_owner_id: row.salesforce_user_id for row in rows} == expected


def test_settings_and_mapping_calls_carry_their_context(world):
    from connectors.models import ApiCall
    from sync.activities.configuration import task_type_choices

    before = ApiCall.objects.count()
    task_type_choices(world.organization.pk)
    user_mappings_suggest_for(world.organization)
    contexts = {(c.provider, c.context) for c in list(ApiCall.objects.order_by("pk"))[before:]}
    org = world.organization.pk
    assert contexts == {
        ("salesforce", f"activity-settings:{org}"),
        ("salesforce", f"activity-user-mapping:{org}"),
        ("hubspot", f"activity-user-mapping:{org}"),
    }


def test_mapping_without_a_connection_says_which_one(world):
    from connectors.errors import ConnectionUnavailableError
    from connectors.models import Connection

    Connection.objects.filter(organization=world.organization, provider="salesforce").delete()
    with pytest.raises(ConnectionUnavailableError, match="Salesforce is not connected"):
        user_mappings_suggest_for(world.organization)


def test_deals_refused_for_a_missing_scope_are_one_finding_and_no_links():
    from connectors.errors import MissingScopeError, PermanentError

    class Refusing:
        def search_in(self, *args, **kwargs):
            raise MissingScopeError("scopes", provider="hubspot", status=403, scopes=("x",))

    findings = []
    ctx = SimpleNamespace(
        hubspot=Refusing(), deals={}, finding_once=lambda key, **f: findings.append((key, f))
    )
    assert hubspot_deals_by_name(ctx, {"Renewal"}) == {"Renewal": None}
    [(key, finding)] = findings
    assert (key, finding["reason"]) == ("deals", Reason.CONNECTION)

    class Invalid:
        def search_in(self, *args, **kwargs):
            raise PermanentError("bad", provider="hubspot", status=400)

    with pytest.raises(PermanentError):
        hubspot_deals_by_name(SimpleNamespace(hubspot=Invalid(), deals={}), {"Renewal"})
