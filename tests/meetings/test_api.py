"""The booking API: token auth and tenancy, validation, overlaps, idempotency, schema."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone
from django_q.models import OrmQ

from meetings.idempotency import KEY_RETENTION, idempotency_records_prune
from meetings.models import Booking, IdempotencyRecord, OrganizationApiToken, WorkState
from tests.meetings.conftest import api_client, booking_body, in_days
from tests.meetings.factories import booking_make, host_make, meeting_type_make, token_make

pytestmark = pytest.mark.django_db

BOOKINGS = "/api/v1/bookings/"


def test_requests_without_a_token_are_401(client, meeting_type_a):
    response = client.get(BOOKINGS)
    assert response.status_code == 401
    assert response["WWW-Authenticate"].startswith("Bearer")


def test_unknown_and_revoked_tokens_are_401(org_a):
    token, raw = token_make(org_a)
    assert api_client("mb_not-a-token").get(BOOKINGS).status_code == 401
    token.revoked = True
    token.save()
    assert api_client(raw).get(BOOKINGS).status_code == 401


def test_bearer_and_token_schemes_both_work_and_touch_last_used(org_a):
    token, raw = token_make(org_a)
    assert api_client(raw, "Bearer").get(BOOKINGS).status_code == 200
    assert api_client(raw, "Token").get(BOOKINGS).status_code == 200
    token.refresh_from_db()
    assert token.last_used_at is not None


def test_only_a_hash_of_the_token_is_stored(org_a):
    token, raw = token_make(org_a)
    stored = OrganizationApiToken.objects.filter(pk=token.pk).values().get()
    assert raw not in str(stored)
    assert raw.startswith(token.prefix)


def test_meeting_types_lists_only_own_active_types(api, org_a, org_b, meeting_type_a):
    meeting_type_make(org_a, slug="old", active=False)
    meeting_type_make(org_b, slug="theirs")
    response = api.get("/api/v1/meeting-types/")
    assert response.status_code == 200
    assert [row["slug"] for row in response.json()["results"]] == ["intro"]


def test_one_organisations_token_never_sees_or_changes_anothers_bookings(api, org_b):
    theirs = booking_make(org_b)
    assert api.get(BOOKINGS).json()["results"] == []
    url = f"{BOOKINGS}{theirs.public_id}/"
    assert api.get(url).status_code == 404
    assert api.post(f"{url}cancel/", {}, format="json").status_code == 404
    start = in_days(9).isoformat()
    assert api.post(f"{url}reschedule/", {"start": start}, format="json").status_code == 404
    theirs.refresh_from_db()
    assert theirs.status == Booking.Status.CONFIRMED
    body = booking_body(theirs.meeting_type, in_days(4))
    assert api.post(BOOKINGS, body, format="json").status_code == 400  # their type is unknown


def test_create_answers_at_once_with_the_booking_and_its_crm_work(api, meeting_type_a, host_a):
    start = in_days(2)
    response = api.post(BOOKINGS, booking_body(meeting_type_a, start), format="json")
    assert response.status_code == 201
    data = response.json()
    assert data["meeting_type"] == "intro"
    assert data["host"]["email"] == host_a.email
    assert data["end"].startswith((start + dt.timedelta(minutes=30)).strftime("%Y-%m-%dT%H:%M"))
    assert data["crm"]["zoom"] == {
        "state": "skipped",
        "reason": "no video conference",
        "meeting_id": None,
        "join_url": None,
    }
    assert data["crm"]["hubspot"]["state"] == "skipped"
    assert OrmQ.objects.count() == 0  # nothing to do in the background
    assert api.get(f"{BOOKINGS}{data['id']}/").json()["id"] == data["id"]


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"meeting_type": "nope"}, "meeting_type"),
        ({"invitee_email": "not-an-email"}, "invitee_email"),
        ({"start": "yesterday"}, "start"),
        ({"invitee_name": ""}, "invitee_name"),
    ],
)
def test_invalid_input_is_a_400_naming_the_field(api, meeting_type_a, change, field):
    body = {**booking_body(meeting_type_a, in_days(2)), **change}
    response = api.post(BOOKINGS, body, format="json")
    assert response.status_code == 400
    assert field in response.json()
    assert not Booking.objects.exists()


def test_inactive_type_and_past_start_are_400(api, meeting_type_a):
    past = booking_body(meeting_type_a, in_days(-1))
    response = api.post(BOOKINGS, past, format="json")
    assert response.status_code == 400
    assert response.json() == {"start": ["The start time is in the past."]}
    meeting_type_a.active = False
    meeting_type_a.save()
    response = api.post(BOOKINGS, booking_body(meeting_type_a, in_days(2)), format="json")
    assert response.json() == {"meeting_type": ["Unknown or inactive meeting type."]}


def test_overlapping_the_hosts_booking_is_409_and_adjacent_is_fine(api, meeting_type_a):
    start = in_days(2)
    assert api.post(BOOKINGS, booking_body(meeting_type_a, start), format="json").status_code == 201
    overlap = booking_body(meeting_type_a, start + dt.timedelta(minutes=15))
    response = api.post(BOOKINGS, overlap, format="json")
    assert response.status_code == 409
    assert response.json()["code"] == "host_unavailable"
    after = booking_body(meeting_type_a, start + dt.timedelta(minutes=30))
    assert api.post(BOOKINGS, after, format="json").status_code == 201
    assert Booking.objects.count() == 2


def test_the_overlap_holds_across_meeting_types_of_the_same_host(
    api, org_a, meeting_type_a, host_a
):
    other = meeting_type_make(org_a, hosts=[host_a], slug="other", duration_minutes=60)
    start = in_days(2)
    assert api.post(BOOKINGS, booking_body(other, start), format="json").status_code == 201
    later = booking_body(meeting_type_a, start + dt.timedelta(minutes=45))
    assert api.post(BOOKINGS, later, format="json").status_code == 409


def test_a_cancelled_booking_frees_its_slot(api, meeting_type_a):
    body = booking_body(meeting_type_a, in_days(2))
    first = api.post(BOOKINGS, body, format="json").json()
    cancelled = api.post(f"{BOOKINGS}{first['id']}/cancel/", {"reason": "ill"}, format="json")
    assert cancelled.json()["status"] == "cancelled"
    again = api.post(f"{BOOKINGS}{first['id']}/cancel/", {}, format="json")
    assert again.status_code == 200 and again.json()["status"] == "cancelled"
    assert api.post(BOOKINGS, body, format="json").status_code == 201


def test_reschedule_moves_the_booking_and_refuses_overlaps(api, meeting_type_a):
    start = in_days(2)
    first = api.post(BOOKINGS, booking_body(meeting_type_a, start), format="json").json()
    later = start + dt.timedelta(hours=2)
    api.post(BOOKINGS, booking_body(meeting_type_a, later), format="json")
    url = f"{BOOKINGS}{first['id']}/reschedule/"
    clash = api.post(url, {"start": (later + dt.timedelta(minutes=10)).isoformat()}, format="json")
    assert clash.status_code == 409
    # Moving within its own slot is not an overlap with itself.
    moved = api.post(url, {"start": (start + dt.timedelta(minutes=10)).isoformat()}, format="json")
    assert moved.status_code == 200
    booking = Booking.objects.get(public_id=first["id"])
    assert booking.start_at == start + dt.timedelta(minutes=10)
    assert booking.reschedule_count == 1
    past = api.post(url, {"start": in_days(-1).isoformat()}, format="json")
    assert past.status_code == 400


def test_a_cancelled_booking_cannot_be_rescheduled(api, meeting_type_a):
    first = api.post(BOOKINGS, booking_body(meeting_type_a, in_days(2)), format="json").json()
    api.post(f"{BOOKINGS}{first['id']}/cancel/", {}, format="json")
    response = api.post(
        f"{BOOKINGS}{first['id']}/reschedule/", {"start": in_days(3).isoformat()}, format="json"
    )
    assert response.status_code == 400
    assert response.json()["code"] == "cancelled"


def test_a_retry_with_the_same_key_replays_the_first_response(api, meeting_type_a):
    body = booking_body(meeting_type_a, in_days(2))
    first = api.post(BOOKINGS, body, format="json", HTTP_IDEMPOTENCY_KEY="k-1")
    replay = api.post(BOOKINGS, body, format="json", HTTP_IDEMPOTENCY_KEY="k-1")
    assert first.status_code == replay.status_code == 201
    assert replay.json() == first.json()
    assert replay["Idempotent-Replayed"] == "true"
    assert Booking.objects.count() == 1


def test_the_same_key_with_another_body_is_422(api, meeting_type_a):
    api.post(
        BOOKINGS, booking_body(meeting_type_a, in_days(2)), format="json", HTTP_IDEMPOTENCY_KEY="k"
    )
    other = booking_body(meeting_type_a, in_days(3))
    response = api.post(BOOKINGS, other, format="json", HTTP_IDEMPOTENCY_KEY="k")
    assert response.status_code == 422
    assert response.json()["code"] == "idempotency_key_reused"
    assert Booking.objects.count() == 1


def test_errors_are_replayed_too_and_keys_are_per_organisation(api, org_b, meeting_type_a):
    past = booking_body(meeting_type_a, in_days(-1))
    assert api.post(BOOKINGS, past, format="json", HTTP_IDEMPOTENCY_KEY="x").status_code == 400
    assert api.post(BOOKINGS, past, format="json", HTTP_IDEMPOTENCY_KEY="x").status_code == 400
    _, raw_b = token_make(org_b)
    other_type = meeting_type_make(org_b, slug="intro")
    body_b = booking_body(other_type, in_days(2))
    response = api_client(raw_b).post(BOOKINGS, body_b, format="json", HTTP_IDEMPOTENCY_KEY="x")
    assert response.status_code == 201
    assert IdempotencyRecord.objects.count() == 2


def test_duplicates_sent_one_after_another_create_one_booking(api, meeting_type_a):
    """The sequential form of concurrent duplicates (SQLite serialises writers anyway)."""
    body = booking_body(meeting_type_a, in_days(2))
    statuses = {
        api.post(BOOKINGS, body, format="json", HTTP_IDEMPOTENCY_KEY="dup").status_code
        for _ in range(5)
    }
    assert statuses == {201}
    assert Booking.objects.count() == 1


def test_keys_older_than_the_retention_are_forgotten(api, meeting_type_a):
    body = booking_body(meeting_type_a, in_days(2))
    api.post(BOOKINGS, body, format="json", HTTP_IDEMPOTENCY_KEY="old")
    later = booking_body(meeting_type_a, in_days(3))
    api.post(BOOKINGS, later, format="json", HTTP_IDEMPOTENCY_KEY="new")
    IdempotencyRecord.objects.filter(key="old").update(
        created_at=timezone.now() - KEY_RETENTION - dt.timedelta(minutes=1)
    )
    assert idempotency_records_prune() == "pruned 1 idempotency keys"
    assert list(IdempotencyRecord.objects.values_list("key", flat=True)) == ["new"]
    # The forgotten key is a new request: the slot is taken now, so it answers 409.
    response = api.post(BOOKINGS, body, format="json", HTTP_IDEMPOTENCY_KEY="old")
    assert response.status_code == 409


def test_reschedule_and_cancel_honour_idempotency_keys(api, meeting_type_a):
    first = api.post(BOOKINGS, booking_body(meeting_type_a, in_days(2)), format="json").json()
    url = f"{BOOKINGS}{first['id']}/reschedule/"
    body = {"start": in_days(5).isoformat()}
    api.post(url, body, format="json", HTTP_IDEMPOTENCY_KEY="r")
    api.post(url, body, format="json", HTTP_IDEMPOTENCY_KEY="r")
    assert Booking.objects.get().reschedule_count == 1


def test_booking_with_zoom_and_hubspot_connected_queues_one_task(world):
    booking = world.book()
    assert (booking.zoom_state, booking.hubspot_state) == (WorkState.PENDING, WorkState.PENDING)
    assert OrmQ.objects.count() == 1
    assert world.zoom.meetings == {}  # no vendor call inside the request
    assert world.hubspot_meetings() == []


def test_the_client_may_name_the_host(api, org_a, meeting_type_a, host_a):
    other = host_make(org_a, email="bob@example.com")
    meeting_type_a.hosts.add(other)
    body = booking_body(meeting_type_a, in_days(2), host_email="bob@example.com")
    data = api.post(BOOKINGS, body, format="json").json()
    assert data["host"]["email"] == "bob@example.com"
    assert data["routing_reason"] == "host chosen by the client"
    assert api.post(BOOKINGS, body, format="json").status_code == 409
    stranger = booking_body(meeting_type_a, in_days(3), host_email="eve@example.com")
    assert api.post(BOOKINGS, stranger, format="json").status_code == 400


def test_openapi_schema_and_docs_are_served(client):
    response = client.get("/api/schema/", HTTP_ACCEPT="application/json")
    assert response.status_code == 200
    schema = response.json()
    paths = schema["paths"]
    assert {"/api/v1/bookings/", "/api/v1/meeting-types/"} <= set(paths)
    assert "/api/v1/bookings/{id}/reschedule/" in paths
    assert "/api/v1/bookings/{id}/cancel/" in paths
    assert "organizationToken" in schema["components"]["securitySchemes"]
    assert not any("_bench" in path for path in paths)
    assert client.get("/api/docs/").status_code == 200
