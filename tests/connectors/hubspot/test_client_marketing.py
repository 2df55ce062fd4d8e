"""Marketing events, attendance, timeline events and workflow callbacks via the client."""

from __future__ import annotations

import datetime as dt

import pytest

from connectors.errors import NotFoundError, PermanentError
from connectors.hubspot.client import Attendance

ACCOUNT, EVENT = "zoom-acct-1", "webinar-81234567890"
START = dt.datetime(2026, 3, 2, 10, 0, tzinfo=dt.UTC)
END = START + dt.timedelta(hours=1)


@pytest.fixture
def event(hubspot):
    return hubspot.marketing_event_upsert(
        external_account_id=ACCOUNT,
        external_event_id=EVENT,
        event_name="Spring webinar",
        event_organizer="Acme",
        start=START,
        end=END,
        url="https://zoom.example/w/1",
    )


def test_marketing_event_upsert_get_complete_and_cancel(hubspot, event):
    assert event["eventName"] == "Spring webinar"
    again = hubspot.marketing_event_upsert(
        external_account_id=ACCOUNT,
        external_event_id=EVENT,
        event_name="Spring webinar 2",
        event_organizer="Acme",
    )
    assert again["id"] == event["id"]
    fetched = hubspot.marketing_event_get(external_account_id=ACCOUNT, external_event_id=EVENT)
    assert fetched["eventName"] == "Spring webinar 2"
    assert fetched["startDateTime"] == "2026-03-02T10:00:00Z"
    assert hubspot.marketing_event_get(external_account_id="other", external_event_id=EVENT) is None
    done = hubspot.marketing_event_complete(
        external_account_id=ACCOUNT, external_event_id=EVENT, start=START, end=END
    )
    assert done["eventCompleted"] is True
    cancelled = hubspot.marketing_event_cancel(external_account_id=ACCOUNT, external_event_id=EVENT)
    assert cancelled["eventCancelled"] is True


def test_attendance_by_email_creates_missing_contacts_and_records_join_times(fake, hubspot, event):
    known = hubspot.contact_create({"email": "known@acme.example"})
    registered = hubspot.marketing_event_attendance(
        external_account_id=ACCOUNT,
        external_event_id=EVENT,
        state="register",
        attendances=[
            Attendance("known@acme.example", START),
            Attendance("new@acme.example", START, contact_properties={"firstname": "Nu"}),
        ],
    )
    assert registered.ok and len(registered.results) == 2
    new = hubspot.contact_get(email="new@acme.example", properties=["firstname"])
    assert new["properties"]["firstname"] == "Nu"
    attended = hubspot.marketing_event_attendance(
        external_account_id=ACCOUNT,
        external_event_id=EVENT,
        state="attend",
        attendances=[
            Attendance("known@acme.example", START, joined_at=START, left_at=END),
            Attendance("not an email", START),
        ],
    )
    assert [row["vid"] for row in attended.results] == [int(known["id"])]
    assert len(attended.errors) == 1
    counters = hubspot.marketing_event_participation_counters(
        external_account_id=ACCOUNT, external_event_id=EVENT
    )
    assert counters == {"attended": 1, "registered": 2, "cancelled": 0, "noShows": 1}
    rows = list(
        hubspot.marketing_event_participations(
            external_account_id=ACCOUNT, external_event_id=EVENT, state="ATTENDED"
        )
    )
    [row] = rows
    assert row["associations"]["contact"]["email"] == "known@acme.example"
    assert row["properties"]["joinedAt"] == str(int(START.timestamp() * 1000))


def test_attendance_chunks_by_100_and_pages_participations(fake, hubspot, event):
    people = [Attendance(f"p{i}@acme.example", START) for i in range(230)]
    result = hubspot.marketing_event_attendance(
        external_account_id=ACCOUNT, external_event_id=EVENT, state="register", attendances=people
    )
    assert len(result.results) == 230
    assert len([p for _, p in fake.request_log if p.endswith("/email-create")]) == 3
    rows = list(
        hubspot.marketing_event_participations(external_account_id=ACCOUNT, external_event_id=EVENT)
    )
    assert len(rows) == 230


def test_attendance_for_an_unknown_event_is_not_found(hubspot):
    with pytest.raises(NotFoundError):
        hubspot.marketing_event_attendance(
            external_account_id=ACCOUNT,
            external_event_id="nope",
            state="attend",
            attendances=[Attendance("a@acme.example", START)],
        )


def test_timeline_events_need_an_existing_template(fake, hubspot):
    event = {"eventTemplateId": "123", "email": "a@acme.example", "tokens": {}}
    with pytest.raises(NotFoundError):
        hubspot.timeline_event_create(event)
    template = fake.timeline_template_add(
        name="Webinar attended",
        tokens=[
            {"name": "webinar", "label": "Webinar", "type": "string"},
            {"name": "minutes", "label": "Minutes", "type": "number"},
        ],
    )
    created = hubspot.timeline_event_create(
        {
            "eventTemplateId": template,
            "email": "tl@acme.example",
            "tokens": {"webinar": "Spring", "minutes": 42},
            "id": "evt-1",
        }
    )
    assert created["objectId"] == hubspot.contact_get(email="tl@acme.example")["id"]
    with pytest.raises(PermanentError, match="Unknown token"):
        hubspot.timeline_event_create(
            {"eventTemplateId": template, "email": "tl@acme.example", "tokens": {"x": 1}}
        )
    batch = hubspot.batch_create_timeline_events(
        [
            {"eventTemplateId": template, "email": "b1@acme.example", "tokens": {"minutes": 3}},
            {"eventTemplateId": template, "email": "b2@acme.example", "tokens": {}, "id": "evt-1"},
        ]
    )
    assert len(batch.results) == 1
    assert batch.errors[0]["category"] == "CONFLICT"


def test_action_callbacks_complete_single_and_batch(fake, hubspot):
    one, two, three = (fake.action_callback_start() for _ in range(3))
    hubspot.action_callback_complete(one, {"hs_execution_state": "SUCCESS"})
    assert fake.action_callbacks[one] == {"hs_execution_state": "SUCCESS"}
    hubspot.batch_complete_action_callbacks(
        {
            two: {"hs_execution_state": "FAIL_CONTINUE", "reason": "webinar full"},
            three: {"hs_execution_state": "SUCCESS"},
        }
    )
    assert fake.action_callbacks[two]["reason"] == "webinar full"
    with pytest.raises(PermanentError, match="already completed"):
        hubspot.action_callback_complete(one, {"hs_execution_state": "SUCCESS"})
    with pytest.raises(NotFoundError):
        hubspot.action_callback_complete("ap-unknown", {"hs_execution_state": "SUCCESS"})
