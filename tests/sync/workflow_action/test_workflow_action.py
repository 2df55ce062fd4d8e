"""POST /hubspot/actions/add-to-webinar/: HubSpot's workflow action against the sandbox.

Signature first; the portal resolves to one organisation; each callbackId takes effect once;
Zoom's errors become FAIL_CONTINUE reasons; busy or failing vendors become 429 Retry-After.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import io
import itertools
import json
import random
import time

import pytest
from django.core.management import call_command
from django.utils import timezone

from connectors.hubspot.sandbox import PORTAL_ID
from connectors.models import Connection, ConnectionStatus, RateLimitBlock
from connectors.sandbox.core import Fault
from sync.models import Attendance, SyncRun, WorkflowActionExecution
from sync.webinars.rollups import PROP_LAST_REGISTERED
from sync.workflow_action import executions
from sync.workflow_action.requests import InvalidWebinarId, webinar_id_normalise
from tests.factories import organization_make
from tests.sync.webinars.webinar_world import world_make

pytestmark = pytest.mark.django_db

BASE = "https://meetbridge.example"
PATH = "/hubspot/actions/add-to-webinar/"
REGISTER = r"/webinars/\d+/registrants$"
Execution = WorkflowActionExecution
_callbacks = itertools.count(1)


@pytest.fixture(autouse=True)
def _public_url(settings):
    settings.PUBLIC_BASE_URL = BASE


@pytest.fixture(autouse=True)
def _no_duplicate_wait(monkeypatch):
    monkeypatch.setattr(executions, "DUPLICATE_WAIT", 0.0)


@pytest.fixture
def world(sandbox, org_a, manager_a):
    return world_make(
        sandbox, org_a, manager_a, users=3, webinars_per_user=2, registrants_per_webinar=3
    )


# --- helpers ----------------------------------------------------------------------------------


def secret() -> str:
    from django.conf import settings

    return settings.PROVIDERS["hubspot"]["client_secret"]


def a_contact(world, index: int = 0):
    contacts = [
        record
        for record in world.hubspot.objects["contacts"].values()
        if all(record.properties.get(name) for name in ("email", "firstname", "lastname"))
    ]
    return sorted(contacts, key=lambda record: int(record.id))[index]


def execution(contact, webinar_id, *, callback_id: str | None = None, **properties) -> dict:
    """A real-shaped execution request (apis.md §2.11)."""
    values = {name: contact.properties.get(name) for name in ("email", "firstname", "lastname")}
    values.update(properties)
    return {
        "callbackId": callback_id or f"ap-102-{next(_callbacks)}",
        "origin": {
            "portalId": PORTAL_ID,
            "actionDefinitionId": 9911,
            "actionDefinitionVersion": 1,
        },
        "context": {"source": "WORKFLOWS", "workflowId": 4321},
        "object": {"objectId": int(contact.id), "objectType": "CONTACT", "properties": values},
        "inputFields": {"webinar_id": webinar_id},
    }


def v3_headers(raw: bytes, url: str, *, key: str, timestamp: int | None = None) -> dict:
    stamp = str(timestamp if timestamp is not None else int(time.time() * 1000))
    message = b"POST" + url.encode() + raw + stamp.encode()
    digest = hmac.new(key.encode(), message, hashlib.sha256).digest()
    return {
        "X-HubSpot-Signature-v3": base64.b64encode(digest).decode(),
        "X-HubSpot-Request-Timestamp": stamp,
    }


def v2_headers(raw: bytes, url: str, *, key: str) -> dict:
    signature = hashlib.sha256(key.encode() + b"POST" + url.encode() + raw).hexdigest()
    return {"X-HubSpot-Signature": signature, "X-HubSpot-Signature-Version": "v2"}


def post(client, body, *, version="v3", key=None, query="", headers=None, signed_url=None):
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    url = signed_url or BASE + PATH + query
    sign = v3_headers if version == "v3" else v2_headers
    signed = sign(raw, url, key=key or secret()) if version else {}
    return client.post(
        PATH + query,
        data=raw,
        content_type="application/json",
        headers={**signed, **(headers or {})},
    )


def outputs(response) -> dict:
    assert response.status_code == 200, response.content
    return response.json()["outputFields"]


def registrant_posts(world) -> int:
    return sum(
        1
        for method, path in world.zoom.request_log
        if method == "POST" and path.endswith("/registrants")
    )


def zoom_registrants(world, webinar_id) -> list[str]:
    return [row["email"] for row in world.zoom.registrants.get(int(webinar_id), [])]


# --- success ----------------------------------------------------------------------------------


def test_a_signed_execution_registers_the_contact_and_records_everything(client, world):
    contact = a_contact(world)
    webinar_id = world.demo["upcoming_webinar_id"]
    email = contact.properties["email"].lower()

    response = post(client, execution(contact, str(webinar_id), callback_id="ap-1-ok"))

    fields = outputs(response)
    zoom_webinar = world.zoom.webinars[webinar_id]
    assert fields["hs_execution_state"] == "SUCCESS"
    assert fields["meetbridge_webinar_id"] == str(webinar_id)
    assert fields["meetbridge_registration_status"] == "approved"
    assert fields["meetbridge_join_url"].startswith(zoom_webinar["join_url"])
    assert fields["meetbridge_error"] == ""
    assert email in zoom_registrants(world, webinar_id)
    # Only the three supported fields were sent to Zoom.
    registrant = world.zoom.registrants[webinar_id][-1]
    assert (registrant["first_name"], registrant["last_name"]) == (
        contact.properties["firstname"],
        contact.properties["lastname"],
    )
    assert not {"org", "job_title", "phone"} & set(registrant)
    # The contact's "Last registered Zoom webinar" is the webinar's join URL (property created).
    assert world.hubspot_contact(email).properties[PROP_LAST_REGISTERED] == zoom_webinar["join_url"]
    # The ledger, the audit row and the follow-up sync.
    row = Execution.objects.get(callback_id="ap-1-ok")
    assert (row.state, row.reason, row.email, row.zoom_webinar_id) == (
        "succeeded",
        "",
        email,
        str(webinar_id),
    )
    assert row.hubspot_object_id == contact.id and row.workflow_id == "4321"
    assert row.output_fields == fields and row.property_error == ""
    attendance = Attendance.objects.get(webinar=row.webinar, email=email)
    assert attendance.source == Attendance.Source.WORKFLOW
    assert attendance.registration_status == "approved"
    assert attendance.session.occurrence_key == ""
    assert attendance.registered_at is not None
    assert row.webinar.join_url == zoom_webinar["join_url"]
    run = SyncRun.objects.get(webinar=row.webinar)
    assert (run.trigger, run.status) == (SyncRun.Trigger.WORKFLOW, SyncRun.Status.QUEUED)


def test_a_manually_approved_webinar_registers_as_pending(client, world):
    webinar_id = world.demo["manual_webinar_id"]
    world.zoom.webinars[webinar_id]["_questions"]["custom_questions"] = []

    fields = outputs(post(client, execution(a_contact(world), webinar_id)))

    assert fields["hs_execution_state"] == "SUCCESS"
    assert fields["meetbridge_registration_status"] == "pending"
    assert Attendance.objects.get().registration_status == "pending"


def test_v2_signatures_are_accepted_and_the_query_string_is_signed(client, world):
    body = execution(a_contact(world), world.demo["upcoming_webinar_id"])

    response = post(client, body, version="v2", query="?portalId=48151623")

    assert outputs(response)["hs_execution_state"] == "SUCCESS"


def test_registering_someone_already_registered_keeps_one_ledger_row(client, world):
    contact = a_contact(world)
    webinar_id = world.demo["upcoming_webinar_id"]
    first = outputs(post(client, execution(contact, webinar_id)))

    second = outputs(post(client, execution(contact, webinar_id)))

    assert second["meetbridge_join_url"] == first["meetbridge_join_url"]
    assert zoom_registrants(world, webinar_id).count(contact.properties["email"].lower()) == 1
    assert Attendance.objects.count() == 1


# --- signatures -------------------------------------------------------------------------------


def _unsigned(client, raw):
    return post(client, raw, version=None)


def _v3_stale(client, raw):
    stale = int((time.time() - 301) * 1000)
    return client.post(
        PATH,
        data=raw,
        content_type="application/json",
        headers=v3_headers(raw, BASE + PATH, key=secret(), timestamp=stale),
    )


def _v3_tampered(client, raw):
    headers = v3_headers(raw, BASE + PATH, key=secret())
    tampered = raw.replace(b"WORKFLOWS", b"WORKFLOWZ")
    return client.post(PATH, data=tampered, content_type="application/json", headers=headers)


def _v3_other_secret(client, raw):
    return post(client, raw, key="not-our-secret")


def _v3_other_url(client, raw):
    return post(client, raw, signed_url="http://testserver" + PATH)


def _v2_bad(client, raw):
    return post(client, raw, version="v2", key="not-our-secret")


def _v2_tampered(client, raw):
    headers = v2_headers(raw, BASE + PATH, key=secret())
    return client.post(PATH, data=raw + b" ", content_type="application/json", headers=headers)


@pytest.mark.parametrize(
    "send",
    [_unsigned, _v3_stale, _v3_tampered, _v3_other_secret, _v3_other_url, _v2_bad, _v2_tampered],
)
def test_unproven_requests_get_401_and_nothing_is_done(client, world, send):
    raw = json.dumps(execution(a_contact(world), world.demo["upcoming_webinar_id"])).encode()
    calls_before = len(world.zoom.request_log)

    response = send(client, raw)

    assert response.status_code == 401
    assert "signature" in response.json()["error"]
    assert not Execution.objects.exists()
    assert len(world.zoom.request_log) == calls_before
    assert not Attendance.objects.exists()


def test_without_a_configured_client_secret_everything_is_refused(client, world, settings):
    hubspot = {**settings.PROVIDERS["hubspot"], "client_secret": ""}
    settings.PROVIDERS = {**settings.PROVIDERS, "hubspot": hubspot}

    response = post(client, execution(a_contact(world), "81234567890"), key="")

    assert response.status_code == 401
    assert not Execution.objects.exists()


def test_only_post_is_allowed(client):
    assert client.get(PATH).status_code == 405


# --- callbackId once --------------------------------------------------------------------------


def test_a_replayed_callback_gets_the_first_answer_without_registering_again(client, world):
    body = execution(a_contact(world), world.demo["upcoming_webinar_id"])
    first = post(client, body)
    posts = registrant_posts(world)

    again = post(client, body, version="v2")

    assert again.json() == first.json()
    assert registrant_posts(world) == posts == 1
    row = Execution.objects.get()
    assert (row.replays, row.attempts) == (1, 1)


def test_a_replayed_failure_is_answered_from_the_record(client, world):
    body = execution(a_contact(world), world.demo["past_webinar_id"])
    first = outputs(post(client, body))
    calls = len(world.zoom.request_log)

    assert outputs(post(client, body)) == first
    assert len(world.zoom.request_log) == calls


def test_a_concurrent_duplicate_is_told_to_retry_and_then_gets_the_first_outcome(
    client, world, monkeypatch
):
    body = execution(a_contact(world), world.demo["upcoming_webinar_id"])
    duplicates = []
    original = world.zoom.registrant_add

    def racing_add(request, webinar_id):
        # HubSpot delivers the same execution again while the first is inside Zoom's call.
        duplicates.append(post(client, body))
        return original(request, webinar_id)

    monkeypatch.setattr(world.zoom, "registrant_add", racing_add)

    first = post(client, body)

    assert outputs(first)["hs_execution_state"] == "SUCCESS"
    (duplicate,) = duplicates
    assert duplicate.status_code == 429
    assert duplicate["Retry-After"] == str(executions.IN_FLIGHT_RETRY_AFTER)
    monkeypatch.setattr(world.zoom, "registrant_add", original)
    retried = post(client, body)
    assert retried.json() == first.json()
    assert registrant_posts(world) == 1
    assert Execution.objects.get().attempts == 1


def test_a_claim_whose_worker_vanished_is_taken_again(client, world, org_a):
    body = execution(a_contact(world), world.demo["upcoming_webinar_id"])
    Execution.objects.create(
        organization=org_a,
        callback_id=body["callbackId"],
        portal_id=str(PORTAL_ID),
        claimed_at=timezone.now() - executions.LEASE - dt.timedelta(seconds=1),
    )

    assert outputs(post(client, body))["hs_execution_state"] == "SUCCESS"
    assert Execution.objects.get().attempts == 2


def test_a_callback_of_another_organisation_is_not_answered_with_its_outcome(client, world, org_b):
    body = execution(a_contact(world), world.demo["upcoming_webinar_id"])
    Execution.objects.create(
        organization=org_b,
        callback_id=body["callbackId"],
        portal_id="1",
        state=Execution.State.SUCCEEDED,
        output_fields={"hs_execution_state": "SUCCESS", "meetbridge_join_url": "secret"},
    )

    fields = outputs(post(client, body))

    assert fields["hs_execution_state"] == "FAIL_CONTINUE"
    assert fields["meetbridge_error_code"] == "callback_conflict"
    assert registrant_posts(world) == 0


# --- portals ----------------------------------------------------------------------------------


def test_an_unknown_portal_gets_a_clear_failure_and_no_record(client, world):
    body = execution(a_contact(world), world.demo["upcoming_webinar_id"])
    body["origin"]["portalId"] = 999

    fields = outputs(post(client, body))

    assert fields["hs_execution_state"] == "FAIL_CONTINUE"
    assert fields["meetbridge_error_code"] == "unknown_portal"
    assert "not connected to Meetbridge" in fields["meetbridge_error"]
    assert not Execution.objects.exists()
    assert registrant_posts(world) == 0


def test_a_portal_connected_by_two_organisations_is_refused(client, world):
    other = organization_make("Gamma")
    Connection.objects.create(
        organization=other,
        provider="hubspot",
        status=ConnectionStatus.ACTIVE,
        external_account_id=str(PORTAL_ID),
    )

    fields = outputs(post(client, execution(a_contact(world), world.demo["upcoming_webinar_id"])))

    assert fields["meetbridge_error_code"] == "unknown_portal"
    assert "several Meetbridge organisations" in fields["meetbridge_error"]
    assert registrant_posts(world) == 0


def test_an_inactive_hubspot_connection_does_not_claim_the_portal(client, world, org_a):
    Connection.objects.filter(organization=org_a, provider="hubspot").update(
        status=ConnectionStatus.NEEDS_REAUTH
    )

    fields = outputs(post(client, execution(a_contact(world), world.demo["upcoming_webinar_id"])))

    assert fields["meetbridge_error_code"] == "unknown_portal"


# --- Zoom's answers become reasons ------------------------------------------------------------


def _failure(client, world, body) -> dict:
    fields = outputs(post(client, body))
    assert fields["hs_execution_state"] == "FAIL_CONTINUE"
    row = Execution.objects.get(callback_id=body["callbackId"])
    assert row.state == Execution.State.FAILED
    assert (row.reason, row.message) == (
        fields["meetbridge_error_code"],
        fields["meetbridge_error"],
    )
    assert not Attendance.objects.exists()
    return fields


def test_registration_not_enabled(client, world):
    body = execution(a_contact(world), world.demo["no_registration_webinar_id"])

    fields = _failure(client, world, body)

    assert fields["meetbridge_error"] == (
        "Registration required: enable registration for this webinar in Zoom"
    )


def test_zoom_code_3000_for_no_registration_is_read_the_same_way(client, world):
    world.zoom.fault_add(
        Fault(
            400,
            method="POST",
            path=REGISTER,
            body={"code": 3000, "message": "This webinar does not have registration as required"},
        )
    )
    body = execution(a_contact(world), world.demo["upcoming_webinar_id"])

    assert _failure(client, world, body)["meetbridge_error_code"] == "registration_not_enabled"


def test_zoom_code_3000_for_something_else_keeps_zooms_words(client, world):
    world.zoom.fault_add(
        Fault(
            400,
            method="POST",
            path=REGISTER,
            body={"code": 3000, "message": "REST API does not support paid registration."},
        )
    )
    body = execution(a_contact(world), world.demo["upcoming_webinar_id"])

    fields = _failure(client, world, body)

    assert fields["meetbridge_error_code"] == "zoom_refused"
    assert "paid registration" in fields["meetbridge_error"]


def test_the_webinar_host_cannot_register(client, world):
    webinar_id = world.demo["upcoming_webinar_id"]
    host_email = world.zoom.webinars[webinar_id]["host_email"]
    body = execution(a_contact(world), webinar_id, email=host_email.upper())

    fields = _failure(client, world, body)

    assert fields["meetbridge_error"] == "The webinar host cannot register for the webinar"
    assert registrant_posts(world) == 0


def test_the_connected_zoom_user_cannot_register_for_someone_elses_webinar(client, world):
    webinar_id = world.demo["manual_webinar_id"]  # hosted by another user than the owner
    owner_email = world.zoom.users[world.zoom.owner_id]["email"]
    assert world.zoom.webinars[webinar_id]["host_email"] != owner_email

    fields = _failure(client, world, execution(a_contact(world), webinar_id, email=owner_email))

    assert fields["meetbridge_error_code"] == "host_cannot_register"


def test_zoom_code_3027_means_the_host(client, world):
    world.zoom.fault_add(
        Fault(400, method="POST", path=REGISTER, body={"code": 3027, "message": "Host cannot"})
    )
    body = execution(a_contact(world), world.demo["upcoming_webinar_id"])

    assert _failure(client, world, body)["meetbridge_error_code"] == "host_cannot_register"


def test_a_webinar_that_is_over(client, world):
    fields = _failure(client, world, execution(a_contact(world), world.demo["past_webinar_id"]))

    assert fields["meetbridge_error_code"] == "webinar_over"
    assert fields["meetbridge_error"] == "The webinar is over; registration is closed"


def test_a_webinar_that_does_not_exist(client, world):
    fields = _failure(client, world, execution(a_contact(world), "999 9999 9999"))

    assert fields["meetbridge_error_code"] == "webinar_not_found"
    assert "99999999999 was not found in the connected Zoom account" in fields["meetbridge_error"]
    assert fields["meetbridge_webinar_id"] == "99999999999"


def test_a_webinar_of_another_zoom_account(client, world):
    webinar_id = world.demo["upcoming_webinar_id"]
    foreign = {**world.zoom.webinars[webinar_id], "id": 88800011122}
    foreign.update(host_id="hostOfAnotherAccount", host_email="someone@elsewhere.example")
    world.zoom.webinars[88800011122] = foreign

    fields = _failure(client, world, execution(a_contact(world), "88800011122"))

    assert fields["meetbridge_error_code"] == "other_account"
    assert "another Zoom account" in fields["meetbridge_error"]
    assert registrant_posts(world) == 0


def test_a_zoom_events_webinar_is_not_supported(client, world):
    body = execution(a_contact(world), world.demo["zoom_events_webinar_id"])

    assert _failure(client, world, body)["meetbridge_error_code"] == "zoom_events"


@pytest.mark.parametrize("email", ["", None, "   ", {"value": "x@example.com"}])
def test_a_contact_without_email(client, world, email):
    body = execution(a_contact(world), world.demo["upcoming_webinar_id"], email=email)

    fields = _failure(client, world, body)

    assert fields["meetbridge_error_code"] == "missing_email"
    assert "no email address" in fields["meetbridge_error"]
    assert registrant_posts(world) == 0


def test_a_contact_with_an_invalid_email(client, world):
    body = execution(a_contact(world), world.demo["upcoming_webinar_id"], email="jane@")

    assert _failure(client, world, body)["meetbridge_error_code"] == "invalid_email"


def test_required_custom_questions_fail_with_the_explanation(client, world):
    body = execution(a_contact(world), world.demo["manual_webinar_id"])

    fields = _failure(client, world, body)

    assert fields["meetbridge_error_code"] == "required_fields"
    assert "How did you hear about us?" in fields["meetbridge_error"]
    assert "first name, last name and email" in fields["meetbridge_error"]
    assert registrant_posts(world) == 0


def test_required_standard_fields_fail_with_their_names(client, world):
    webinar_id = world.demo["upcoming_webinar_id"]
    world.zoom.webinars[webinar_id]["_questions"]["questions"].append(
        {"field_name": "org", "required": True}
    )

    fields = _failure(client, world, execution(a_contact(world), webinar_id))

    assert "(Organization)" in fields["meetbridge_error"]


def test_a_required_last_name_the_contact_lacks(client, world):
    body = execution(a_contact(world), world.demo["upcoming_webinar_id"], lastname="")

    fields = _failure(client, world, body)

    assert fields["meetbridge_error_code"] == "missing_name"
    assert "requires a last name" in fields["meetbridge_error"]


def test_a_contact_without_first_name(client, world):
    body = execution(a_contact(world), world.demo["upcoming_webinar_id"], firstname=None)

    assert _failure(client, world, body)["meetbridge_error_code"] == "missing_name"


def test_zoom_not_connected(client, world, org_a):
    Connection.objects.filter(organization=org_a, provider="zoom").delete()
    body = execution(a_contact(world), world.demo["upcoming_webinar_id"])

    assert _failure(client, world, body)["meetbridge_error_code"] == "zoom_not_connected"


def test_zoom_connection_needing_reconnection(client, world, org_a):
    Connection.objects.filter(organization=org_a, provider="zoom").update(
        status=ConnectionStatus.NEEDS_REAUTH
    )
    body = execution(a_contact(world), world.demo["upcoming_webinar_id"])

    fields = _failure(client, world, body)

    assert fields["meetbridge_error"] == "The Zoom connection needs reconnecting in Meetbridge"


# --- busy and failing vendors -----------------------------------------------------------------


def test_a_zoom_rate_limit_asks_hubspot_to_retry_and_the_retry_registers(client, world):
    world.zoom.fault_add(
        Fault(
            429,
            method="POST",
            path=REGISTER,
            body={"code": 429, "message": "You have reached the maximum per-second rate limit"},
            headers={"Retry-After": "7"},
        )
    )
    body = execution(a_contact(world), world.demo["upcoming_webinar_id"])

    limited = post(client, body)

    assert limited.status_code == 429
    assert limited["Retry-After"] == "7"
    row = Execution.objects.get()
    assert row.state == Execution.State.RETRY and "rate limit" in row.message
    assert not Attendance.objects.exists()
    RateLimitBlock.objects.all().delete()  # the seven seconds have passed

    assert outputs(post(client, body))["hs_execution_state"] == "SUCCESS"
    row.refresh_from_db()
    assert (row.state, row.attempts) == (Execution.State.SUCCEEDED, 2)


def test_zoom_being_down_asks_hubspot_to_retry(client, world):
    world.zoom.fault_add(Fault(503, path=r"/webinars/", times=2))
    body = execution(a_contact(world), world.demo["upcoming_webinar_id"])

    response = post(client, body)

    assert response.status_code == 429
    assert int(response["Retry-After"]) >= 1
    assert Execution.objects.get().state == Execution.State.RETRY


def test_a_failed_property_write_keeps_the_registration_and_says_why(client, world):
    world.hubspot.fault_add(Fault(500, method="PATCH", path=r"/contacts/", times=5))
    body = execution(a_contact(world), world.demo["upcoming_webinar_id"])

    fields = outputs(post(client, body))

    assert fields["hs_execution_state"] == "SUCCESS"
    row = Execution.objects.get()
    assert row.state == Execution.State.SUCCEEDED
    assert row.property_error.startswith("HubSpot:")
    assert SyncRun.objects.filter(trigger=SyncRun.Trigger.WORKFLOW).count() == 1


# --- webinar ID normalisation -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("81234567890", "81234567890"),
        (" 812 3456 7890 ", "81234567890"),
        ("812-3456-7890", "81234567890"),
        ("812\u20133456\u20137890", "81234567890"),  # en dashes
        ("812\u00a03456\u00a07890", "81234567890"),  # no-break spaces
        (81234567890, "81234567890"),
    ],
)
def test_webinar_ids_are_normalised_to_digits(typed, expected):
    assert webinar_id_normalise(typed) == expected


@pytest.mark.parametrize(
    "typed",
    [
        "",
        None,
        "abc",
        "812345678x0",
        "https://zoom.us/j/81234567890",
        "42",
        "\uff18\uff11\uff12\uff13\uff14\uff15\uff16\uff17\uff18\uff19\uff10",  # full-width
        True,
        8.1e10,
        ["81234567890"],
        {"id": 1},
        "1" * 40,
    ],
)
def test_anything_else_is_not_a_webinar_id(typed):
    with pytest.raises(InvalidWebinarId):
        webinar_id_normalise(typed)


def test_a_typed_id_with_spaces_and_dashes_registers(client, world):
    webinar_id = str(world.demo["upcoming_webinar_id"])
    typed = f"{webinar_id[:3]} {webinar_id[3:7]}-{webinar_id[7:]}"

    fields = outputs(post(client, execution(a_contact(world), typed)))

    assert fields["hs_execution_state"] == "SUCCESS"
    assert Execution.objects.get().webinar_input == typed


def test_an_invalid_webinar_id_fails_clearly_without_calling_zoom(client, world):
    fields = _failure(client, world, execution(a_contact(world), "Webinar 12a"))

    assert fields["meetbridge_error_code"] == "invalid_webinar_id"
    assert "Webinar 12a" in fields["meetbridge_error"]
    assert registrant_posts(world) == 0


# --- malformed payloads -----------------------------------------------------------------------


@pytest.mark.parametrize(
    "raw",
    [
        b"",
        b"not json",
        b"\xff\xfe\x00",
        b"[]",
        b'"callbackId"',
        b"{}",
        b'{"callbackId": 5, "origin": {"portalId": 48151623}}',
        b'{"callbackId": "ap-1", "origin": {"portalId": {"id": 1}}}',
        b'{"callbackId": "ap 1 with spaces", "origin": {"portalId": 48151623}}',
        b"[" * 100_000,
    ],
)
def test_unreadable_signed_bodies_are_bad_requests(client, world, raw):
    response = post(client, raw)

    assert response.status_code == 400
    assert not Execution.objects.exists()


_JUNK = [None, True, 0, -1, 1.5, "", " ", "x" * 5000, "\x00", "ñ", [], {}, [1, "a"], {"a": {}}]


def _mutations(rng: random.Random, body: dict):
    """Replace or delete one value somewhere in the body, or break the bytes."""
    paths = []

    def walk(node, trail):
        if isinstance(node, dict):
            for key, value in node.items():
                paths.append((*trail, key))
                walk(value, (*trail, key))

    walk(body, ())
    for _ in range(120):
        mutated = json.loads(json.dumps(body))
        mutated["callbackId"] = f"ap-fuzz-{rng.randrange(10**9)}"
        trail = rng.choice(paths)
        parent = mutated
        for key in trail[:-1]:
            parent = parent.get(key) if isinstance(parent, dict) else None
        if isinstance(parent, dict):
            if rng.random() < 0.3:
                parent.pop(trail[-1], None)
            else:
                parent[trail[-1]] = rng.choice(_JUNK)
        raw = json.dumps(mutated).encode()
        if rng.random() < 0.1:
            raw = raw[: rng.randrange(len(raw))]
        yield raw


def test_fuzzed_payloads_never_cause_a_server_error(client, world):
    body = execution(a_contact(world), world.demo["upcoming_webinar_id"])
    rng = random.Random(5)

    statuses = {post(client, raw).status_code for raw in _mutations(rng, body)}

    assert statuses <= {200, 400}, statuses
    for row in Execution.objects.all():
        assert row.state in (Execution.State.SUCCEEDED, Execution.State.FAILED)


# --- the definition ---------------------------------------------------------------------------


def test_the_definition_command_prints_the_action_for_this_deployment():
    out, err = io.StringIO(), io.StringIO()

    call_command("hubspot_action_definition", stdout=out, stderr=err)

    definition = json.loads(out.getvalue())
    assert definition["actionUrl"] == BASE + PATH
    assert definition["objectTypes"] == ["CONTACT"]
    assert definition["objectRequestOptions"] == {"properties": ["email", "firstname", "lastname"]}
    (field,) = definition["inputFields"]
    assert field["typeDefinition"]["name"] == "webinar_id"
    assert field["supportedValueTypes"] == ["STATIC_VALUE", "OBJECT_PROPERTY"]
    assert field["isRequired"] is True
    outputs_defined = {o["typeDefinition"]["name"] for o in definition["outputFields"]}
    assert {"meetbridge_error", "meetbridge_error_code", "meetbridge_join_url"} <= outputs_defined
    labels = definition["labels"]["en"]
    assert labels["actionName"] == "Add contact to Zoom webinar"
    assert labels["inputFieldLabels"] == {"webinar_id": "Zoom webinar ID"}
    assert set(labels["outputFieldLabels"]) == outputs_defined
    rules = {rule["labelName"]: rule["conditions"] for rule in definition["executionRules"]}
    assert rules["error_registration_not_enabled"] == {
        "meetbridge_error_code": "registration_not_enabled"
    }
    assert labels["executionRules"]["error_registration_not_enabled"] == (
        "Registration required: enable registration for this webinar in Zoom"
    )
    assert set(labels["executionRules"]) == set(rules)
    assert err.getvalue() == ""


# --- the audit in the admin -------------------------------------------------------------------


def test_members_read_the_execution_in_the_admin_without_the_personal_join_link(
    client, world, manager_a
):
    post(client, execution(a_contact(world), world.demo["upcoming_webinar_id"]))
    row = Execution.objects.get()
    client.force_login(manager_a)

    listing = client.get("/admin/sync/workflowactionexecution/")
    page = client.get(f"/admin/sync/workflowactionexecution/{row.pk}/change/")

    assert listing.status_code == page.status_code == 200
    text = page.content.decode()
    assert row.email in text and row.zoom_webinar_id in text
    assert "(personal join link)" in text
    assert row.join_url not in text


def test_every_call_of_an_execution_carries_its_callback_id(client, world):
    from connectors.models import ApiCall

    before = ApiCall.objects.count()
    body = execution(a_contact(world), str(world.demo["upcoming_webinar_id"]), callback_id="ap-7")

    assert outputs(post(client, body))["hs_execution_state"] == "SUCCESS"

    calls = list(ApiCall.objects.order_by("pk"))[before:]
    assert {call.provider for call in calls} == {"zoom", "hubspot"}
    assert {call.context for call in calls} == {"workflow-action:ap-7"}
