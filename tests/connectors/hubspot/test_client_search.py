"""Search through the client: filters, paging, and incremental reads past the 10,000 cap."""

from __future__ import annotations

import datetime as dt

import pytest

from connectors.errors import PermanentError

MINUTE = 60_000
T0 = 1_750_000_000_000  # a fixed ms epoch


def _contacts(fake, count: int, *, modified=lambda i: T0 + i * MINUTE):
    ids = []
    for i in range(count):
        record = fake.record_create("contacts", {"email": f"c{i}@acme.example"}, at_ms=T0)
        record.updated_ms = modified(i)
        ids.append(record.id)
    return ids


def test_search_follows_the_after_cursor_to_the_last_page(fake, hubspot):
    ids = _contacts(fake, 45)
    found = list(hubspot.search("contacts", properties=["email"], limit=10))
    assert [row["id"] for row in found] == ids
    searches = [p for _, p in fake.request_log if p.endswith("/search")]
    assert len(searches) == 5


def test_search_operators_in_gte_has_property_and_sort(fake, hubspot):
    _contacts(fake, 5)
    hubspot.contact_create({"email": "x@other.example", "firstname": "Xena"})
    wanted = ["c1@acme.example", "c3@acme.example"]
    groups = [
        {"filters": [{"propertyName": "email", "operator": "IN", "values": wanted}]},
        {"filters": [{"propertyName": "firstname", "operator": "HAS_PROPERTY"}]},
    ]
    descending = [{"propertyName": "email", "direction": "DESCENDING"}]
    found = list(
        hubspot.search("contacts", filter_groups=groups, properties=["email"], sorts=descending)
    )
    assert [row["properties"]["email"] for row in found] == [
        "x@other.example",
        "c3@acme.example",
        "c1@acme.example",
    ]
    since = dt.datetime.fromtimestamp((T0 + 3 * MINUTE) / 1000, tz=dt.UTC).isoformat()
    gte = [{"filters": [{"propertyName": "lastmodifieddate", "operator": "GTE", "value": since}]}]
    assert len(list(hubspot.search("contacts", filter_groups=gte))) == 3  # c3, c4, and x (now)


def test_search_rejects_a_malformed_request_with_a_useful_message(hubspot):
    bad = [{"filters": [{"propertyName": "email", "operator": "LIKE", "value": "x"}]}]
    with pytest.raises(PermanentError) as caught:
        list(hubspot.search("contacts", filter_groups=bad))
    assert caught.value.status == 400
    assert "Invalid operator 'LIKE'" in caught.value.message


def test_secondary_emails_are_found_with_contains_token_not_eq(hubspot):
    created = hubspot.contact_create(
        {"email": "sam@new.example", "hs_additional_emails": "sam@old.example;sammy@mail.example"}
    )
    token = [
        {
            "filters": [
                {
                    "propertyName": "hs_additional_emails",
                    "operator": "CONTAINS_TOKEN",
                    "value": "sammy@mail.example",
                }
            ]
        }
    ]
    eq = [{"filters": [{"propertyName": "email", "operator": "EQ", "value": "sammy@mail.example"}]}]
    assert [row["id"] for row in hubspot.search("contacts", filter_groups=token)] == [created["id"]]
    assert list(hubspot.search("contacts", filter_groups=eq)) == []


def test_archived_contacts_are_not_searchable(fake, hubspot):
    [kept, gone] = _contacts(fake, 2)
    fake.record_archive("contacts", gone)
    assert [row["id"] for row in hubspot.search("contacts")] == [kept]


def test_plain_search_fails_past_the_result_cap(fake, hubspot):
    # The cap is lowered on both sides (fake.search_result_cap / client.search_result_cap) so the
    # test stays fast; the behaviour is the same as at HubSpot's 10,000.
    fake.search_result_cap = 30
    _contacts(fake, 45)
    with pytest.raises(PermanentError) as caught:
        list(hubspot.search("contacts", limit=10))
    assert caught.value.status == 400
    assert "Paging past 30 results" in caught.value.message


def test_modified_since_reads_past_the_cap_without_gaps_or_doubles(fake, hubspot):
    fake.search_result_cap = hubspot.search_result_cap = 50
    # Three records per minute: ties straddle every restart boundary.
    ids = _contacts(fake, 170, modified=lambda i: T0 + (i // 3) * MINUTE)
    seen = [row["id"] for row in hubspot.modified_since("contacts", T0, properties=["email"])]
    assert sorted(seen, key=int) == ids
    assert len(seen) == len(set(seen))
    stamps = [fake.objects["contacts"][i].updated_ms for i in seen]
    assert stamps == sorted(stamps)


def test_a_record_edited_while_the_pages_are_read_shifts_none_out(fake, hubspot):
    ids = _contacts(fake, 450)
    reading = hubspot.modified_since("contacts", T0, properties=["email"])
    seen = [next(reading)["id"] for _ in range(150)]
    # Edited now: it moves to the end of the order, and every later record moves back by one.
    fake.objects["contacts"][ids[10]].updated_ms = T0 + 1000 * MINUTE
    seen += [row["id"] for row in reading]
    assert set(ids) <= set(seen)
    assert seen.count(ids[10]) == 2  # once before the edit, once after it


def test_modified_since_starts_at_the_given_time(fake, hubspot):
    ids = _contacts(fake, 10)
    since = dt.datetime.fromtimestamp((T0 + 7 * MINUTE) / 1000, tz=dt.UTC)
    assert [row["id"] for row in hubspot.modified_since("contacts", since)] == ids[7:]


def test_modified_since_gives_up_when_more_than_the_cap_share_one_timestamp(fake, hubspot):
    fake.search_result_cap = hubspot.search_result_cap = 20
    _contacts(fake, 60, modified=lambda i: T0)
    with pytest.raises(PermanentError, match="share the modification time"):
        list(hubspot.modified_since("contacts", T0))


def test_modified_since_at_the_real_10000_cap(fake, hubspot):
    ids = _contacts(fake, 10_250, modified=lambda i: T0 + (i // 7) * MINUTE)
    seen = [row["id"] for row in hubspot.modified_since("contacts", T0)]
    assert len(seen) == len(ids)
    assert set(seen) == set(ids)
