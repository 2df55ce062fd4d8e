"""API allocation, session errors and lookups by email, through the client and the provider."""

from __future__ import annotations

import pytest
import requests

from connectors.errors import RateLimitedError, ReauthRequiredError
from connectors.salesforce.client import ApiUsage, PersonMatch, soql_in_list, soql_in_lists
from connectors.salesforce.provider import QUOTA_PAUSE_SECONDS
from tests.connectors.salesforce.conftest import client_for


def test_every_rest_answer_reports_api_usage(sf, fake):
    fake.daily_api_limit = 500
    assert sf.api_usage is None

    sf.describe_task()
    sf.describe_task()

    assert sf.api_usage == ApiUsage(used=2, limit=500)
    assert sf.api_usage.remaining == 498


def test_limits_reports_the_daily_allocation(sf, fake):
    fake.api_usage_set(41)
    limits = sf.limits()
    assert limits["DailyApiRequests"] == {"Max": 100_000, "Remaining": 100_000 - 42}


def test_exhausted_daily_allocation_is_a_rate_limit_with_a_long_pause(sf, fake):
    fake.daily_api_limit = 10
    fake.api_usage_set(10)

    with pytest.raises(RateLimitedError) as caught:
        sf.describe_task()

    assert caught.value.status == 403 and caught.value.code == "REQUEST_LIMIT_EXCEEDED"
    assert caught.value.message == "TotalRequests Limit exceeded."
    assert caught.value.retry_after == QUOTA_PAUSE_SECONDS


def test_allocation_is_a_rolling_day(sf, fake):
    clock = [1_780_000_000.0]
    fake.clock = lambda: clock[0]
    fake.daily_api_limit = 1
    sf.describe_task()
    with pytest.raises(RateLimitedError):
        sf.describe_task()

    clock[0] += 86_401
    assert sf.describe_task()["name"] == "Task"


def test_versions_list_needs_no_session_and_sends_no_usage(fake, instance_url):
    response = requests.get(f"{instance_url}/services/data/", timeout=5)
    assert response.ok and "Sforce-Limit-Info" not in response.headers
    assert {"label": "Winter '25", "url": "/services/data/v62.0", "version": "62.0"} in (
        response.json()
    )


def test_unsupported_api_version_is_not_found(fake, token, instance_url):
    response = requests.get(
        f"{instance_url}/services/data/v99.0/limits",
        headers={"Authorization": f"Bearer {token}"},
        timeout=5,
    )
    assert response.status_code == 404
    assert response.json()[0]["errorCode"] == "NOT_FOUND"


def test_expired_session_is_invalid_session_id_and_needs_reauth(fake, instance_url):
    sf = client_for("00Dx!expired", instance_url)

    with pytest.raises(ReauthRequiredError) as caught:
        sf.describe_task()

    assert caught.value.status == 401 and caught.value.code == "INVALID_SESSION_ID"
    assert caught.value.message == "Session expired or invalid"


def test_session_expires_after_two_hours(sf, fake):
    clock = [1_780_000_000.0]
    fake.clock = lambda: clock[0]
    fake.oauth.clock = fake.clock
    sf = client_for(fake.oauth.grant_issue(fake.default_grant()).access_token, sf.instance_url)
    sf.describe_task()

    clock[0] += 2 * 3600 + 1
    with pytest.raises(ReauthRequiredError):
        sf.describe_task()


def test_error_body_is_a_json_array_with_limit_info(token, instance_url):
    response = requests.get(
        f"{instance_url}/services/data/v62.0/query",
        params={"q": "SELECT Nope FROM Task"},
        headers={"Authorization": f"Bearer {token}"},
        timeout=5,
    )
    assert response.status_code == 400
    assert response.headers["Sforce-Limit-Info"].startswith("api-usage=1/")
    (error,) = response.json()
    assert set(error) == {"message", "errorCode", "fields"}


# --- lookups -------------------------------------------------------------------------------------
def add(fake, sobject: str, **values) -> str:
    return fake.record_create(fake.schema.sobject(sobject), values, grant=fake.default_grant())


def test_find_user_by_email_returns_active_users_only(sf, fake):
    alice = fake.user_add(first_name="Alice", last_name="Anders", email="alice@acme.example")
    fake.user_add(first_name="Old", last_name="Timer", email="old@acme.example", active=False)

    assert sf.find_user_by_email("ALICE@acme.example")["Id"] == alice
    assert sf.find_user_by_email("old@acme.example") is None
    assert sf.find_user_by_email("nobody@acme.example") is None


def test_find_contact_or_lead_prefers_the_contact(sf, fake):
    account = add(fake, "Account", Name="Globex")
    lead = add(fake, "Lead", LastName="Lee", Company="Globex", Email="pat@globex.example")
    assert sf.find_contact_or_lead_by_email("pat@globex.example") == PersonMatch(lead, "Lead")

    contact = add(fake, "Contact", LastName="Lee", Email="pat@globex.example", AccountId=account)
    assert sf.find_contact_or_lead_by_email("pat@globex.example") == PersonMatch(
        contact, "Contact", account
    )


def test_find_contact_or_lead_ignores_converted_leads(sf, fake):
    lead = add(fake, "Lead", LastName="Lee", Company="X", Email="sam@x.example")
    fake.records["Lead"][lead]["IsConverted"] = True
    assert sf.find_contact_or_lead_by_email("sam@x.example") is None


@pytest.mark.parametrize(
    "email", ["o'brien@example.com", "back\\slash@example.com", "x' OR Email != '"]
)
def test_lookups_escape_quotes_and_backslashes(sf, fake, email):
    add(fake, "Contact", LastName="Decoy", Email="decoy@example.com")
    contact = add(fake, "Contact", LastName="Real", Email=email)

    assert sf.find_contact_or_lead_by_email(email).id == contact
    assert sf.find_contact_or_lead_by_email(email.upper() + "z") is None


def test_bulk_lookups_answer_like_the_single_ones_in_two_queries(sf, fake):
    contact = add(fake, "Contact", LastName="Lee", Email="Pat@globex.example")
    add(fake, "Lead", LastName="Lee", Company="Globex", Email="pat@globex.example")
    lead = add(fake, "Lead", LastName="Sam", Company="X", Email="sam@x.example")
    converted = add(fake, "Lead", LastName="Old", Company="X", Email="old@x.example")
    fake.records["Lead"][converted]["IsConverted"] = True
    mark = len(fake.request_log)

    found = sf.find_contacts_or_leads_by_email(
        ["PAT@globex.example", "sam@x.example", "old@x.example", "o'brien@x.example", ""]
    )

    assert found == {
        "pat@globex.example": PersonMatch(contact, "Contact", None),
        "sam@x.example": PersonMatch(lead, "Lead"),
    }
    assert len(fake.request_log) - mark == 2


def test_in_lists_stay_within_the_character_budget():
    values = [f"user{i:03}@example.com" for i in range(300)]
    lists = list(soql_in_lists(values, max_chars=1000))
    assert all(len(text) <= 1000 for text in lists) and len(lists) > 1
    assert ", ".join(lists) == soql_in_list(values)
    assert list(soql_in_lists([])) == []
