"""A booking's Zoom meeting: created for the host, updated on reschedule, deleted on cancel.

The host is the Zoom user with the host's email (`GET /users/{email}`, apis.md §3.5). Creating
and updating count against Zoom's 100 meeting writes per user per UTC day (§0.8): the HTTP layer
raises RateLimitedError with the wait until 00:00 UTC, and the caller retries then.

Idempotency: the meeting id is stored the moment Zoom answers; a retry updates that meeting
instead of creating one, and a meeting deleted at Zoom is re-created (re-checked by id). Zoom
has no idempotency key, so the moment a create starts is stored first: a retry that finds it
without an id (the answer was lost to a timeout, or the worker died before saving it) looks for
the meeting among the host's meetings (the agenda starts with the booking's reference, created
since) and adopts it rather than creating a second one. The create itself is not resent by the
HTTP layer after a timeout (`idempotent=False`): the retry that looks first is the task's.
"""

from __future__ import annotations

import datetime as dt
import secrets
import string

from django.utils import timezone

from connectors.errors import NotFoundError, ReauthRequiredError
from meetings.models import Booking, WorkState
from meetings.rendering import booking_body, booking_title
from meetings.steps import StepResult, ids_save

_PASSCODE_ALPHABET = string.ascii_letters + string.digits
AGENDA_LIMIT = 2000  # characters (apis.md §3.5)
LIST_SCOPE = "meeting:read:list_meetings:admin"


def zoom_start_time(value: dt.datetime) -> str:
    return value.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def zoom_meeting_sync(booking: Booking, client) -> StepResult:
    """Bring the Zoom meeting in line with the booking. Raises ConnectorError subclasses."""
    note, adopted = "", False
    if not booking.zoom_meeting_id and booking.zoom_create_started_at and booking.zoom_user_id:
        try:
            found = _meeting_find(booking, client)
        except ReauthRequiredError:
            # A grant from before the list scope was asked for: create as before, and say so.
            found, note = None, f"could not look for an earlier attempt's meeting ({LIST_SCOPE})"
        if found:
            ids_save(booking, zoom_meeting_id=str(found["id"]), zoom_join_url=found["join_url"])
            adopted = True
            note = f"meeting {found['id']} from an earlier attempt whose answer was lost"
    if booking.status == Booking.Status.CANCELLED:
        return _delete(booking, client)
    if not booking.zoom_user_id:
        try:
            user = client.user_get(booking.host.email)
        except NotFoundError:
            return StepResult(
                WorkState.FAILED,
                f"host {booking.host.email} is not a user of the connected Zoom account",
            )
        ids_save(booking, zoom_user_id=str(user["id"]))
    meeting_type = booking.meeting_type
    fields = _meeting_fields(booking)
    if booking.zoom_meeting_id:
        try:
            client.meeting_update(booking.zoom_meeting_id, host_id=booking.zoom_user_id, **fields)
            # An adopted meeting's join URL is news to HubSpot (its location).
            return StepResult(WorkState.DONE, note, join_url_changed=adopted)
        except NotFoundError:
            note = f"meeting {booking.zoom_meeting_id} was deleted at Zoom; created a new one"
            ids_save(booking, zoom_meeting_id="", zoom_join_url="")
    ids_save(booking, zoom_create_started_at=timezone.now())
    meeting = client.meeting_create(
        booking.zoom_user_id,
        settings={
            "waiting_room": meeting_type.zoom_waiting_room,
            "join_before_host": False,
            "approval_type": 2,
            "meeting_invitees": [{"email": booking.invitee_email}],
        },
        password=_passcode() if meeting_type.zoom_passcode else None,
        **fields,
    )
    ids_save(booking, zoom_meeting_id=str(meeting["id"]), zoom_join_url=meeting["join_url"])
    return StepResult(WorkState.DONE, note, join_url_changed=True)


def _meeting_fields(booking: Booking) -> dict:
    reference = booking_reference(booking)
    body = booking_body(booking)[: AGENDA_LIMIT - len(reference) - 2]
    return {
        "topic": booking_title(booking)[:200],
        "start_time": zoom_start_time(booking.start_at),
        "duration": int((booking.end_at - booking.start_at).total_seconds() // 60),
        "timezone": booking.meeting_type.timezone,
        "agenda": f"{reference}\n\n{body}" if body else reference,
    }


def booking_reference(booking: Booking) -> str:
    """The first line of the meeting's agenda: what finds the meeting again after a lost answer
    (first, because Zoom's list of meetings cuts agendas to 250 characters)."""
    return f"Booking {booking.public_id}"


def _meeting_find(booking: Booking, client) -> dict | None:
    """The meeting an earlier create of this booking made, if Zoom has it: the host's meeting
    whose agenda carries this booking's reference, created since that create started."""
    reference = booking_reference(booking)
    # Zoom's created_at has whole seconds; allow for clocks a minute apart.
    since = booking.zoom_create_started_at - dt.timedelta(minutes=1)
    for meeting in client.meetings_list(booking.zoom_user_id):
        created = _parse_time(meeting.get("created_at"))
        if (meeting.get("agenda") or "").startswith(reference) and created >= since:
            return meeting
    return None


def _parse_time(value: str | None) -> dt.datetime:
    if not value:
        return dt.datetime.min.replace(tzinfo=dt.UTC)
    return dt.datetime.fromisoformat(value.replace("Z", "+00:00"))


def _delete(booking: Booking, client) -> StepResult:
    if not booking.zoom_meeting_id:
        return StepResult(WorkState.DONE, "cancelled before a Zoom meeting was created")
    try:
        client.meeting_delete(booking.zoom_meeting_id)
    except NotFoundError:
        return StepResult(WorkState.DONE, "the Zoom meeting was already deleted")
    return StepResult(WorkState.DONE, "Zoom meeting deleted (booking cancelled)")


def _passcode() -> str:
    # Zoom passcodes: at most 10 characters (apis.md §3.5).
    return "".join(secrets.choice(_PASSCODE_ALPHABET) for _ in range(10))
