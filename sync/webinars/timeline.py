"""Webinar activity on the HubSpot contact's timeline: registration, attendance, recording.

Two modes, and every run's audit records which one was used (`SyncRun.timeline_mode`):

- "timeline templates": the HubSpot app has timeline event templates and their ids are configured
  in `PROVIDERS["hubspot"]["timeline_templates"]` (env `HUBSPOT_TIMELINE_TEMPLATES`). Only apps
  that already had v1/v3 event types can use timeline v3 (apis.md §0.3, §2.9). Events go to the
  contact by `objectId` (never by email, which would create contacts), 100 per call, each with a
  deterministic `id`: HubSpot refuses a second event with the same id (409), so a redelivered
  event is a no-op and counts as delivered. Timeline events cannot be edited, so an event is sent
  once per person, session and kind; a marker per kind on the ledger row (`activity_hashes`)
  makes an unchanged re-run send nothing.
- "marketing-event attendance": nothing is sent here; the marketing event's register/attend
  states (see `hubspot_writing.marketing_event_sync`) are the timeline record.

Tokens the app's templates must define (values are strings; dates are ms since the epoch):
registration: webinar_id, webinar_topic, registered_at (date)
attendance: webinar_id, webinar_topic, webinar_date (date), joined_at (date), left_at (date),
minutes_attended (number), attendance_percent (number)
recording: webinar_id, webinar_topic, webinar_start (date), recording_url, recording_passcode,
transcript_url
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from django.conf import settings

from connectors.errors import PermanentError
from connectors.hubspot.client import HubSpotClient
from connectors.hubspot.client_marketing import epoch_ms
from sync.models import Attendance, Webinar, WebinarSession
from sync.webinars.findings import Findings
from sync.webinars.models.audit import FindingCategory
from sync.webinars.rollups import stable_hash

TIMELINE_MODE_TEMPLATES = "timeline templates"
TIMELINE_MODE_MARKETING_EVENT = "marketing-event attendance"
REGISTRATION, ATTENDANCE, RECORDING = "registration", "attendance", "recording"
BATCH_SIZE = 100
ROW_FIELDS = (
    "pk",
    "session_id",
    "email",
    "registration_status",
    "registered_at",
    "first_join_at",
    "last_leave_at",
    "minutes_attended",
    "attendance_percent",
    "activity_hashes",
)

#: Token names (and HubSpot token types) each kind's template must define.
TEMPLATE_TOKENS: dict[str, dict[str, str]] = {
    REGISTRATION: {"webinar_id": "string", "webinar_topic": "string", "registered_at": "date"},
    ATTENDANCE: {
        "webinar_id": "string",
        "webinar_topic": "string",
        "webinar_date": "date",
        "joined_at": "date",
        "left_at": "date",
        "minutes_attended": "number",
        "attendance_percent": "number",
    },
    RECORDING: {
        "webinar_id": "string",
        "webinar_topic": "string",
        "webinar_start": "date",
        "recording_url": "string",
        "recording_passcode": "string",
        "transcript_url": "string",
    },
}


@dataclass(frozen=True)
class Activity:
    """One activity to write to one contact, and the marker stored once it is written."""

    attendance_id: int
    email: str
    contact_id: str
    kind: str
    event_id: str
    marker: str
    occurred_at: dt.datetime | None
    tokens: dict[str, str]


def timeline_templates() -> dict[str, str]:
    """The configured template id per kind ("registration", "attendance", "recording")."""
    return dict(settings.PROVIDERS["hubspot"].get("timeline_templates") or {})


def timeline_mode() -> str:
    """Which record of webinar activity contacts get (shown in every run's audit)."""
    return TIMELINE_MODE_TEMPLATES if timeline_templates() else TIMELINE_MODE_MARKETING_EVENT


def activity_event_id(webinar: Webinar, session: WebinarSession, email: str, kind: str) -> str:
    """Deterministic, so that HubSpot deduplicates a redelivered event."""
    occurrence = _short(session.occurrence_key or "-", 8)
    return f"mb-{webinar.zoom_webinar_id}-{occurrence}-{_short(email.lower(), 16)}-{kind}"


def activity_pending(row: Attendance, kind: str, marker: str) -> bool:
    return (row.activity_hashes or {}).get(kind) != marker


def activity_mark(activities: Iterable[Activity]) -> None:
    """Remember that these activities are written, so no later run writes them again."""
    by_row: dict[int, dict[str, str]] = {}
    for activity in activities:
        by_row.setdefault(activity.attendance_id, {})[activity.kind] = activity.marker
    if not by_row:
        return
    rows = list(Attendance.objects.filter(pk__in=list(by_row)).only("pk", "activity_hashes"))
    for row in rows:
        row.activity_hashes = {**(row.activity_hashes or {}), **by_row[row.pk]}
    Attendance.objects.bulk_update(rows, ["activity_hashes"], batch_size=500)


def timeline_events_sync(
    *, webinar: Webinar, hubspot: HubSpotClient, contact_ids: dict[str, str], findings: Findings
) -> int:
    """Send registration and attendance events of the webinar's synced contacts (template mode).

    Does nothing in marketing-event mode. Failures become ERROR_TIMELINE findings with the
    emails and are retried by the next run. Returns the number of HubSpot write calls.
    """
    templates = timeline_templates()
    if not templates or not contact_ids:
        return 0
    sessions = {session.pk: session for session in webinar.sessions.all()}
    rows = (
        Attendance.objects.filter(webinar=webinar)
        .only(*ROW_FIELDS)
        .order_by("pk")
        .iterator(chunk_size=2000)
    )
    writes, pending = 0, []
    for row in rows:
        contact_id = contact_ids.get(row.email)
        if contact_id is None:
            continue
        session = sessions[row.session_id]
        for kind, tokens, when in _row_activities(webinar, session, row, templates):
            event_id = activity_event_id(webinar, session, row.email, kind)
            marker = stable_hash([kind, event_id])
            if activity_pending(row, kind, marker):
                pending.append(
                    Activity(row.pk, row.email, contact_id, kind, event_id, marker, when, tokens)
                )
        if len(pending) >= BATCH_SIZE:  # stream: memory stays flat in the number of rows
            writes += timeline_events_send(
                activities=pending, templates=templates, hubspot=hubspot, findings=findings
            )
            pending = []
    return writes + timeline_events_send(
        activities=pending, templates=templates, hubspot=hubspot, findings=findings
    )


def _row_activities(webinar, session: WebinarSession, row: Attendance, templates: dict):
    topic = webinar.topic or f"Zoom webinar {webinar.zoom_webinar_id}"
    base = {"webinar_id": webinar.zoom_webinar_id, "webinar_topic": topic}
    registered = row.registration_status in ("approved", "pending") and row.registered_at
    if REGISTRATION in templates and registered:
        yield REGISTRATION, {**base, "registered_at": _ms(row.registered_at)}, row.registered_at
    if ATTENDANCE in templates and row.first_join_at:
        held = session.start_time or webinar.start_time or row.first_join_at
        tokens = {
            **base,
            "webinar_date": _ms(held),
            "joined_at": _ms(row.first_join_at),
            "left_at": _ms(row.last_leave_at or row.first_join_at),
            "minutes_attended": str(row.minutes_attended),
            "attendance_percent": str(row.attendance_percent),
        }
        yield ATTENDANCE, tokens, row.first_join_at


def timeline_events_send(
    *,
    activities: Sequence[Activity],
    templates: dict[str, str],
    hubspot: HubSpotClient,
    findings: Findings,
) -> int:
    """Send `activities` as timeline events, 100 per call; mark the delivered ones.

    An event HubSpot already has (409, same id) counts as delivered. Returns the write calls.
    """
    writes = 0
    for start in range(0, len(activities), BATCH_SIZE):
        chunk = list(activities[start : start + BATCH_SIZE])
        events = [_event(activity, templates[activity.kind]) for activity in chunk]
        writes += 1
        try:
            result = hubspot.batch_create_timeline_events(events)
        except PermanentError as error:
            _failed(findings, chunk, str(error))
            continue
        failed: list[Activity] = []
        for error in result.errors:
            named = _named(error, chunk)
            if _already_exists(error):
                continue
            failed.extend(named or chunk)
            _failed(findings, named or chunk, str(error.get("message") or error)[:300])
        failed_ids = {id(activity) for activity in failed}
        activity_mark(a for a in chunk if id(a) not in failed_ids)
    return writes


def _event(activity: Activity, template_id: str) -> dict:
    event = {
        "eventTemplateId": template_id,
        "objectId": activity.contact_id,
        "id": activity.event_id,
        "tokens": activity.tokens,
    }
    if activity.occurred_at:
        event["timestamp"] = activity.occurred_at.astimezone(dt.UTC).isoformat()
    return event


def _named(error: dict, chunk: list[Activity]) -> list[Activity]:
    """The inputs an error of a 207 answer is about: by input index (`context.index`) or by
    event id in the message [UNVERIFIED: HubSpot's exact error context for this endpoint]."""
    context = error.get("context") or {}
    named = []
    for index in context.get("index", []):
        if str(index).isdigit() and int(index) < len(chunk):
            named.append(chunk[int(index)])
    if named:
        return named
    text = str(error)
    return [activity for activity in chunk if activity.event_id in text]


def _already_exists(error: dict) -> bool:
    return str(error.get("category")) == "CONFLICT" or "already exists" in str(
        error.get("message", "")
    )


def _failed(findings: Findings, activities: Iterable[Activity], detail: str) -> None:
    for activity in activities:
        findings.add(FindingCategory.ERROR_TIMELINE, activity.email, detail=detail)


def _ms(value: dt.datetime) -> str:
    return str(epoch_ms(value))


def _short(value: str, length: int) -> str:
    return hashlib.sha256(value.encode()).hexdigest()[:length]
