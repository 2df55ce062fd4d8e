"""The booking context (type, hosts, rules, connections) is cached per process: a change saved in
this process is seen by the next booking at once, a change made elsewhere within the TTL."""

from __future__ import annotations

import pytest

from connectors.models import Connection, ConnectionStatus
from meetings import booking_context as context_module
from meetings.booking_context import booking_context
from meetings.models import MeetingType, RoutingRule
from tests.meetings.conftest import booking_body, in_days
from tests.meetings.factories import host_make

pytestmark = pytest.mark.django_db
BOOKINGS = "/api/v1/bookings/"


def _context(meeting_type):
    return booking_context(organization_id=meeting_type.organization_id, slug=meeting_type.slug)


def test_a_second_booking_reads_no_configuration(meeting_type_a, django_assert_num_queries):
    assert _context(meeting_type_a) is not None
    with django_assert_num_queries(0):
        context = _context(meeting_type_a)
    assert context.meeting_type == meeting_type_a
    assert [h.email for h in context.hosts] == ["alice@example.com"]


def test_an_unknown_slug_is_not_remembered(org_a, host_a):
    assert booking_context(organization_id=org_a.pk, slug="later") is None
    MeetingType.objects.create(organization=org_a, name="Later", slug="later")
    assert booking_context(organization_id=org_a.pk, slug="later") is not None


def test_deactivating_a_type_in_this_process_refuses_the_next_booking(api, meeting_type_a):
    assert (
        api.post(BOOKINGS, booking_body(meeting_type_a, in_days(2)), format="json").status_code
        == 201
    )
    meeting_type_a.active = False
    meeting_type_a.save()
    response = api.post(BOOKINGS, booking_body(meeting_type_a, in_days(3)), format="json")
    assert response.status_code == 400
    assert response.json() == {"meeting_type": ["Unknown or inactive meeting type."]}


def test_a_host_removed_from_the_type_is_no_longer_bookable(api, meeting_type_a, host_a, org_a):
    bob = host_make(org_a, email="bob@example.com")
    meeting_type_a.hosts.add(bob)
    assert _context(meeting_type_a).host_by_email("BOB@example.com") == bob
    meeting_type_a.hosts.remove(bob)
    body = booking_body(meeting_type_a, in_days(2), host_email="bob@example.com")
    response = api.post(BOOKINGS, body, format="json")
    assert response.status_code == 400
    assert response.json() == {"host_email": ["Not a host of this meeting type."]}


def test_rules_and_connections_saved_in_this_process_are_seen_at_once(meeting_type_a, host_a):
    assert _context(meeting_type_a).rules == ()
    rule = RoutingRule.objects.create(
        meeting_type=meeting_type_a, field="company.industry", value="Retail", host=host_a
    )
    assert _context(meeting_type_a).rules == (rule,)
    Connection.objects.create(
        organization=meeting_type_a.organization, provider="hubspot", status=ConnectionStatus.ACTIVE
    )
    context = _context(meeting_type_a)
    assert (context.hubspot_connected, context.zoom_connected) == (True, False)


def test_a_change_made_by_another_process_is_seen_after_the_ttl(
    meeting_type_a, monkeypatch, settings
):
    settings.MEETINGS_BOOKING_CONTEXT_TTL = 5
    now = [1000.0]
    monkeypatch.setattr(context_module.time, "monotonic", lambda: now[0])
    assert _context(meeting_type_a) is not None
    # An update() sends no signal, as a save in another process reaches this one.
    MeetingType.objects.filter(pk=meeting_type_a.pk).update(active=False)
    now[0] += 4.9
    assert _context(meeting_type_a) is not None
    now[0] += 0.2
    assert _context(meeting_type_a) is None
