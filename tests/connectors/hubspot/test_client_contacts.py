"""Contacts through the real client against the fake: upsert, read, get, create, update."""

from __future__ import annotations

import pytest
import requests

from connectors.errors import NotFoundError, PermanentError


def test_batch_upsert_creates_then_updates_by_primary_email(fake, hubspot):
    first = hubspot.batch_upsert_contacts({"jane@acme.example": {"firstname": "Jane"}})
    assert first.ok
    [created] = first.results
    assert created["new"] is True
    assert created["properties"]["email"] == "jane@acme.example"
    second = hubspot.batch_upsert_contacts({"JANE@acme.example": {"lastname": "Doe"}})
    [updated] = second.results
    assert updated["new"] is False
    assert updated["id"] == created["id"]
    assert fake.objects["contacts"][created["id"]].properties["lastname"] == "Doe"


def test_batch_upsert_sends_chunks_of_100_not_one_call_per_contact(fake, hubspot):
    contacts = {f"person{i}@acme.example": {"firstname": f"P{i}"} for i in range(250)}
    result = hubspot.batch_upsert_contacts(contacts)
    assert len(result.results) == 250
    assert all(row["new"] for row in result.results)
    calls = [path for method, path in fake.request_log if path.endswith("/batch/upsert")]
    assert len(calls) == 3


def test_batch_upsert_rejects_more_than_100_inputs(fake, hubspot):
    inputs = [
        {"idProperty": "email", "id": f"p{i}@acme.example", "properties": {}} for i in range(101)
    ]
    response = hubspot.http.request(
        "POST", "/crm/v3/objects/contacts/batch/upsert", json={"inputs": inputs}, ok_statuses=(400,)
    )
    assert response.status_code == 400
    assert response.json()["category"] == "VALIDATION_ERROR"
    assert "100" in response.json()["message"]
    assert not fake.objects["contacts"]


def test_batch_upsert_does_not_match_secondary_emails(fake, hubspot):
    owner = hubspot.contact_create(
        {"email": "jane@acme.example", "hs_additional_emails": "jane@old.example"}
    )
    result = hubspot.batch_upsert_contacts({"jane@old.example": {"firstname": "Jane"}})
    assert result.results[0]["new"] is True
    assert result.results[0]["id"] != owner["id"]


def test_batch_upsert_of_an_archived_contacts_email_creates_a_new_contact(fake, hubspot):
    old = hubspot.contact_create({"email": "gone@acme.example"})
    fake.record_archive("contacts", old["id"])
    result = hubspot.batch_upsert_contacts({"gone@acme.example": {"firstname": "Again"}})
    assert result.results[0]["new"] is True
    assert result.results[0]["id"] != old["id"]
    archived = hubspot.batch_read_contacts(emails=["gone@acme.example"], archived=True)
    assert [row["id"] for row in archived.results] == [old["id"]]
    assert archived.results[0]["archived"] is True


def test_batch_upsert_reports_an_invalid_email_as_a_207_error_and_keeps_the_rest(hubspot):
    result = hubspot.batch_upsert_contacts({"not-an-email": {}, "ok@acme.example": {}})
    assert [row["properties"]["email"] for row in result.results] == ["ok@acme.example"]
    assert not result.ok
    assert result.errors[0]["context"]["ids"] == ["not-an-email"]


def test_setting_an_unknown_property_is_a_property_doesnt_exist_error(fake, hubspot):
    with pytest.raises(PermanentError) as caught:
        hubspot.batch_upsert_contacts({"a@acme.example": {"favourite_colour": "blue"}})
    assert caught.value.status == 400
    assert "PROPERTY_DOESNT_EXIST" in caught.value.message
    assert 'Property \\"favourite_colour\\" does not exist' in caught.value.message
    assert not fake.objects["contacts"]


def test_batch_read_returns_found_contacts_and_207_errors_for_missing_ones(fake, hubspot):
    hubspot.batch_upsert_contacts({"a@acme.example": {"firstname": "A"}})
    result = hubspot.batch_read_contacts(
        emails=["a@acme.example", "missing@acme.example"], properties=["firstname"]
    )
    assert [row["properties"]["firstname"] for row in result.results] == ["A"]
    assert result.missing_ids() == ["missing@acme.example"]


