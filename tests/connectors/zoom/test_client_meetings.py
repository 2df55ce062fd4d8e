"""ZoomClient meetings against the Zoom fake, and Zoom's 429s (QPS and the daily cap)."""

from __future__ import annotations

import datetime as dt

import pytest

from connectors.errors import NotFoundError, PermanentError, RateLimitedError
from connectors.zoom.sandbox import QPS_MESSAGE
from connectors.zoom.sandbox_meetings import DAILY_MESSAGE


def _create(zoom, user_id: str = "me", **overrides):
    fields = {
        "topic": "Intro call",
        "start_time": "2030-05-04T10:00:00Z",
        "duration": 30,
        "timezone": "Europe/Helsinki",
        **overrides,
    }
    return zoom.meeting_create(user_id, **fields)


def test_meeting_create_get_update_delete_round_trip(zoom, fake):
    created = _create(zoom, fake.owner_id)
    assert created["host_id"] == fake.owner_id
    assert created["join_url"].startswith("https://") and created["start_url"]

    zoom.meeting_update(created["id"], host_id=fake.owner_id, topic="Renamed", duration=45)
    fetched = zoom.meeting_get(created["id"])
    assert (fetched["topic"], fetched["duration"]) == ("Renamed", 45)
    assert fetched["start_time"] == "2030-05-04T10:00:00Z"

    zoom.meeting_delete(created["id"])
    with pytest.raises(NotFoundError) as caught:
        zoom.meeting_get(created["id"])
    assert caught.value.code == "3001"
    assert caught.value.message == f"Meeting does not exist: {created['id']}."


def test_meeting_local_start_time_is_read_in_its_timezone(zoom):
    created = _create(zoom, start_time="2030-05-04T10:00:00", timezone="Europe/Helsinki")

    assert created["start_time"] == "2030-05-04T07:00:00Z"


@pytest.mark.parametrize(
    "overrides",
    [{"timezone": "Mars/Olympus"}, {"start_time": "next tuesday"}, {"duration": 0}, {"type": 5}],
)
def test_meeting_create_rejects_invalid_fields(zoom, overrides):
    with pytest.raises(PermanentError) as caught:
        _create(zoom, **overrides)

    assert (caught.value.status, caught.value.code) == (400, "300")


def test_meeting_create_for_unknown_user_raises_not_found_1001(zoom):
    with pytest.raises(NotFoundError) as caught:
        _create(zoom, "ghost@example.com")

    assert caught.value.code == "1001"


def test_meeting_delete_unknown_raises_not_found_3001(zoom):
    with pytest.raises(NotFoundError) as caught:
        zoom.meeting_delete(81234567890)

    assert caught.value.code == "3001"


def test_the_101st_meeting_write_of_a_user_in_a_utc_day_is_refused_until_midnight(zoom, fake):
    first = _create(zoom, fake.owner_id)
    for _ in range(98):
        _create(zoom, fake.owner_id)
    zoom.meeting_update(first["id"], host_id=fake.owner_id, topic="100th write")

    with pytest.raises(RateLimitedError) as caught:
        _create(zoom, fake.owner_id)

    assert caught.value.message == DAILY_MESSAGE
    now = dt.datetime.now(dt.UTC)
    midnight = dt.datetime.combine(now.date() + dt.timedelta(days=1), dt.time(), dt.UTC)
    assert caught.value.retry_after == pytest.approx((midnight - now).total_seconds(), abs=5)
    other_user = next(u for u in fake.users if u != fake.owner_id)
    assert _create(zoom, other_user)["host_id"] == other_user  # the cap is per user


def test_daily_limit_answer_carries_zoom_rate_limit_headers(zoom, fake):
    fake.meeting_writes_per_day = 0

    response = zoom.http.request(
        "POST",
        "/users/{user_id}/meetings",
        path_params={"user_id": "me"},
        json={"topic": "x", "start_time": "2030-01-01T00:00:00Z", "duration": 5},
        ok_statuses=[429],
    )

    assert response.headers["X-RateLimit-Type"] == "Daily-limit"
    assert response.headers["Retry-After"].endswith("T00:00:00Z")
    assert response.json() == {"code": 429, "message": DAILY_MESSAGE}


def test_qps_429_surfaces_as_rate_limited_with_retry_after(zoom, fake):
    fake.rate_limit_set("light", limit=1, window=60, path="^/v2/users/")
    zoom.user_me()

    with pytest.raises(RateLimitedError) as caught:
        zoom.user_me()

    assert caught.value.message == QPS_MESSAGE
    assert caught.value.retry_after == 60


def test_http_client_waits_out_a_short_qps_429_and_succeeds(zoom, fake):
    now = [1_000.0]
    fake.clock = lambda: now[0]
    zoom.http.sleep = lambda seconds: now.__setitem__(0, now[0] + seconds)
    fake.rate_limit_set("light", limit=1, window=1, path="^/v2/users/")
    zoom.user_me()

    assert zoom.user_me()["id"] == fake.owner_id
    assert now[0] >= 1_001.0


def test_meetings_list_pages_through_the_hosts_meetings_in_start_order(zoom, fake):
    fake.meetings.clear()
    created = [
        _create(zoom, fake.owner_id, start_time=f"2030-05-{day:02d}T10:00:00Z", topic=f"Call {day}")
        for day in range(20, 0, -1)  # more than two pages of 7
    ]
    listed = list(zoom.meetings_list(fake.owner_id))
    assert [m["id"] for m in listed] == [m["id"] for m in reversed(created)]
    assert set(listed[0]) == {
        "uuid",
        "id",
        "host_id",
        "topic",
        "type",
        "start_time",
        "duration",
        "timezone",
        "agenda",
        "created_at",
        "join_url",
    }
    assert listed[0]["start_time"] == "2030-05-01T10:00:00Z"


def test_meetings_list_upcoming_leaves_out_ended_meetings(zoom, fake):
    fake.meetings.clear()
    past = _create(zoom, fake.owner_id, start_time="2020-01-01T10:00:00Z")
    future = _create(zoom, fake.owner_id)
    assert [m["id"] for m in zoom.meetings_list(fake.owner_id, type="upcoming")] == [future["id"]]
    assert {m["id"] for m in zoom.meetings_list(fake.owner_id)} == {past["id"], future["id"]}
