"""Account, companies, properties, owners, users, engagements and associations via the client."""

from __future__ import annotations

import pytest

from connectors.errors import NotFoundError, PermanentError, RateLimitedError
from connectors.hubspot.client import EngagementInput

PROPERTY = {
    "name": "meetbridge_last_webinar",
    "label": "Last webinar",
    "type": "string",
    "fieldType": "text",
    "groupName": "meetbridge",
}


def test_account_details_name_the_portal(fake, hubspot):
    details = hubspot.account_details()
    assert details["portalId"] == fake.portal["portalId"]
    assert details["timeZone"] and details["uiDomain"]


def test_companies_get_batch_read_and_modified_since(fake, hubspot):
    fake.seed(contacts=0, companies=12, owners=1, meetings=0, tasks=0, notes=0)
    ids = sorted(fake.objects["companies"], key=int)
    assert hubspot.company_get(ids[0], properties=["domain"])["properties"]["domain"]
    assert hubspot.company_get("1") is None
    result = hubspot.batch_read_companies([*ids[:3], "1"], properties=["name"])
    assert len(result.results) == 3 and result.missing_ids() == ["1"]
    changed = list(hubspot.modified_since("companies", 0, properties=["name"]))
    assert sorted(row["id"] for row in changed) == ids
    assert all("hs_lastmodifieddate" in row["properties"] for row in changed)


def test_property_group_and_property_ensure_are_idempotent(fake, hubspot):
    group = hubspot.property_group_ensure("contacts", name="meetbridge", label="Meetbridge")
    again = hubspot.property_group_ensure("contacts", name="meetbridge", label="Meetbridge")
    assert group == again
    created = hubspot.property_ensure("contacts", PROPERTY)
    assert created["name"] == PROPERTY["name"] and created["hubspotDefined"] is False
    assert hubspot.property_ensure("contacts", PROPERTY) == created
    creates = [m for m, p in fake.request_log if m == "POST" and p.startswith("/crm/v3/properties")]
    assert len(creates) == 2  # one group, one property
    names = {p["name"] for p in hubspot.properties_list("contacts")}
    assert {"email", "hs_additional_emails", PROPERTY["name"]} <= names
    assert hubspot.property_get("contacts", "no_such_thing") is None
    # The new property can now be written.
    contact = hubspot.contact_create({"email": "p@acme.example", PROPERTY["name"]: "Intro"})
    assert contact["properties"][PROPERTY["name"]] == "Intro"


def test_property_create_validates_type_pairs_groups_and_duplicates(hubspot):
    hubspot.property_group_ensure("contacts", name="meetbridge", label="Meetbridge")
    with pytest.raises(PermanentError, match="fieldType 'number' is not valid for type 'string'"):
        hubspot.property_create("contacts", {**PROPERTY, "fieldType": "number"})
    with pytest.raises(PermanentError, match="does not exist"):
        hubspot.property_create("contacts", {**PROPERTY, "groupName": "nope"})
    with pytest.raises(PermanentError, match="Missing required"):
        hubspot.property_create("contacts", {"name": "x_y"})
    hubspot.property_create("contacts", PROPERTY)
    with pytest.raises(PermanentError) as caught:
        hubspot.property_create("contacts", PROPERTY)
    assert caught.value.status == 409


def test_owners_are_read_across_pages_and_by_email(fake, hubspot):
    fake.seed(contacts=0, companies=0, owners=8, meetings=0, tasks=0, notes=0)
    for i in range(120):
        fake.user_add(email=f"extra{i}@acme.example", first="E", last=str(i))
    owners = hubspot.owners()
    assert len(owners) == 1 + 8 + 120  # the default admin, the seeded and the extra ones
    assert len({o["id"] for o in owners}) == len(owners)
    alice = hubspot.owner_by_email("ALICE@acme.example")
    assert alice["email"] == "alice@acme.example" and alice["userId"]
    assert hubspot.owner_by_email("nobody@acme.example") is None
    assert {u["email"] for u in hubspot.users()} >= {"alice@acme.example", "bob@acme.example"}


def test_meeting_create_update_and_association_to_the_contact(fake, hubspot):
    contact = hubspot.contact_create({"email": "m@acme.example"})
    meeting = hubspot.meeting_create(
        {
            "hs_timestamp": "2026-03-02T10:00:00Z",
            "hs_meeting_title": "Demo",
            "hs_meeting_outcome": "SCHEDULED",
        },
        contact_ids=[contact["id"]],
    )
    assert meeting["properties"]["hs_timestamp"] == "2026-03-02T10:00:00.000Z"
    assert hubspot.associated_ids("meetings", meeting["id"], "contacts") == [contact["id"]]
    assert hubspot.associated_ids("contacts", contact["id"], "meetings") == [meeting["id"]]
    hubspot.meeting_update(meeting["id"], {"hs_meeting_outcome": "CANCELED"})
    stored = hubspot.engagement_get("meetings", meeting["id"], properties=["hs_meeting_outcome"])
    assert stored["properties"]["hs_meeting_outcome"] == "CANCELED"
    with pytest.raises(PermanentError, match="INVALID_OPTION"):
        hubspot.meeting_update(meeting["id"], {"hs_meeting_outcome": "MAYBE"})


