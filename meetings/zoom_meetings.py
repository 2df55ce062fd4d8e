"""A booking's Zoom meeting: created for the host, updated on reschedule, deleted on cancel.

The host is the Zoom user with the host's email (`GET /users/{email}`, apis.md §3.5). Creating
and updating count against Zoom's 100 meeting writes per user per UTC day (§0.8): the HTTP layer
raises RateLimitedError with the wait until 00:00 UTC, and the caller retries then.

Idempotency: the meeting id is stored the moment Zoom answers; a retry updates that meeting
instead of creating one, and a meeting deleted at Zoom is re-created (re-checked by id). Zoom
has no idempotency key, so the one window left is a worker dying between Zoom's answer and the
save of its id (a few milliseconds).
"""

from __future__ import annotations

import datetime as dt
import secrets
import string

from connectors.errors import NotFoundError
from meetings.models import Booking, WorkState
from meetings.rendering import booking_body, booking_title
from meetings.steps import StepResult, ids_save

_PASSCODE_ALPHABET = string.ascii_letters + string.digits


def zoom_start_time(value: dt.datetime) -> str:
    return value.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def zoom_meeting_sync(booking: Booking, client) -> StepResult:
    """Bring the Zoom meeting in line with the booking. Raises ConnectorError subclasses."""
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
    fields = {
        "topic": booking_title(booking)[:200],
        "start_time": zoom_start_time(booking.start_at),
        "duration": int((booking.end_at - booking.start_at).total_seconds() // 60),
        "timezone": meeting_type.timezone,
        "agenda": booking_body(booking)[:2000],
    }
    note = ""
    if booking.zoom_meeting_id:
        try:
            client.meeting_update(booking.zoom_meeting_id, host_id=booking.zoom_user_id, **fields)
            return StepResult(WorkState.DONE, "")
        except NotFoundError:
            note = f"meeting {booking.zoom_meeting_id} was deleted at Zoom; created a new one"
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
