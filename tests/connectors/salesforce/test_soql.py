"""The sandbox's SOQL: syntax (soql.parse) and meaning (queries through the real client)."""

# SOQL text built in tests for the fake, not SQL:
# ruff: noqa: S608

from __future__ import annotations

import datetime as dt

import pytest

from connectors.errors import PermanentError
from connectors.salesforce import soql
from connectors.salesforce.client import soql_quote


# --- syntax --------------------------------------------------------------------------------------
def test_parse_reads_fields_conditions_order_and_limit():
    query = soql.parse(
        "SELECT Id, Owner.Email FROM Task WHERE (Status = 'Completed' OR IsClosed = false) "
        "AND CreatedDate >= 2026-01-01T00:00:00Z ORDER BY CreatedDate DESC, Id LIMIT 5 OFFSET 2"
    )
    assert [f.path for f in query.fields] == ["Id", "Owner.Email"]
    assert query.sobject == "Task" and query.limit == 5 and query.offset == 2
    assert query.where.op == "and" and query.where.parts[0].op == "or"
    created = query.where.parts[1]
    assert created.values[0].value == dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    assert [(o.field.path, o.descending, o.nulls_last) for o in query.order_by] == [
        ("CreatedDate", True, True),
        ("Id", False, False),
    ]


def test_parse_unescapes_string_literals():
    query = soql.parse(r"SELECT Id FROM Contact WHERE Email = 'o\'brien\\x@example.com'")
    assert query.where.values[0].value == "o'brien\\x@example.com"


def test_soql_quote_round_trips_through_the_parser():
    nasty = "a'b\\c\nd' OR Email != '"
    query = soql.parse(f"SELECT Id FROM Contact WHERE Email = {soql_quote(nasty)}")
    assert query.where.values[0].value == nasty


def test_parse_reads_date_literals_in_and_not_in_and_nulls():
    query = soql.parse(
        "SELECT Id FROM Task WHERE ActivityDate = 2026-05-01 AND WhoId != null "
        "AND Type NOT IN ('Call', 'Email') AND Subject LIKE 'Demo%'"
    )
    parts = query.where.parts
    assert parts[0].values[0].value == dt.date(2026, 5, 1)
    assert parts[1].values[0].kind == "null"
    assert parts[2].op == "notin" and [v.value for v in parts[2].values] == ["Call", "Email"]
    assert parts[3].op == "like"


@pytest.mark.parametrize(
    "text",
    [
        "SELECT FROM Task",
        "SELECT Id Task",
        "SELECT Id FROM Task WHERE",
        "SELECT Id FROM Task WHERE Subject = 'unterminated",
        "SELECT Id FROM Task WHERE Status = 'A' AND Priority = 'B' OR Type = 'C'",
        "SELECT Id FROM Task ORDER BY",
        "SELECT Id FROM Task LIMIT many",
        "SELECT Id FROM Task WHERE CreatedDate > 2026-01-01T00:00:00",  # datetime needs a zone
        "SELECT Id, FROM Task",
        "",
    ],
)
def test_parse_rejects_malformed_queries(text):
    with pytest.raises(soql.SoqlError) as caught:
        soql.parse(text)
    assert caught.value.code == "MALFORMED_QUERY"


def test_malformed_query_message_points_at_the_token():
    with pytest.raises(soql.SoqlError) as caught:
        soql.parse("SELECT Id FROM Task WHERE Subject = = 'x'")
    assert "ERROR at Row:1:Column:37" in caught.value.message
    assert "unexpected token: '='" in caught.value.message


def test_like_pattern_handles_wildcards_and_escapes():
    assert soql.like_pattern("demo%").match("DEMO call")
    assert soql.like_pattern("d_mo").match("demo")
    assert not soql.like_pattern(r"100\%").match("1000")
    assert soql.like_pattern(r"100\%").match("100%")


# --- meaning, through the client -----------------------------------------------------------------
@pytest.fixture
def people(fake):
    """Three contacts with a known shape (and the integration user as owner)."""
    ids = {}
    for first, last, email in [
        ("Ada", "Lovelace", "ada@example.com"),
        ("Alan", "Turing", None),
        ("Grace", "Hopper", "grace@example.com"),
    ]:
        ids[first] = fake.record_create(
            fake.schema.sobject("Contact"),
            {"FirstName": first, "LastName": last, "Email": email},
            grant=fake.default_grant(),
        )
    return ids


def names(rows):
    return [row["FirstName"] for row in rows]


