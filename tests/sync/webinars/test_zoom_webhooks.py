"""POST /webhooks/zoom/: signature first, URL validation, accounts, dedupe, coalesced runs."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import random
import time

import pytest
from django.utils import timezone
from django_q.models import OrmQ, Schedule

from connectors.models import Connection, ConnectionStatus
from connectors.zoom.webhooks import signed_headers
from sync.models import SyncRun, Webinar, ZoomUser, ZoomWebhookEvent
from sync.webinars.webhook_events import ENDED_FOLLOW_UP_DELAYS
from tests.factories import organization_make

pytestmark = pytest.mark.django_db

URL = "/webhooks/zoom/"
SECRET = "test-zoom-webhook-secret"
ACCOUNT = "AcctLkD9x_1"
WEBINAR_ID = 81122334455


@pytest.fixture(autouse=True)
def _webhook_secret(settings):
    zoom = {**settings.PROVIDERS["zoom"], "webhook_secret": SECRET}
    settings.PROVIDERS = {**settings.PROVIDERS, "zoom": zoom}


def zoom_connect(org, account=ACCOUNT, status=ConnectionStatus.ACTIVE) -> Connection:
    return Connection.objects.create(
        organization=org, provider="zoom", status=status, external_account_id=account
    )


@pytest.fixture
def connected_org(org_a):
    zoom_connect(org_a)
    return org_a


_ts = iter(range(1_790_000_000_000, 1_800_000_000_000, 1000))


def zoom_event(name: str, *, account=ACCOUNT, webinar_id=WEBINAR_ID, **fields) -> dict:
    """A small real-shaped envelope (apis.md §3.6); `fields` go into payload.object."""
    obj = {
        "id": webinar_id,
        "uuid": "wBCdSe0XQaW1+Zm8Cf0sJw==",
        "host_id": "z8yCxjabcdEFGhij",
        "topic": "Quarterly product update",
        "type": 5,
        **fields,
    }
    return {"event": name, "event_ts": next(_ts), "payload": {"account_id": account, "object": obj}}


def registration(email: str, registrant_id: str) -> dict:
    return zoom_event(
        "webinar.registration_created",
        registrant={
            "id": registrant_id,
            "email": email,
            "first_name": "Jane",
            "status": "approved",
        },
    )


def post(client, body, *, secret=SECRET, timestamp=None, headers=None):
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    signed = signed_headers(secret, raw, timestamp=timestamp)
    signed.pop("Content-Type")
    return client.post(
        URL, data=raw, content_type="application/json", headers={**signed, **(headers or {})}
    )


def nothing_done() -> bool:
    return not (
        SyncRun.objects.exists()
        or ZoomWebhookEvent.objects.exists()
        or Webinar.objects.exists()
        or OrmQ.objects.exists()
        or Schedule.objects.filter(name__startswith="webinar-sync-").exists()
    )


# --- signature and URL validation -------------------------------------------------------------


def test_signed_registration_records_the_event_and_queues_a_webhook_run(client, connected_org):
    response = post(
        client, registration("jane@example.com", "r1"), headers={"x-zm-trackingid": "t-1"}
    )

    assert response.status_code == 200
    assert response.json() == {"accepted": "webinar.registration_created", "organizations": 1}
    webinar = Webinar.objects.get(organization=connected_org, zoom_webinar_id=str(WEBINAR_ID))
    assert webinar.host == ZoomUser.objects.get(zoom_user_id="z8yCxjabcdEFGhij")
    run = SyncRun.objects.get()
    assert (run.webinar, run.trigger, run.status) == (webinar, "webhook", "queued")
    assert run.not_before is None
    assert OrmQ.objects.count() == 1
    record = ZoomWebhookEvent.objects.get()
    assert (record.organization, record.event, record.webinar, record.run) == (
        connected_org,
        "webinar.registration_created",
        webinar,
        run,
    )
    assert record.tracking_id == "t-1"
    assert record.received_at is not None


def _unsigned(client, raw):
    return client.post(URL, data=raw, content_type="application/json")


def _signed_by_someone_else(client, raw):
    return post(client, raw, secret="not-the-secret")


def _stale(client, raw):
    return post(client, raw, timestamp=int(time.time()) - 301)


def _from_the_future(client, raw):
    return post(client, raw, timestamp=int(time.time()) + 301)


def _body_changed_after_signing(client, raw):
    headers = signed_headers(SECRET, raw)
    headers.pop("Content-Type")
    return client.post(URL, data=raw + b" ", content_type="application/json", headers=headers)


def _timestamp_missing(client, raw):
    headers = signed_headers(SECRET, raw)
    del headers["x-zm-request-timestamp"], headers["Content-Type"]
    return client.post(URL, data=raw, content_type="application/json", headers=headers)


def _timestamp_not_a_number(client, raw):
    headers = {"x-zm-signature": signed_headers(SECRET, raw)["x-zm-signature"]}
    headers["x-zm-request-timestamp"] = "soon"
    return client.post(URL, data=raw, content_type="application/json", headers=headers)


@pytest.mark.parametrize(
    "send",
    [
        _unsigned,
        _signed_by_someone_else,
        _stale,
        _from_the_future,
        _body_changed_after_signing,
        _timestamp_missing,
        _timestamp_not_a_number,
    ],
)
def test_unproven_requests_are_refused_with_401_and_do_nothing(client, connected_org, send):
    raw = json.dumps(zoom_event("webinar.ended")).encode()

    response = send(client, raw)

    assert response.status_code == 401
    assert response.json()["error"]
    assert nothing_done()


def test_missing_secret_configuration_refuses_everything(client, connected_org, settings):
    settings.PROVIDERS = {
        **settings.PROVIDERS,
        "zoom": {**settings.PROVIDERS["zoom"], "webhook_secret": ""},
    }

    response = post(client, zoom_event("webinar.ended"), secret="")

    assert response.status_code == 401
    assert nothing_done()


def test_url_validation_is_answered_when_signed(client):
    body = {"event": "endpoint.url_validation", "payload": {"plainToken": "qgg8vlvZRS6UYooatFL8Aw"}}

    response = post(client, body)

    expected = hmac.new(SECRET.encode(), b"qgg8vlvZRS6UYooatFL8Aw", hashlib.sha256).hexdigest()
    assert response.status_code == 200
    assert response.json() == {"plainToken": "qgg8vlvZRS6UYooatFL8Aw", "encryptedToken": expected}


def test_url_validation_is_refused_without_a_valid_signature(client):
    raw = json.dumps(
        {"event": "endpoint.url_validation", "payload": {"plainToken": "abc"}}
    ).encode()

    for response in (
        _unsigned(client, raw),
        _signed_by_someone_else(client, raw),
        _stale(client, raw),
    ):
        assert response.status_code == 401
        assert "encryptedToken" not in response.json()


@pytest.mark.parametrize(
    "payload", [{}, {"plainToken": ""}, {"plainToken": 7}, ["plainToken"], None]
)
def test_url_validation_without_a_plain_token_is_a_bad_request(client, payload):
    response = post(client, {"event": "endpoint.url_validation", "payload": payload})

    assert response.status_code == 400


def test_only_post_is_allowed(client):
    assert client.get(URL).status_code == 405


# --- accounts ----------------------------------------------------------------------------------


def test_unknown_account_is_acknowledged_and_ignored(client, connected_org):
    response = post(client, zoom_event("webinar.started", account="someone-else"))

    assert response.status_code == 200
    assert response.json() == {"ignored": "unknown account"}
    assert nothing_done()


@pytest.mark.parametrize("status", [ConnectionStatus.NEEDS_REAUTH, ConnectionStatus.DISCONNECTED])
def test_an_inactive_connection_does_not_claim_the_account(client, org_a, status):
    zoom_connect(org_a, status=status)

    response = post(client, zoom_event("webinar.started"))

    assert response.json() == {"ignored": "unknown account"}
    assert nothing_done()


def test_every_organisation_connected_to_the_account_gets_its_own_run(client, org_a, org_b):
    zoom_connect(org_a)
    zoom_connect(org_b)
    unrelated = organization_make("Gamma")
    zoom_connect(unrelated, account="another-account")

    response = post(client, registration("jane@example.com", "r1"))

    assert response.json() == {"accepted": "webinar.registration_created", "organizations": 2}
    runs = SyncRun.objects.all()
    assert {run.organization_id for run in runs} == {org_a.pk, org_b.pk}
    assert {run.webinar.organization_id for run in runs} == {org_a.pk, org_b.pk}
    assert ZoomWebhookEvent.objects.filter(organization=unrelated).count() == 0
    assert not Webinar.objects.filter(organization=unrelated).exists()


def test_other_events_are_acknowledged_and_ignored(client, connected_org):
    response = post(client, zoom_event("meeting.started"))

    assert response.json() == {"ignored": "meeting.started"}
    assert nothing_done()


# --- dedupe and coalescing ---------------------------------------------------------------------


def test_a_redelivered_event_is_a_duplicate_and_causes_no_work(client, connected_org):
    event = registration("jane@example.com", "r1")
    assert post(client, event, headers={"x-zm-trackingid": "first"}).status_code == 200

    # Zoom's retry: same event, possibly re-serialised and with another tracking id.
    raw = json.dumps(event, indent=2, sort_keys=True).encode()
    response = post(client, raw, headers={"x-zm-trackingid": "second"})

    assert response.status_code == 200
    assert response.json() == {"duplicate": True}
    assert SyncRun.objects.count() == 1
    assert OrmQ.objects.count() == 1
    assert ZoomWebhookEvent.objects.count() == 1


def test_a_duplicate_webinar_ended_schedules_its_delayed_runs_once(client, connected_org):
    event = zoom_event("webinar.ended")
    post(client, event)

    assert post(client, event).json() == {"duplicate": True}
    assert SyncRun.objects.count() == 1 + len(ENDED_FOLLOW_UP_DELAYS)


def test_a_burst_of_registrations_is_coalesced_into_one_queued_run(client, connected_org):
    first = post(client, registration("jane@example.com", "r1"))
    second = post(client, registration("joe@example.com", "r2"))

    assert first.status_code == second.status_code == 200
    assert second.json()["accepted"] == "webinar.registration_created"
    run = SyncRun.objects.get()
    assert OrmQ.objects.count() == 1
    assert [record.run for record in ZoomWebhookEvent.objects.all()] == [run, run]


def test_a_registration_while_a_run_is_running_asks_it_for_a_rerun(client, connected_org):
    post(client, registration("jane@example.com", "r1"))
    SyncRun.objects.update(status=SyncRun.Status.RUNNING)

    post(client, registration("joe@example.com", "r2"))

    run = SyncRun.objects.get()
    assert run.rerun_requested


# --- event kinds -------------------------------------------------------------------------------


def test_webinar_ended_asks_for_a_run_now_and_delayed_runs_for_the_late_report(
    client, connected_org
):
    before = timezone.now()
    response = post(client, zoom_event("webinar.ended", end_time="2026-11-26T10:00:00Z"))
    after = timezone.now()

    assert response.status_code == 200
    immediate = SyncRun.objects.get(not_before__isnull=True)
    assert immediate.trigger == SyncRun.Trigger.WEBHOOK
    delayed = list(SyncRun.objects.filter(not_before__isnull=False).order_by("not_before"))
    assert len(delayed) == len(ENDED_FOLLOW_UP_DELAYS) == 3
    for run, delay in zip(delayed, ENDED_FOLLOW_UP_DELAYS, strict=True):
        assert before + delay <= run.not_before <= after + delay
        assert run.trigger == SyncRun.Trigger.WEBHOOK
        schedule = Schedule.objects.get(name__startswith=f"webinar-sync-{run.pk}@")
        assert schedule.next_run == run.not_before
        assert schedule.schedule_type == Schedule.ONCE
    assert [d.total_seconds() for d in ENDED_FOLLOW_UP_DELAYS] == [600, 3600, 6 * 3600]
    assert OrmQ.objects.count() == 1  # only the immediate run is on the queue now
    assert "3 delayed runs" in ZoomWebhookEvent.objects.get().outcome


def test_webinar_deleted_cancels_the_webinar_and_asks_for_a_run(client, connected_org):
    post(client, registration("jane@example.com", "r1"))

    response = post(client, zoom_event("webinar.deleted", operation="all"))

    assert response.status_code == 200
    webinar = Webinar.objects.get()
    assert webinar.status == Webinar.Status.CANCELLED
    assert SyncRun.objects.filter(webinar=webinar, status=SyncRun.Status.QUEUED).count() == 1
    assert (
        ZoomWebhookEvent.objects.filter(event="webinar.deleted")
        .get()
        .outcome.startswith("webinar cancelled")
    )


def test_deleting_one_occurrence_keeps_the_webinar(client, connected_org):
    event = zoom_event(
        "webinar.deleted",
        type=9,
        occurrences=[{"occurrence_id": "1648194360000", "start_time": "2026-12-01T15:00:00Z"}],
    )
    event["payload"]["operation"] = "single"

    post(client, event)

    assert Webinar.objects.get().status == Webinar.Status.UPCOMING
    assert SyncRun.objects.count() == 1


@pytest.mark.parametrize(
    "name",
    [
        "webinar.registration_approved",
        "webinar.registration_denied",
        "webinar.registration_cancelled",
        "webinar.participant_joined",
        "webinar.participant_left",
        "webinar.started",
        "webinar.updated",
        "webinar.created",
    ],
)
def test_webinar_events_ask_for_one_run(client, connected_org, name):
    response = post(client, zoom_event(name))

    assert response.json() == {"accepted": name, "organizations": 1}
    assert SyncRun.objects.get().not_before is None


@pytest.mark.parametrize("name", ["recording.completed", "recording.transcript_completed"])
def test_a_webinar_recording_asks_for_a_run(client, connected_org, name):
    response = post(client, zoom_event(name, type=5, share_url="https://zoom.us/rec/share/x"))

    assert response.json()["accepted"] == name
    assert SyncRun.objects.get().webinar.zoom_webinar_id == str(WEBINAR_ID)


def test_a_meeting_recording_is_ignored(client, connected_org):
    response = post(client, zoom_event("recording.completed", webinar_id=99887766, type=2))

    assert response.json() == {"ignored": "not a webinar"}
    assert nothing_done()


def test_a_recording_of_a_known_webinar_without_a_type_still_counts(client, connected_org):
    post(client, zoom_event("webinar.ended"))
    SyncRun.objects.all().delete()

    event = zoom_event("recording.completed")
    del event["payload"]["object"]["type"]
    response = post(client, event)

    assert response.json()["accepted"] == "recording.completed"
    assert SyncRun.objects.count() == 1


def test_string_webinar_ids_and_missing_host_are_accepted(client, connected_org):
    event = zoom_event("webinar.started", webinar_id="81122334455")
    del event["payload"]["object"]["host_id"]

    assert post(client, event).status_code == 200
    assert Webinar.objects.get().host is None


# --- malformed bodies: 400, never 5xx ----------------------------------------------------------


def _with(path: tuple, value) -> bytes:
    event = zoom_event("webinar.registration_created")
    target = event
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = value
    return json.dumps(event).encode()


MALFORMED = [
    b"",
    b"not json",
    b"\xff\xfe\x00{",
    b"[]",
    b"null",
    b'"webinar.started"',
    b"{}",
    b'{"event": 5}',
    b'{"event": "webinar.started"}',
    b"[" * 50_000 + b"]" * 50_000,
    b'{"event": "webinar.ended", "event_ts": ' + b"9" * 5000 + b"}",
    _with(("payload",), ["account_id"]),
    _with(("payload", "object"), "811"),
    _with(("payload", "object", "id"), None),
    _with(("payload", "object", "id"), True),
    _with(("payload", "object", "id"), "81 OR 1=1"),
    _with(("payload", "object", "id"), "9" * 40),
    _with(("payload", "object", "id"), 1.5),
    _with(("payload", "account_id"), None),
    _with(("payload", "account_id"), ""),
    _with(("payload", "account_id"), "acct\x00"),
    _with(("payload", "account_id"), "a" * 500),
    _with(("payload", "object", "host_id"), 42),
    _with(("payload", "object", "host_id"), "h" * 65),
    _with(("event",), "webinar.started\n"),
]


@pytest.mark.parametrize("raw", MALFORMED, ids=range(len(MALFORMED)))
def test_signed_but_malformed_bodies_are_bad_requests(client, connected_org, raw):
    response = post(client, raw)

    assert response.status_code == 400
    assert nothing_done()


def test_odd_but_harmless_values_do_not_break_the_endpoint(client, connected_org):
    odd = [
        _with(("event_ts",), 2**80),  # not a timestamp: dedupe falls back to the whole body
        _with(("event_ts",), "1790000000000"),
        _with(("event_ts",), None),
        _with(("payload", "object", "registrant"), "jane"),
        _with(("payload", "object", "type"), "5"),
        _with(("payload", "operation"), {"nested": [1, 2]}),
    ]
    for raw in odd:
        assert post(client, raw).status_code == 200


def _random_json(rng: random.Random, depth: int = 0):
    kind = rng.randrange(8 if depth < 4 else 5)
    leaves = [
        None,
        rng.choice([True, False]),
        rng.randrange(-(2**70), 2**70),
        rng.random() * 1e12,
        rng.choice(["", "webinar.ended", ACCOUNT, "811", "\x00", "é" * 70, "x" * 300]),
    ]
    if kind < 5:
        return leaves[kind]
    keys = [
        "event",
        "event_ts",
        "payload",
        "account_id",
        "object",
        "id",
        "host_id",
        "type",
        "registrant",
        "participant",
        "occurrences",
        "operation",
        "plainToken",
        "uuid",
    ]
    if kind == 5:
        return [_random_json(rng, depth + 1) for _ in range(rng.randrange(3))]
    return {rng.choice(keys): _random_json(rng, depth + 1) for _ in range(rng.randrange(5))}


def _mutations(rng: random.Random):
    names = ["webinar.ended", "webinar.deleted", "recording.completed", "endpoint.url_validation"]
    for _ in range(150):
        yield bytes(rng.randrange(256) for _ in range(rng.randrange(1, 60)))
    for _ in range(150):
        valid = bytearray(json.dumps(zoom_event(rng.choice(names))).encode())
        for _ in range(rng.randrange(1, 4)):
            valid[rng.randrange(len(valid))] = rng.randrange(256)
        yield bytes(valid[: rng.randrange(1, len(valid) + 1)])
    for _ in range(200):
        body = _random_json(rng)
        if rng.random() < 0.6:
            body = {"event": rng.choice(names), "event_ts": rng.randrange(10**13), "payload": body}
        yield json.dumps(body).encode()
    for _ in range(100):
        event = zoom_event(rng.choice(names))
        obj = event["payload"]["object"]
        obj[rng.choice(["id", "host_id", "type", "uuid", "occurrences"])] = _random_json(rng)
        yield json.dumps(event).encode()


def test_fuzzed_signed_bodies_never_cause_a_server_error(client, connected_org):
    rng = random.Random(20261126)
    statuses = set()
    for raw in _mutations(rng):
        # The test client re-raises view exceptions, so a crash fails here with its traceback.
        response = post(client, raw)
        assert response.status_code in (200, 400), raw
        statuses.add(response.status_code)
    assert statuses == {200, 400}


def test_a_signed_event_is_answered_quickly(client, connected_org):
    started = time.monotonic()
    post(client, zoom_event("webinar.ended"))
    assert time.monotonic() - started < dt.timedelta(seconds=3).total_seconds()
