"""Routing rules choose the host from the invitee's synced CRM data; the reason is stored."""

from __future__ import annotations

import pytest

from meetings.models import HubSpotOwner, RoutingRule
from sync.models import CrmRecord
from tests.meetings.conftest import booking_body, in_days
from tests.meetings.factories import booking_make, host_make, meeting_type_make

pytestmark = pytest.mark.django_db
BOOKINGS = "/api/v1/bookings/"


@pytest.fixture
def team(org_a):
    alice = host_make(org_a, email="alice@example.com")
    bob = host_make(org_a, email="bob@example.com")
    carol = host_make(org_a, email="carol@example.com")
    meeting_type = meeting_type_make(org_a, hosts=[alice, bob, carol], slug="sales")
    return meeting_type, alice, bob, carol


def _contact(org, email="jane@acme.test", owner="", company="", **properties):
    return CrmRecord.objects.create(
        organization=org,
        object_type=CrmRecord.ObjectType.CONTACT,
        hubspot_id=f"c-{email}",
        email=email,
        hubspot_owner_id=owner,
        company_hubspot_id=company,
        properties=properties,
    )


def _company(org, hubspot_id="co-1", domain="acme.test", **properties):
    return CrmRecord.objects.create(
        organization=org,
        object_type=CrmRecord.ObjectType.COMPANY,
        hubspot_id=hubspot_id,
        domain=domain,
        properties=properties,
    )


def _rule(meeting_type, order, field, operator, value="", host=None):
    return RoutingRule.objects.create(
        meeting_type=meeting_type,
        order=order,
        field=field,
        operator=operator,
        value=value,
        host=host,
    )


def _book(api, meeting_type, email="jane@acme.test", start=None):
    body = booking_body(meeting_type, start or in_days(2), invitee_email=email)
    return api.post(BOOKINGS, body, format="json")


def test_a_company_property_rule_chooses_its_host(api, org_a, team):
    meeting_type, alice, bob, _carol = team
    _company(org_a, industry="Software")
    _contact(org_a, company="co-1")
    _rule(meeting_type, 1, "contact.lifecyclestage", "equals", "customer", alice)
    _rule(meeting_type, 2, "company.industry", "equals", "software", bob)
    data = _book(api, meeting_type).json()
    assert data["host"]["email"] == "bob@example.com"
    assert data["routing_reason"] == (
        "rule 2 (company.industry equals 'software') matched 'Software': host bob@example.com"
    )


def test_the_company_is_found_by_email_domain_when_the_contact_is_unknown(api, org_a, team):
    meeting_type, _alice, _bob, carol = team
    _company(org_a, domain="acme.test", industry="Retail")
    _rule(meeting_type, 1, "company.industry", "contains", "retail", carol)
    assert _book(api, meeting_type).json()["host"]["email"] == "carol@example.com"


def test_rules_are_tried_in_order(api, org_a, team):
    meeting_type, _alice, bob, carol = team
    _contact(org_a, country="Germany", lifecyclestage="lead")
    _rule(meeting_type, 2, "contact.lifecyclestage", "is_set", "", bob)
    _rule(meeting_type, 1, "contact.country", "equals", "germany", carol)
    assert _book(api, meeting_type).json()["host"]["email"] == "carol@example.com"


def test_the_contacts_hubspot_owner_routes_to_that_owners_host(api, org_a, team):
    meeting_type, _alice, _bob, _carol = team
    _contact(org_a, owner="301")
    HubSpotOwner.objects.create(organization=org_a, owner_id="301", email="Carol@Example.com")
    _rule(meeting_type, 1, "contact.hubspot_owner", "is_set")
    data = _book(api, meeting_type).json()
    assert data["host"]["email"] == "carol@example.com"
    assert data["routing_reason"].startswith("rule 1 (contact.hubspot_owner is set) matched '301'")


def test_an_owner_who_is_not_a_host_falls_back(api, org_a, team):
    meeting_type, *_ = team
    _contact(org_a, owner="999")
    _rule(meeting_type, 1, "contact.hubspot_owner", "is_set")
    data = _book(api, meeting_type).json()
    assert data["routing_reason"].startswith("no routing rule matched; least recently booked")


def test_without_a_match_the_least_recently_booked_host_is_chosen(api, org_a, team):
    meeting_type, alice, _bob, carol = team
    booking_make(org_a, meeting_type=meeting_type, host=alice, start_at=in_days(10))
    booking_make(org_a, meeting_type=meeting_type, host=carol, start_at=in_days(11))
    data = _book(api, meeting_type, email="nobody@else.test").json()
    assert data["host"]["email"] == "bob@example.com"
    assert data["routing_reason"] == (
        "no routing rule matched; least recently booked host bob@example.com"
    )


def test_a_busy_rule_host_falls_back_to_a_free_host_with_the_reason(api, org_a, team):
    meeting_type, alice, _bob, _carol = team
    _contact(org_a, lifecyclestage="customer")
    _rule(meeting_type, 1, "contact.lifecyclestage", "equals", "customer", alice)
    start = in_days(2)
    booking_make(org_a, meeting_type=meeting_type, host=alice, start_at=start)
    data = _book(api, meeting_type, start=start).json()
    assert data["host"]["email"] != "alice@example.com"
    assert "was busy; least recently booked host" in data["routing_reason"]


def test_when_every_host_is_busy_the_booking_is_409(api, org_a, team):
    meeting_type, *hosts = team
    start = in_days(2)
    for host in hosts:
        booking_make(org_a, meeting_type=meeting_type, host=host, start_at=start)
    assert _book(api, meeting_type, start=start).status_code == 409


def test_a_host_who_left_the_organisation_is_never_chosen(api, org_a, team):
    meeting_type, alice, bob, _carol = team
    alice.memberships.all().delete()
    bob.memberships.all().delete()
    assert _book(api, meeting_type).json()["host"]["email"] == "carol@example.com"


@pytest.mark.parametrize(
    ("field", "operator", "value", "host", "error"),
    [
        ("deal.amount", "equals", "1", True, "field"),
        ("contact.country", "equals", "", True, "value"),
        ("contact.country", "equals", "x", False, "host"),
    ],
)
def test_rules_are_validated(org_a, team, field, operator, value, host, error):
    from django.core.exceptions import ValidationError

    meeting_type, alice, *_ = team
    rule = RoutingRule(
        meeting_type=meeting_type,
        field=field,
        operator=operator,
        value=value,
        host=alice if host else None,
    )
    with pytest.raises(ValidationError) as raised:
        rule.full_clean()
    assert error in raised.value.message_dict
