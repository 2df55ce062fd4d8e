"""Zoom sandbox routes for meetings (create/list/get/update/delete) and cloud recordings.

A mixin of `ZoomSandbox`. Meeting create and update count against Zoom's per-user cap of 100
requests per UTC day (apis.md §0.8, §3.3): the 101st gets a 429 with the daily message,
`X-RateLimit-Type: Daily-limit` and a `Retry-After` at the next 00:00 UTC.
"""

from __future__ import annotations

import datetime as dt
import secrets
import zoneinfo
from typing import TYPE_CHECKING, Any

from connectors.sandbox.core import (
    SandboxError,
    SandboxRequest,
    SandboxResponse,
    empty_response,
    json_response,
    route,
)
from connectors.zoom.sandbox_webinars import decode_path_id, format_time, parse_time, public

if TYPE_CHECKING:
    from connectors.zoom.sandbox import ZoomSandbox as _Host
else:
    _Host = object

MEETING_WRITES_PER_DAY = 100
DAILY_MESSAGE = (
    "You have exceeded the daily rate limit (100) of Meeting Create/Update API requests "
    "permitted for this particular user. You may resume these requests at GMT 00:00:00."
)
MEETING_TYPES = (1, 2, 3, 8)  # instant, scheduled, recurring no fixed time, recurring fixed
# What `GET /users/{userId}/meetings` returns of each meeting (Zoom's List meetings; its
# schema says the agenda is truncated to 250 characters there).
LIST_AGENDA_LIMIT = 250
_LIST_FIELDS = (
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
)
_EDITABLE = ("topic", "type", "start_time", "duration", "timezone", "agenda", "password")


