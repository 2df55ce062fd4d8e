"""Concurrent requests on PostgreSQL (real threads, the real exclusion constraint and unique
index): one booking per slot, and one booking per Idempotency-Key. On SQLite the writer lock
serialises requests anyway; the sequential forms of these tests are in test_api.py."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import connection as db_connection
from django.db import connections

from meetings.models import Booking
from tests.factories import organization_make
from tests.meetings.conftest import api_client, booking_body, in_days
from tests.meetings.factories import host_make, meeting_type_make, token_make

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]
CLIENTS = 16


@pytest.fixture(autouse=True)
def _postgres_only():
    if db_connection.vendor != "postgresql":
        pytest.skip("real concurrency needs PostgreSQL (DATABASE_URL=postgres://...)")


def _race(send) -> list[int]:
    barrier = threading.Barrier(CLIENTS)

    def one(index: int) -> int:
        try:
            barrier.wait()
            return send(index)
        finally:
            connections.close_all()

    with ThreadPoolExecutor(CLIENTS) as pool:
        return list(pool.map(one, range(CLIENTS)))


def _setup(hosts: int = 1):
    organization = organization_make()
    people = [host_make(organization) for _ in range(hosts)]
    meeting_type = meeting_type_make(organization, hosts=people, slug="race")
    _, raw = token_make(organization)
    return meeting_type, raw


def test_concurrent_bookings_of_one_slot_make_one_booking():
    meeting_type, raw = _setup()
    body = booking_body(meeting_type, in_days(2))
    statuses = _race(
        lambda i: api_client(raw).post("/api/v1/bookings/", body, format="json").status_code
    )
    assert sorted(statuses) == [201] + [409] * (CLIENTS - 1)
    assert Booking.objects.count() == 1


def test_concurrent_bookings_spread_over_free_hosts_without_double_booking():
    meeting_type, raw = _setup(hosts=3)
    body = booking_body(meeting_type, in_days(2))
    statuses = _race(
        lambda i: api_client(raw).post("/api/v1/bookings/", body, format="json").status_code
    )
    assert statuses.count(201) == 3
    assert len(set(Booking.objects.values_list("host_id", flat=True))) == 3


def test_concurrent_duplicates_with_one_key_create_one_booking():
    meeting_type, raw = _setup()
    body = booking_body(meeting_type, in_days(2))
    responses = _race(
        lambda i: api_client(raw).post(
            "/api/v1/bookings/", body, format="json", HTTP_IDEMPOTENCY_KEY="same"
        )
    )
    assert {r.status_code for r in responses} == {201}
    assert len({r.json()["id"] for r in responses}) == 1
    assert Booking.objects.count() == 1