def test_batch_read_by_ids_chunks_by_100(fake, hubspot):
    created = hubspot.batch_upsert_contacts({f"c{i}@acme.example": {} for i in range(150)})
    ids = [row["id"] for row in created.results]
    result = hubspot.batch_read_contacts(ids=ids)
    assert sorted(row["id"] for row in result.results) == sorted(ids)
    calls = [path for _, path in fake.request_log if path.endswith("/batch/read")]
    assert len(calls) == 2


def test_contact_get_by_email_or_id_and_none_when_absent(hubspot):
    created = hubspot.contact_create({"email": "bo@acme.example", "firstname": "Bo"})
    by_email = hubspot.contact_get(email="bo@acme.example", properties=["firstname"])
    assert by_email["id"] == created["id"]
    assert by_email["properties"]["firstname"] == "Bo"
    assert hubspot.contact_get(created["id"])["properties"]["email"] == "bo@acme.example"
    assert hubspot.contact_get(email="nobody@acme.example") is None
    assert hubspot.contact_get("999999") is None


def test_contact_find_by_email_falls_back_to_secondary_emails(hubspot):
    created = hubspot.contact_create(
        {"email": "kim@new.example", "hs_additional_emails": "kim@old.example;k@mail.example"}
    )
    assert hubspot.contact_find_by_email("kim@new.example")["id"] == created["id"]
    assert hubspot.contact_find_by_email("k@mail.example")["id"] == created["id"]
    assert hubspot.contact_find_by_email("other@mail.example") is None


def test_contact_create_conflicts_on_an_existing_email(hubspot):
    existing = hubspot.contact_create({"email": "dup@acme.example"})
    with pytest.raises(PermanentError) as caught:
        hubspot.contact_create({"email": "dup@acme.example"})
    assert caught.value.status == 409
    assert caught.value.message == f"Contact already exists. Existing ID: {existing['id']}"


def test_contact_create_associates_companies_and_update_changes_properties(fake, hubspot):
    company = fake.record_create("companies", {"name": "Acme"})
    created = hubspot.contact_create({"email": "li@acme.example"}, company_ids=[company.id])
    assert hubspot.associated_ids("contacts", created["id"], "companies") == [company.id]
    updated = hubspot.contact_update(created["id"], {"lastname": "Li", "lifecyclestage": "lead"})
    assert updated["properties"]["lastname"] == "Li"
    with pytest.raises(PermanentError):
        hubspot.contact_update(created["id"], {"lifecyclestage": "not-a-stage"})
    with pytest.raises(NotFoundError):
        hubspot.contact_update("424242", {"lastname": "X"})


def test_read_only_properties_cannot_be_written(hubspot):
    with pytest.raises(PermanentError) as caught:
        hubspot.contact_create({"email": "ro@acme.example", "lastmodifieddate": "2024-01-01"})
    assert "READ_ONLY_VALUE" in caught.value.message


def test_requests_without_a_valid_token_get_hubspots_401_body(sandbox, settings):
    url = settings.PROVIDERS["hubspot"]["api_base_url"] + "/crm/v3/objects/contacts/1"
    response = requests.get(url, headers={"Authorization": "Bearer nope"}, timeout=5)
    assert response.status_code == 401
    body = response.json()
    assert body["status"] == "error"
    assert body["category"] == "INVALID_AUTHENTICATION"
    assert set(body) >= {"message", "correlationId"}


def test_a_token_without_the_contacts_scope_gets_403_missing_scopes(fake, settings):
    from tests.connectors.hubspot.conftest import client_for

    limited = client_for(fake, settings, scopes=["oauth"])
    with pytest.raises(PermanentError) as caught:
        limited.contact_get(email="a@acme.example")
    assert caught.value.status == 403
    assert caught.value.code == "MISSING_SCOPES"
