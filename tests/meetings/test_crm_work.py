"""A booking's background work against the sandbox: Zoom meeting and HubSpot meeting object."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone
from django_q.models import Schedule

from connectors.demo import sandbox_connect
from connectors.errors import ReauthRequiredError, TransientError
from connectors.models import Connection, RateLimitBlock
from connectors.sandbox.core import Fault
from connectors.services import connection_disconnect
from connectors.zoom.client import ZoomClient
from jobs.lifecycle import EXECUTE_TASK
from jobs.models import RunStatus
from meetings import hubspot_meetings, zoom_meetings
from meetings.crm import BookingCrm, booking_crm_execute, booking_crm_request
from meetings.models import Booking, BookingCrmRun, MeetingType, WorkState
from tests.meetings.conftest import crm_work_run, in_days
from tests.meetings.factories import host_make

pytestmark = pytest.mark.django_db


MAX_ATTEMPTS = BookingCrm.policy.max_attempts
run = crm_work_run


def open_run(booking: Booking) -> BookingCrmRun:
    return BookingCrmRun.objects.get(booking=booking, status__in=["queued", "running"])


@pytest.fixture
def no_inline_waits(monkeypatch):
    monkeypatch.setattr("connectors.http.HttpClient._retry_wait", lambda *args: 0.0)


def test_a_booking_gets_a_zoom_meeting_for_its_host(world):
    start = in_days(3, hour=9)
    booking = run(world.book(start))
    assert booking.zoom_state == WorkState.DONE, booking.zoom_reason
    meeting = world.zoom.meetings[int(booking.zoom_meeting_id)]
    assert meeting["host_email"] == "owner@meetbridge-sandbox.test"
    assert booking.zoom_join_url == meeting["join_url"]
    assert meeting["duration"] == 45
    assert meeting["timezone"] == "Europe/Berlin"
    assert meeting["start_time"] == start.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    assert len(meeting["password"]) == 10
    assert meeting["settings"]["waiting_room"] is True
    assert meeting["topic"] == "Product demo: Jane Doe (Acme)"


def test_a_booking_gets_a_hubspot_meeting_with_owner_contact_and_outcome(world):
    booking = run(world.book())
    assert booking.hubspot_state == WorkState.DONE, booking.hubspot_reason
    [meeting] = world.hubspot_meetings()
    assert booking.hubspot_meeting_id == meeting.id
    props = meeting.properties
    owner = next(o for o in world.hubspot.owners.values() if o["email"] == world.host.email)
    assert props["hubspot_owner_id"] == owner["id"]
    assert props["hs_meeting_outcome"] == "SCHEDULED"
    assert props["hs_meeting_location"] == booking.zoom_join_url
    assert props["hs_meeting_title"] == "Product demo: Jane Doe (Acme)"
    assert "jane@example.com at" in props["hs_meeting_body"]
    assert "What do you need?: A demo" in props["hs_meeting_body"]
    contact = world.hubspot.record_find_by("contacts", "email", "jane@example.com")
    assert contact is not None and booking.hubspot_contact_id == contact.id
    linked = [
        a["toObjectId"] for a in world.hubspot.associations_of("meetings", meeting.id, "contacts")
    ]
    assert str(contact.id) in {str(x) for x in linked}


def test_an_existing_contact_is_reused(world):
    existing = world.hubspot.record_create("contacts", {"email": "jane@example.com"})
    booking = run(world.book())
    assert booking.hubspot_contact_id == existing.id
    contacts = [
        r
        for r in world.hubspot.objects["contacts"].values()
        if r.value("email") == "jane@example.com"
    ]
    assert len(contacts) == 1


def test_reschedule_updates_the_same_zoom_and_hubspot_meetings(world):
    booking = run(world.book(in_days(3)))
    new_start = in_days(4, hour=15)
    response = world.api.post(
        f"/api/v1/bookings/{booking.public_id}/reschedule/",
        {"start": new_start.isoformat()},
        format="json",
    )
    assert response.json()["crm"]["zoom"]["state"] == "pending"
    booking = run(booking)
    assert (booking.zoom_state, booking.hubspot_state) == (WorkState.DONE, WorkState.DONE)
    assert len(world.zoom.meetings) == 1
    zoom_meeting = world.zoom.meetings[int(booking.zoom_meeting_id)]
    assert zoom_meeting["start_time"] == new_start.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    [meeting] = world.hubspot_meetings()
    assert meeting.properties["hs_meeting_outcome"] == "RESCHEDULED"
    assert meeting.properties["hs_meeting_start_time"].startswith(
        new_start.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M")
    )


def test_cancel_deletes_the_zoom_meeting_and_keeps_the_hubspot_meeting_as_canceled(world):
    booking = run(world.book())
    zoom_id = booking.zoom_meeting_id
    world.api.post(f"/api/v1/bookings/{booking.public_id}/cancel/", {}, format="json")
    booking = run(booking)
    assert world.zoom.meetings == {}
    assert booking.zoom_meeting_id == zoom_id  # the id stays on record
    assert booking.zoom_reason == "Zoom meeting deleted (booking cancelled)"
    [meeting] = world.hubspot_meetings()
    assert meeting.properties["hs_meeting_outcome"] == "CANCELED"
    assert booking.hubspot_state == WorkState.DONE


def test_running_the_work_again_creates_nothing_twice(world):
    booking = run(world.book())
    booking.zoom_state = booking.hubspot_state = WorkState.PENDING
    booking.save()
    booking = run(run(booking))
    assert len(world.zoom.meetings) == 1
    assert len(world.hubspot_meetings()) == 1
    assert len(world.hubspot.objects["contacts"]) == 1


def _kill_the_worker_when_it_saves(monkeypatch, module, field: str, booking: Booking) -> Booking:
    """Run the booking's work once, killing the worker just before it stores `field` (a vendor
    id it was just given); then let the claim expire, as after a real crash."""
    real_save = module.ids_save

    def crash(target, **fields):
        if fields.get(field):
            raise KeyboardInterrupt("worker killed")
        real_save(target, **fields)

    monkeypatch.setattr(module, "ids_save", crash)
    with pytest.raises(KeyboardInterrupt):
        booking_crm_execute(open_run(booking).pk)
    monkeypatch.setattr(module, "ids_save", real_save)
    BookingCrmRun.objects.filter(booking=booking).update(  # the dead worker's lease expired
        started_at=timezone.now() - dt.timedelta(hours=1)
    )
    return Booking.objects.get(pk=booking.pk)


def test_a_crash_after_hubspot_created_the_meeting_does_not_create_it_twice(world, monkeypatch):
    booking = _kill_the_worker_when_it_saves(
        monkeypatch, hubspot_meetings, "hubspot_meeting_id", world.book()
    )
    assert len(world.hubspot_meetings()) == 1
    booking = run(booking)
    assert booking.hubspot_state == WorkState.DONE
    assert [m.id for m in world.hubspot_meetings()] == [booking.hubspot_meeting_id]


def _lose_the_zoom_create_answer(world, monkeypatch) -> Booking:
    """Book, and let the worker die after Zoom created the meeting but before its id was saved."""
    booking = world.book()
    booking = _kill_the_worker_when_it_saves(monkeypatch, zoom_meetings, "zoom_meeting_id", booking)
    assert len(world.zoom.meetings) == 1
    return booking


def test_a_zoom_meeting_whose_create_answer_was_lost_is_adopted_not_created_again(
    world, monkeypatch
):
    booking = _lose_the_zoom_create_answer(world, monkeypatch)
    assert booking.zoom_meeting_id == "" and booking.zoom_create_started_at is not None
    booking = run(booking)
    [meeting] = world.zoom.meetings.values()
    assert booking.zoom_state == WorkState.DONE, booking.zoom_reason
    assert (booking.zoom_meeting_id, booking.zoom_join_url) == (
        str(meeting["id"]),
        meeting["join_url"],
    )
    [hubspot_meeting] = world.hubspot_meetings()
    assert hubspot_meeting.properties["hs_meeting_location"] == meeting["join_url"]


def test_a_zoom_create_that_timed_out_is_adopted_and_its_link_reaches_hubspot(world, monkeypatch):
    real = ZoomClient.meeting_create

    def created_then_timed_out(self, *args, **kwargs):
        real(self, *args, **kwargs)  # Zoom made it; the answer never arrived
        raise TransientError("ReadTimeout talking to zoom", provider="zoom")

    monkeypatch.setattr(ZoomClient, "meeting_create", created_then_timed_out)
    # A long agenda: Zoom's list of meetings shows only its first 250 characters.
    booking = run(world.book(answers={"Anything else?": "x" * 600}))
    assert (booking.zoom_state, booking.hubspot_state) == (WorkState.PENDING, WorkState.DONE)
    monkeypatch.setattr(ZoomClient, "meeting_create", real)

    booking = run(booking)

    [meeting] = world.zoom.meetings.values()
    assert (booking.zoom_state, booking.zoom_join_url) == (WorkState.DONE, meeting["join_url"])
    assert "earlier attempt" in booking.zoom_reason
    [hubspot_meeting] = world.hubspot_meetings()
    assert hubspot_meeting.properties["hs_meeting_location"] == meeting["join_url"]


def test_a_booking_cancelled_after_a_lost_zoom_answer_deletes_that_meeting(world, monkeypatch):
    booking = _lose_the_zoom_create_answer(world, monkeypatch)
    response = world.api.post(f"/api/v1/bookings/{booking.public_id}/cancel/", {}, format="json")
    assert response.status_code == 200
    booking = run(booking)
    assert booking.zoom_state == WorkState.DONE, booking.zoom_reason
    assert world.zoom.meetings == {}


def test_another_meeting_of_the_host_at_that_time_is_not_adopted(world, monkeypatch):
    booking = _lose_the_zoom_create_answer(world, monkeypatch)
    [lost] = world.zoom.meetings.values()
    lost["agenda"] = "The host's own meeting"  # not the one this booking created
    booking = run(booking)
    assert len(world.zoom.meetings) == 2
    assert booking.zoom_meeting_id != str(lost["id"])


def test_a_cancelled_booking_never_takes_over_the_next_bookings_meeting(world):
    # Booking A's create timed out before reaching Zoom; A is cancelled and the same slot is
    # booked again (B, same invitee, same title). A's retry must leave B's meeting alone.
    start = in_days(4)
    first = world.book(start)
    Booking.objects.filter(pk=first.pk).update(
        zoom_user_id=world.zoom.owner_id, zoom_create_started_at=timezone.now()
    )
    world.api.post(f"/api/v1/bookings/{first.public_id}/cancel/", {}, format="json")
    second = run(world.book(start))
    first = run(first)
    assert first.zoom_meeting_id == ""
    assert first.zoom_reason == "cancelled before a Zoom meeting was created"
    assert list(world.zoom.meetings) == [int(second.zoom_meeting_id)]


def test_a_booking_rescheduled_after_a_lost_answer_moves_that_meeting(world, monkeypatch):
    booking = _lose_the_zoom_create_answer(world, monkeypatch)
    later = in_days(9)
    response = world.api.post(
        f"/api/v1/bookings/{booking.public_id}/reschedule/",
        {"start": later.isoformat()},
        format="json",
    )
    assert response.status_code == 200
    booking = run(booking)
    [meeting] = world.zoom.meetings.values()
    assert booking.zoom_meeting_id == str(meeting["id"])
    assert meeting["start_time"] == later.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def test_a_lost_answer_while_recreating_a_deleted_meeting_creates_one(world, monkeypatch):
    booking = run(world.book())
    world.zoom.meetings.clear()  # deleted at Zoom
    Booking.objects.filter(pk=booking.pk).update(zoom_state=WorkState.PENDING)
    booking_crm_request(Booking.objects.get(pk=booking.pk))
    booking = _kill_the_worker_when_it_saves(monkeypatch, zoom_meetings, "zoom_meeting_id", booking)
    booking = run(booking)
    [meeting] = world.zoom.meetings.values()
    assert booking.zoom_meeting_id == str(meeting["id"])


def test_a_grant_without_the_list_scope_still_creates_the_meeting(world, monkeypatch):
    booking = world.book()
    Booking.objects.filter(pk=booking.pk).update(
        zoom_user_id=world.zoom.owner_id, zoom_create_started_at=timezone.now()
    )

    def refused(*args, **kwargs):
        raise ReauthRequiredError("does not contain scopes", provider="zoom", code="4711")

    monkeypatch.setattr("connectors.zoom.client.ZoomClient.meetings_list", refused)
    booking = run(booking)
    assert booking.zoom_state == WorkState.DONE
    assert "meeting:read:list_meetings:admin" in booking.zoom_reason
    assert len(world.zoom.meetings) == 1


def test_a_zoom_meeting_deleted_at_zoom_is_recreated_on_reschedule(world):
    booking = run(world.book())
    world.zoom.meetings.clear()
    world.api.post(
        f"/api/v1/bookings/{booking.public_id}/reschedule/",
        {"start": in_days(6).isoformat()},
        format="json",
    )
    booking = run(booking)
    assert len(world.zoom.meetings) == 1
    assert "deleted at Zoom" in booking.zoom_reason
    [meeting] = world.hubspot_meetings()
    assert meeting.properties["hs_meeting_location"] == booking.zoom_join_url


def test_the_zoom_daily_limit_waits_for_the_reset_and_says_so(world):
    world.zoom.meeting_writes_per_day = 0
    booking = run(world.book())
    assert booking.zoom_state == WorkState.PENDING
    assert "rate limit" in booking.zoom_reason and "retrying at" in booking.zoom_reason
    waiting = open_run(booking)
    assert (waiting.status, waiting.attempts) == (RunStatus.QUEUED, 0)  # waiting uses up none
    assert waiting.not_before is not None and waiting.problem == "rate_limited"
    assert Schedule.objects.filter(func=EXECUTE_TASK).count() == 1
    # HubSpot does not wait for Zoom: the meeting is there, without a location for now.
    assert booking.hubspot_state == WorkState.DONE
    [meeting] = world.hubspot_meetings()
    assert not meeting.properties.get("hs_meeting_location")
    # Another host's meetings are not held up by this host's daily cap.
    other = host_make(world.organization, email="second@meetbridge-sandbox.test")
    world.zoom.user_add(
        user_id="sbxSecond", email=other.email, first_name="S", last_name="H", user_type=2
    )
    world.meeting_type.hosts.add(other)
    world.zoom.meeting_writes_per_day = 100
    world.zoom.meeting_writes.clear()
    second = run(world.book(host_email=other.email))
    assert second.zoom_state == WorkState.DONE, second.zoom_reason
    # After the reset (00:00 UTC) the scheduled retry creates the first meeting and updates
    # HubSpot's location.
    RateLimitBlock.objects.all().delete()
    booking = run(booking)
    assert booking.zoom_state == WorkState.DONE
    assert booking.hubspot_state == WorkState.DONE
    meeting = next(m for m in world.hubspot_meetings() if m.id == booking.hubspot_meeting_id)
    assert meeting.properties["hs_meeting_location"] == booking.zoom_join_url
    assert len(world.hubspot_meetings()) == 2


def test_a_host_who_is_not_a_zoom_user_fails_with_the_reason(world):
    stranger = host_make(world.organization, email="nobody@example.com")
    world.meeting_type.hosts.set([stranger])
    booking = run(world.book())
    assert booking.zoom_state == WorkState.FAILED
    assert booking.zoom_reason == (
        "host nobody@example.com is not a user of the connected Zoom account"
    )
    assert booking.hubspot_state == WorkState.DONE  # without a location, and without an owner
    assert "not a HubSpot owner" in booking.hubspot_reason


def test_transient_errors_are_retried_later_then_given_up(world, no_inline_waits):
    world.hubspot.fault_add(Fault(status=503, path="/crm/v3/objects/meetings", times=1000))
    booking = run(world.book())
    assert booking.zoom_state == WorkState.DONE
    assert booking.hubspot_state == WorkState.PENDING
    assert "temporary HubSpot error" in booking.hubspot_reason
    assert open_run(booking).attempts == 1
    for _ in range(MAX_ATTEMPTS - 1):
        booking = run(booking)
    assert booking.hubspot_state == WorkState.FAILED
    assert booking.hubspot_reason.startswith(f"gave up after {MAX_ATTEMPTS} attempts")
    assert len(world.zoom.meetings) == 1


def test_a_change_during_the_work_is_picked_up_by_the_same_worker(world, monkeypatch):
    booking = world.book()
    from meetings import crm

    real = crm.zoom_meeting_sync
    new_start = in_days(8)

    def reschedule_meanwhile(target, client):
        result = real(target, client)
        if not Booking.objects.get(pk=target.pk).reschedule_count:
            world.api.post(
                f"/api/v1/bookings/{target.public_id}/reschedule/",
                {"start": new_start.isoformat()},
                format="json",
            )
        return result

    monkeypatch.setattr(crm, "zoom_meeting_sync", reschedule_meanwhile)
    booking = run(booking)
    assert (booking.zoom_state, booking.hubspot_state) == (WorkState.DONE, WorkState.DONE)
    [zoom_meeting] = world.zoom.meetings.values()
    assert zoom_meeting["start_time"] == new_start.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    [meeting] = world.hubspot_meetings()
    assert meeting.properties["hs_meeting_outcome"] == "RESCHEDULED"


def test_a_booking_worked_on_by_a_live_run_is_left_to_that_run(world):
    booking = world.book()
    queued = open_run(booking)
    BookingCrmRun.objects.create(
        organization=world.organization,
        booking=booking,
        trigger="retry",
        status=RunStatus.RUNNING,
        started_at=timezone.now(),
        attempts=1,
    )
    assert "not claimable now" in booking_crm_execute(queued.pk)
    assert world.zoom.meetings == {}


def test_turning_hubspot_off_and_on_keeps_the_meeting_types_toggle(world, manager_a):
    connection = Connection.objects.get(organization=world.organization, provider="hubspot")
    connection_disconnect(connection=connection, user=manager_a)
    world.meeting_type.refresh_from_db()
    assert world.meeting_type.sync_to_hubspot is True
    booking = world.book()
    assert booking.hubspot_state == WorkState.SKIPPED
    assert booking.hubspot_reason == "HubSpot not connected"
    sandbox_connect(organization=world.organization, user=manager_a, provider_key="hubspot")
    world.meeting_type.refresh_from_db()
    assert world.meeting_type.sync_to_hubspot is True
    later = run(world.book(in_days(5)))
    assert later.hubspot_state == WorkState.DONE


def test_without_zoom_connected_the_booking_says_there_is_no_link(world):
    Connection.objects.filter(organization=world.organization, provider="zoom").delete()
    booking = world.book()
    assert booking.zoom_state == WorkState.FAILED
    assert booking.zoom_reason.startswith("Zoom is not connected")


def test_a_type_without_video_or_hubspot_skips_both(world):
    world.meeting_type.video_conference = MeetingType.VideoConference.NONE
    world.meeting_type.sync_to_hubspot = False
    world.meeting_type.save()
    booking = world.book()
    assert (booking.zoom_state, booking.hubspot_state) == (WorkState.SKIPPED, WorkState.SKIPPED)
    assert booking.hubspot_reason == "sync to HubSpot is off for this meeting type"


def test_every_vendor_call_of_a_booking_is_labelled_with_the_booking(world):
    from connectors.models import ApiCall

    booking = run(world.book())
    label = f"booking:{booking.public_id}"
    providers = set(ApiCall.objects.filter(context=label).values_list("provider", flat=True))
    assert providers == {"zoom", "hubspot"}
    assert not ApiCall.objects.filter(context="").exists()