def test_query_filters_with_in_like_null_and_parentheses(sf, people):
    base = "SELECT FirstName FROM Contact WHERE "
    assert names(sf.query(base + "Email = null")) == ["Alan"]
    assert names(sf.query(base + "Email != null ORDER BY FirstName")) == ["Ada", "Grace"]
    assert names(sf.query(base + "FirstName IN ('ada', 'Grace') ORDER BY LastName ASC")) == [
        "Grace",
        "Ada",
    ]
    assert names(sf.query(base + "LastName LIKE '%ur%'")) == ["Alan"]
    assert names(
        sf.query(base + "(FirstName = 'Ada' OR FirstName = 'Alan') AND Email != null")
    ) == ["Ada"]
    assert names(sf.query(base + "NOT FirstName LIKE 'A%'")) == ["Grace"]


def test_query_compares_text_case_insensitively(sf, people):
    assert names(sf.query("SELECT FirstName FROM Contact WHERE Email = 'ADA@Example.com'")) == [
        "Ada"
    ]


def test_query_orders_nulls_first_ascending_and_applies_limit_and_offset(sf, people):
    rows = list(sf.query("SELECT FirstName, Email FROM Contact ORDER BY Email LIMIT 2 OFFSET 0"))
    assert names(rows) == ["Alan", "Ada"]
    rows = list(sf.query("SELECT FirstName FROM Contact ORDER BY Email DESC LIMIT 1 OFFSET 1"))
    assert names(rows) == ["Ada"]


def test_query_returns_relationship_fields_nested_with_attributes(sf, fake, people):
    task_id = sf.create_task({"Subject": "Call", "WhoId": people["Ada"]})
    (row,) = sf.query(
        f"SELECT Id, Who.Name, Who.Type, Owner.Email FROM Task WHERE Id = '{task_id}'"
    )
    assert row["attributes"] == {
        "type": "Task",
        "url": f"/services/data/v62.0/sobjects/Task/{task_id}",
    }
    assert row["Who"]["Name"] == "Ada Lovelace" and row["Who"]["Type"] == "Contact"
    assert row["Who"]["attributes"]["type"] == "Contact"
    assert row["Owner"]["Email"] == "integration@acme.example"


def test_query_accepts_fifteen_character_ids(sf, people):
    short = people["Grace"][:15]
    assert names(sf.query(f"SELECT FirstName FROM Contact WHERE Id = '{short}'")) == ["Grace"]


def test_count_query_returns_the_total_without_records(sf, people):
    page = sf.query_page("SELECT COUNT() FROM Contact WHERE Email != null")
    assert page.total_size == 2 and page.records == [] and page.done


def test_unknown_field_is_invalid_field_with_salesforce_wording(sf):
    with pytest.raises(PermanentError) as caught:
        list(sf.query("SELECT Id, Colour FROM Task"))
    assert caught.value.code == "INVALID_FIELD" and caught.value.status == 400
    assert "No such column 'Colour' on entity 'Task'" in caught.value.message
    assert "ERROR at Row:1:Column:12" in caught.value.message


def test_unknown_relationship_is_invalid_field(sf):
    with pytest.raises(PermanentError) as caught:
        list(sf.query("SELECT Boss.Email FROM Task"))
    assert caught.value.code == "INVALID_FIELD"
    assert "Didn't understand relationship 'Boss'" in caught.value.message


def test_unknown_object_is_invalid_type(sf):
    with pytest.raises(PermanentError) as caught:
        list(sf.query("SELECT Id FROM Meeting"))
    assert caught.value.code == "INVALID_TYPE"


def test_malformed_query_is_a_permanent_error(sf):
    with pytest.raises(PermanentError) as caught:
        list(sf.query("SELECT Id FROM Task WHERE"))
    assert caught.value.code == "MALFORMED_QUERY"


@pytest.mark.parametrize(
    ("condition", "expected_type"),
    [
        ("CreatedDate > '2026-01-01'", "dateTime and should not be enclosed in quotes"),
        ("CreatedDate > 2026-01-01", "dateTime"),
        ("Subject = 5", "string and should be enclosed in quotes"),
        ("IsClosed = 'true'", "boolean"),
    ],
)
def test_literal_of_the_wrong_type_is_invalid_field(sf, condition, expected_type):
    with pytest.raises(PermanentError) as caught:
        list(sf.query(f"SELECT Id FROM Task WHERE {condition}"))
    assert caught.value.code == "INVALID_FIELD"
    assert f"must be of type {expected_type}" in caught.value.message