class MeetingRoutes(_Host):
    meeting_writes_per_day = MEETING_WRITES_PER_DAY

    # --- meetings ---------------------------------------------------------------------------------
    @route("POST", "/v2/users/{user_id}/meetings")
    def meeting_create(self, request: SandboxRequest, user_id: str) -> SandboxResponse:
        grant = self.authenticate(request, "meeting:write:meeting:admin")
        host = self.user_find(user_id, grant)
        self.meeting_write_count(host["id"])
        body = self._meeting_body(request, creating=True)
        meeting = self.meeting_store(host, body, meeting_id=None, uuid=None)
        return json_response(public(meeting), 201)

    @route("GET", "/v2/users/{user_id}/meetings")
    def meetings_list(self, request: SandboxRequest, user_id: str) -> SandboxResponse:
        """A host's meetings: `scheduled` (unexpired past, live and upcoming; the default),
        `upcoming` or `live`, in start order, Zoom-paged."""
        grant = self.authenticate(request, "meeting:read:list_meetings:admin")
        host = self.user_find(user_id, grant)
        kind = self.list_type(request, ("scheduled", "upcoming", "live"))
        now = self.now()
        rows = []
        for meeting in self.meetings.values():
            if meeting["host_id"] != host["id"]:
                continue
            start = parse_time(meeting["start_time"])
            end = start + dt.timedelta(minutes=meeting["duration"])
            if (kind == "upcoming" and end < now) or (kind == "live" and not start <= now < end):
                continue
            row = {key: meeting[key] for key in _LIST_FIELDS}
            row["agenda"] = row["agenda"][:LIST_AGENDA_LIMIT]  # cut in listings, as Zoom does
            rows.append(row)
        rows.sort(key=lambda row: (row["start_time"], row["id"]))
        return self.page(request, "meetings", rows)

    @route("GET", "/v2/meetings/{meeting_id}")
    def meeting_get(self, request: SandboxRequest, meeting_id: str) -> SandboxResponse:
        self.authenticate(request, "meeting:read:meeting:admin")
        return json_response(public(self.meeting_find(meeting_id)))

    @route("PATCH", "/v2/meetings/{meeting_id}")
    def meeting_update(self, request: SandboxRequest, meeting_id: str) -> SandboxResponse:
        self.authenticate(request, "meeting:update:meeting:admin")
        meeting = self.meeting_find(meeting_id)
        self.meeting_write_count(meeting["host_id"])
        body = self._meeting_body(request, creating=False)
        if "start_time" in body:
            body["start_time"] = _utc_start(body["start_time"], body.get("timezone"))
        settings = body.pop("settings", None)
        meeting.update({key: body[key] for key in _EDITABLE if key in body})
        if isinstance(settings, dict):
            meeting["settings"].update(settings)
        return empty_response(204)

    @route("DELETE", "/v2/meetings/{meeting_id}")
    def meeting_delete(self, request: SandboxRequest, meeting_id: str) -> SandboxResponse:
        self.authenticate(request, "meeting:delete:meeting:admin")
        del self.meetings[self.meeting_find(meeting_id)["id"]]
        return empty_response(204)

    # --- recordings -------------------------------------------------------------------------------
    @route("GET", "/v2/meetings/{meeting_id}/recordings")
    def recordings_get(self, request: SandboxRequest, meeting_id: str) -> SandboxResponse:
        self.authenticate(request, "cloud_recording:read:list_recording_files:admin")
        ref = decode_path_id(meeting_id)
        if ref.isdigit():  # a meeting/webinar id means its latest instance
            candidates = [r for r in self.recordings.values() if str(r["id"]) == ref]
        else:
            candidates = [r for r in self.recordings.values() if r["uuid"] == ref]
        latest = max(candidates, key=lambda r: r["start_time"], default=None)
        if latest is None or latest["_trashed"]:
            # [PARTIAL] a recording moved to the trash answers like a missing one.
            raise SandboxError(404, 3301, "This recording does not exist.")
        return json_response(public(latest))

    # --- helpers ----------------------------------------------------------------------------------
    def meeting_find(self, raw_id: str) -> dict[str, Any]:
        meeting = self.meetings.get(int(raw_id)) if raw_id.isdigit() else None
        if meeting is None:
            raise SandboxError(404, 3001, f"Meeting does not exist: {raw_id}.")
        return meeting

    def meeting_write_count(self, user_id: str) -> None:
        """Count one create/update for `user_id` today (UTC); 429 past the daily cap."""
        now = self.now()
        key = (user_id, now.date().isoformat())
        if self.meeting_writes.get(key, 0) >= self.meeting_writes_per_day:
            tomorrow = dt.datetime.combine(now.date() + dt.timedelta(days=1), dt.time(), dt.UTC)
            headers = {
                "X-RateLimit-Category": "Medium",
                "X-RateLimit-Type": "Daily-limit",
                "Retry-After": format_time(tomorrow),  # an ISO date for daily limits
            }
            raise SandboxError(429, 429, DAILY_MESSAGE, headers=headers)
        self.meeting_writes[key] = self.meeting_writes.get(key, 0) + 1

    def meeting_store(
        self, host: dict, body: dict, *, meeting_id: int | None, uuid: str | None
    ) -> dict[str, Any]:
        """Create a meeting for `host` from a validated body (also used by the seed)."""
        meeting_id = meeting_id or int(f"8{secrets.randbelow(10**10):010d}")
        timezone = body.get("timezone") or host["timezone"]
        password = body.get("password") or secrets.token_hex(3)
        meeting = {
            "uuid": uuid or secrets.token_urlsafe(16)[:22] + "==",
            "id": meeting_id,
            "host_id": host["id"],
            "host_email": host["email"],
            "topic": body.get("topic") or "Zoom Meeting",
            "type": body.get("type", 2),
            "status": "waiting",
            "start_time": _utc_start(body["start_time"], timezone)
            if body.get("start_time")
            else format_time(self.now()),
            "duration": body.get("duration", 60),
            "timezone": timezone,
            "agenda": body.get("agenda", ""),
            "created_at": format_time(self.now()),
            "start_url": f"https://us06web.zoom.us/s/{meeting_id}?zak={secrets.token_urlsafe(24)}",
            "join_url": f"https://us06web.zoom.us/j/{meeting_id}?pwd={secrets.token_urlsafe(16)}",
            "password": password,
            "h323_password": password,
            "pstn_password": password,
            "encrypted_password": secrets.token_urlsafe(16),
            "pre_schedule": False,
            "creation_source": "open_api",
            "settings": {
                "host_video": False,
                "participant_video": False,
                "join_before_host": False,
                "mute_upon_entry": False,
                "waiting_room": True,
                "approval_type": 2,
                "auto_recording": "none",
                **(body.get("settings") or {}),
            },
        }
        self.meetings[meeting_id] = meeting
        return meeting

    def _meeting_body(self, request: SandboxRequest, *, creating: bool) -> dict[str, Any]:
        """The request body, validated like Zoom: 400 code 300 with the bad fields."""
        body = request.json()
        if not isinstance(body, dict):
            raise SandboxError(400, 300, "Request Body should be a valid JSON object.")
        bad = []
        kind = body.get("type", 2 if creating else None)
        if kind is not None and kind not in MEETING_TYPES:
            bad.append("type")
        if "topic" in body and (not isinstance(body["topic"], str) or len(body["topic"]) > 200):
            bad.append("topic")
        duration = body.get("duration")
        if duration is not None and (not isinstance(duration, int) or duration <= 0):
            bad.append("duration")
        timezone = body.get("timezone")
        if timezone is not None and not _valid_timezone(timezone):
            bad.append("timezone")
        start = body.get("start_time")
        if (creating and kind in (2, 8) and not start) or (
            start is not None and not _valid_start(start)
        ):
            bad.append("start_time")
        if len(str(body.get("password") or "")) > 10:
            bad.append("password")
        if bad:
            raise SandboxError(
                400,
                300,
                "Validation Failed.",
                errors=[{"field": name, "message": "Invalid field."} for name in bad],
            )
        return body


def _valid_timezone(name: object) -> bool:
    if not isinstance(name, str) or not name:
        return False
    try:
        zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return False
    return True


def _valid_start(value: object) -> bool:
    # "yyyy-MM-ddTHH:mm:ssZ" (UTC) or "yyyy-MM-ddTHH:mm:ss" (local time in `timezone`).
    if not isinstance(value, str):
        return False
    for pattern in ("%Y-%m-%dT%H:%M:%SZ", "%Y-%m-%dT%H:%M:%S"):
        try:
            dt.datetime.strptime(value, pattern)
        except ValueError:
            continue
        return True
    return False


def _utc_start(value: str, timezone: str | None) -> str:
    if value.endswith("Z"):
        return format_time(parse_time(value))
    local = dt.datetime.fromisoformat(value).replace(tzinfo=zoneinfo.ZoneInfo(timezone or "UTC"))
    return format_time(local)
