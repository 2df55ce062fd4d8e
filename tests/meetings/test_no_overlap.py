"""PostgreSQL refuses overlapping confirmed bookings of one host (exclusion constraint), so a
booking whose read of the host's calendar was overtaken by another request's commit is caught by
the database: it books the next free host, or answers 409. On SQLite the writer lock serialises
the read and the insert, so no read can be overtaken there."""

from __future__ import annotations

import datetime as dt

import psycopg
import pytest
from django.db import IntegrityError, OperationalError, transaction
from django.db import connection as db_connection

from meetings import bookings
from meetings.models import Booking
from meetings.models.bookings import NO_OVERLAP_CONSTRAINT
from tests.meetings.conftest import booking_body, in_days
from tests.meetings.factories import booking_make, host_make, meeting_type_make

pytestmark = pytest.mark.django_db
BOOKINGS = "/api/v1/bookings/"


@pytest.fixture(autouse=True)
def _postgres_only():
    if db_connection.vendor != "postgresql":
        pytest.skip("the exclusion constraint is PostgreSQL's (DATABASE_URL=postgres://...)")


def _overlapping_insert(meeting_type, host, start, **fields):
    with transaction.atomic():
        return booking_make(
            meeting_type.organization,
            meeting_type=meeting_type,
            host=host,
            start_at=start,
            **fields,
        )


def test_the_database_refuses_an_overlapping_confirmed_booking(meeting_type_a, host_a):
    start = in_days(2)
    _overlapping_insert(meeting_type_a, host_a, start)
    with pytest.raises(IntegrityError) as refused:
        _overlapping_insert(meeting_type_a, host_a, start + dt.timedelta(minutes=15))
    assert refused.value.__cause__.diag.constraint_name == NO_OVERLAP_CONSTRAINT
    # Back to back is not an overlap, and a cancelled booking frees its time.
    _overlapping_insert(meeting_type_a, host_a, start + dt.timedelta(minutes=30))
    _overlapping_insert(meeting_type_a, host_a, start, status=Booking.Status.CANCELLED)
    assert Booking.objects.count() == 3


def test_another_hosts_booking_at_the_same_time_is_allowed(meeting_type_a, host_a, org_a):
    bob = host_make(org_a)
    _overlapping_insert(meeting_type_a, host_a, in_days(2))
    _overlapping_insert(meeting_type_a, bob, in_days(2))
    assert Booking.objects.count() == 2


def _stale_reads(monkeypatch, times: int):
    """The first `times` calendar reads see nobody busy: another request commits right after."""
    real, calls = bookings._host_availability, []

    def stale(organization_id, hosts, start, end):
        calls.append(1)
        busy, last = real(organization_id, hosts, start, end)
        return (set(), last) if len(calls) <= times else (busy, last)

    monkeypatch.setattr(bookings, "_host_availability", stale)
    return calls


def test_a_booking_overtaken_after_its_read_books_the_next_free_host(api, org_a, monkeypatch):
    alice = host_make(org_a, email="alice@example.com")
    bob = host_make(org_a, email="bob@example.com")
    meeting_type = meeting_type_make(org_a, hosts=[alice, bob], slug="team")
    start = in_days(2)
    _overlapping_insert(meeting_type, bob, start)  # bob is busy, but the read will not see it
    # Alice was booked last, so the round robin tries bob first.
    booking_make(
        org_a, meeting_type=meeting_type, host=alice, start_at=start + dt.timedelta(days=9)
    )
    calls = _stale_reads(monkeypatch, times=1)
    response = api.post(BOOKINGS, booking_body(meeting_type, start), format="json")
    assert response.status_code == 201, response.json()
    assert response.json()["host"]["email"] == "alice@example.com"
    assert len(calls) == 2  # refused by the database once, then read again


def test_a_race_lost_inside_an_idempotency_key_transaction_is_recovered(api, org_a, monkeypatch):
    # With a key, the booking runs inside the key's transaction: the refused insert rolls back
    # to a savepoint, and the key keeps the final answer.
    alice = host_make(org_a, email="alice@example.com")
    bob = host_make(org_a, email="bob@example.com")
    meeting_type = meeting_type_make(org_a, hosts=[alice, bob], slug="team")
    start = in_days(2)
    _overlapping_insert(meeting_type, bob, start)
    booking_make(
        org_a, meeting_type=meeting_type, host=alice, start_at=start + dt.timedelta(days=9)
    )
    _stale_reads(monkeypatch, times=1)
    body = booking_body(meeting_type, start)
    first = api.post(BOOKINGS, body, format="json", HTTP_IDEMPOTENCY_KEY="k")
    assert first.status_code == 201, first.json()
    assert first.json()["host"]["email"] == "alice@example.com"
    replay = api.post(BOOKINGS, body, format="json", HTTP_IDEMPOTENCY_KEY="k")
    assert replay.json() == first.json()
    assert replay["Idempotent-Replayed"] == "true"


def test_a_booking_overtaken_with_no_host_left_answers_409(
    api, meeting_type_a, host_a, monkeypatch
):
    start = in_days(2)
    _overlapping_insert(meeting_type_a, host_a, start)
    _stale_reads(monkeypatch, times=99)
    response = api.post(BOOKINGS, booking_body(meeting_type_a, start), format="json")
    assert response.status_code == 409
    assert response.json()["code"] == "host_unavailable"
    assert Booking.objects.count() == 1


def test_a_booking_aborted_by_the_deadlock_detector_looks_again(api, meeting_type_a, monkeypatch):
    # Two overlapping inserts that check the exclusion constraint at the same instant wait for
    # each other; PostgreSQL aborts one with "deadlock detected" instead of the violation.
    real_save, calls = Booking.save, []

    def deadlocked_once(booking, *args, **kwargs):
        calls.append(1)
        if len(calls) == 1:
            cause = psycopg.errors.DeadlockDetected("deadlock detected")
            raise OperationalError("deadlock detected") from cause
        return real_save(booking, *args, **kwargs)

    monkeypatch.setattr(Booking, "save", deadlocked_once)
    response = api.post(BOOKINGS, booking_body(meeting_type_a, in_days(2)), format="json")
    assert response.status_code == 201
    assert len(calls) == 2
    assert Booking.objects.count() == 1


def test_another_database_error_is_not_mistaken_for_a_lost_race(api, meeting_type_a, monkeypatch):
    def fails(booking, *args, **kwargs):
        raise OperationalError("server closed the connection") from psycopg.errors.AdminShutdown()

    monkeypatch.setattr(Booking, "save", fails)
    with pytest.raises(OperationalError):
        api.post(BOOKINGS, booking_body(meeting_type_a, in_days(2)), format="json")


def test_a_reschedule_overtaken_after_its_read_answers_409(
    api, meeting_type_a, host_a, monkeypatch
):
    start = in_days(2)
    moving = booking_make(meeting_type_a.organization, meeting_type=meeting_type_a, host=host_a)
    _overlapping_insert(meeting_type_a, host_a, start)
    monkeypatch.setattr(bookings, "_busy_hosts", lambda *args, **kwargs: set())
    response = api.post(
        f"{BOOKINGS}{moving.public_id}/reschedule/", {"start": start.isoformat()}, format="json"
    )
    assert response.status_code == 409
    moving.refresh_from_db()
    assert moving.reschedule_count == 0