def test_engagement_create_rejects_an_association_to_a_missing_record(hubspot):
    with pytest.raises(PermanentError, match="does not exist"):
        hubspot.task_create({"hs_timestamp": 1_750_000_000_000}, contact_ids=["999"])


def test_tasks_create_update_batch_create_in_chunks_and_search(fake, hubspot):
    contact = hubspot.contact_create({"email": "t@acme.example"})
    task = hubspot.task_create(
        {
            "hs_timestamp": 1_750_000_000_000,
            "hs_task_subject": "Call back",
            "hs_task_status": "NOT_STARTED",
        },
        contact_ids=[contact["id"]],
    )
    done = hubspot.task_update(task["id"], {"hs_task_status": "COMPLETED"})
    assert done["properties"]["hs_task_status"] == "COMPLETED"
    inputs = [
        EngagementInput(
            {"hs_timestamp": 1_750_000_000_000, "hs_task_subject": f"T{i}"},
            contact_ids=[contact["id"]],
        )
        for i in range(130)
    ]
    result = hubspot.batch_create_tasks(inputs)
    assert len(result.results) == 130 and result.ok
    assert len([p for _, p in fake.request_log if p == "/crm/v3/objects/tasks/batch/create"]) == 2
    changed = list(hubspot.engagements_modified_since("tasks", 0, properties=["hs_task_subject"]))
    assert len(changed) == 131
    assert len(hubspot.associated_ids("contacts", contact["id"], "tasks")) == 131


def test_associate_default_and_batch_read_associations(fake, hubspot):
    company = fake.record_create("companies", {"name": "Acme"})
    a = hubspot.contact_create({"email": "a@acme.example"})
    b = hubspot.contact_create({"email": "b@acme.example"})
    hubspot.associate_default("contacts", a["id"], "companies", company.id)
    linked = hubspot.batch_read_associations("contacts", "companies", [a["id"], b["id"], "77"])
    assert linked == {a["id"]: [company.id], b["id"]: [], "77": []}
    with pytest.raises(NotFoundError):
        hubspot.associate_default("contacts", a["id"], "companies", "404404")


def test_a_429_becomes_rate_limited_error_with_a_short_pause(fake, hubspot):
    fake.rate_limit_set("burst", limit=1, window=10.0)
    hubspot.account_details()
    with pytest.raises(RateLimitedError) as caught:
        hubspot.account_details()
    assert caught.value.status == 429
    # No Retry-After from HubSpot: its windows roll, so a second frees capacity (provider.py).
    assert caught.value.retry_after == 1.0
    assert caught.value.code == "RATE_LIMITS"


def test_seed_is_deterministic_and_realistic(settings):
    from connectors.hubspot.sandbox import HubSpotSandbox

    first, second = HubSpotSandbox(clock=lambda: 1.75e9), HubSpotSandbox(clock=lambda: 1.75e9)
    summary = first.seed(contacts=60, companies=10, owners=3, seed=7)
    assert summary == second.seed(contacts=60, companies=10, owners=3, seed=7)
    emails = [r.properties["email"] for r in first.objects["contacts"].values()]
    assert emails == [r.properties["email"] for r in second.objects["contacts"].values()]
    assert summary["archived_contacts"] == 3 and summary["contacts"] == 57
    assert {o["email"] for o in first.owners.values()} >= {
        "alice@acme.example",
        "carol@acme.example",
    }
    with_secondary = [
        r for r in first.objects["contacts"].values() if r.properties.get("hs_additional_emails")
    ]
    assert len(with_secondary) == 6
    assert first.summary()["meetings"] == 15


def test_batch_update_tasks_chunks_by_100_and_reports_unknown_ids(fake, hubspot):
    inputs = [
        EngagementInput({"hs_timestamp": 1_750_000_000_000, "hs_task_subject": f"T{i}"})
        for i in range(120)
    ]
    ids = [str(row["id"]) for row in hubspot.batch_create_tasks(inputs).results]
    mark = len(fake.request_log)

    result = hubspot.batch_update_tasks(
        [(i, {"hs_task_status": "COMPLETED"}) for i in ids]
        + [("999999", {"hs_task_status": "COMPLETED"})]
    )

    assert len([p for _, p in fake.request_log[mark:] if p.endswith("/batch/update")]) == 2
    assert sorted(str(row["id"]) for row in result.results) == sorted(ids)
    assert result.missing_ids() == ["999999"]
    assert {fake.objects["tasks"][i].properties["hs_task_status"] for i in ids} == {"COMPLETED"}
    with pytest.raises(PermanentError):
        hubspot.batch_update_tasks([(ids[0], {"hs_task_status": "NOT_A_STATUS"})])


def test_search_in_matches_any_value_ignoring_case_one_search_per_100(fake, hubspot):
    for i in range(150):
        fake.record_create("companies", {"name": f"Company {i}"})
    mark = len(fake.request_log)

    found = list(hubspot.search_in("companies", "name", [f"COMPANY {i}" for i in range(150)]))

    assert len(found) == 150
    assert len([p for _, p in fake.request_log[mark:] if p.endswith("/search")]) == 2
