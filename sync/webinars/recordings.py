"""Cloud recordings and transcripts of held webinar sessions, attached to their attendees.

For each held session with attendees, the recording's share link, passcode and transcript link
are stored on the session and attached once to every attendee who is a synced HubSpot contact
and whose domain is not in the recording exclusions: as a "recording" timeline event when the
app has that template (see `timeline.py`), otherwise as a HubSpot note on the contact.

"Not synced" is always explained (RECORDING_NOT_SYNCED, after HubSpot's audit-log help): the
setting is off, the session had no attendees, the recording is unavailable or deleted, or it is
still processing — then the session is checked again by the next run, and
`recordings_follow_up` queues one soon.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from django.db.models import Q
from django.utils import timezone
from django.utils.html import format_html

from connectors.errors import PermanentError
from connectors.hubspot.client import EngagementInput, HubSpotClient
from connectors.zoom.client import ZoomClient
from sync.models import (
    Attendance,
    RecordingExclusion,
    SyncRun,
    Webinar,
    WebinarSession,
    WebinarSyncSettings,
)
from sync.webinars.exclusions import recording_excluded
from sync.webinars.findings import Findings
from sync.webinars.models.audit import FindingCategory
from sync.webinars.models.settings import RecordingsMode
from sync.webinars.rollups import stable_hash
from sync.webinars.runs import webinar_sync_request
from sync.webinars.timeline import (
    RECORDING,
    Activity,
    activity_event_id,
    activity_mark,
    activity_pending,
    timeline_events_send,
)

AVAILABLE, PROCESSING, UNAVAILABLE = "available", "processing", "unavailable"
#: A processing recording is looked at again this soon, for this long after the session started;
#: after that the nightly run (which covers recent webinars) keeps checking.
FOLLOW_UP_DELAY = dt.timedelta(minutes=30)
FOLLOW_UP_WINDOW = dt.timedelta(days=3)
NOTES_BATCH = 100
NOT_SYNCED = FindingCategory.RECORDING_NOT_SYNCED


@dataclass(frozen=True)
class Recording:
    share_url: str
    passcode: str
    transcript_url: str


def recordings_sync(
    *,
    webinar: Webinar,
    zoom: ZoomClient,
    hubspot: HubSpotClient,
    contact_ids: dict[str, str],
    findings: Findings,
    timeline: dict[str, str],
) -> int:
    """Attach the recordings of the webinar's held sessions to their attendees.

    `timeline` is the configured timeline template ids (`timeline_templates()`): with a
    "recording" template the recording becomes a timeline event, otherwise a note. Returns the
    number of HubSpot write calls (0 when every attendee already has it).
    """
    sessions = list(WebinarSession.objects.filter(webinar=webinar, ended=True).order_by("pk"))
    if not sessions:
        return 0
    off = _setting_off(webinar)
    if off:
        findings.add(NOT_SYNCED, detail=off)
        return 0
    domains = frozenset(
        RecordingExclusion.objects.filter(organization_id=webinar.organization_id).values_list(
            "domain", flat=True
        )
    )
    writes = 0
    for session in sessions:
        attendees = list(
            Attendance.objects.filter(session=session, first_join_at__isnull=False)
            .only("pk", "email", "activity_hashes")
            .order_by("pk")
        )
        if not attendees:
            findings.add(NOT_SYNCED, detail=f"no attendees: {session}")
            continue
        recording = _recording(webinar, session, zoom, findings)
        if recording is None:
            continue
        pending = []
        for row in attendees:
            contact_id = contact_ids.get(row.email)
            if contact_id is None:
                continue  # not a synced contact: the contact findings say why
            if recording_excluded(row.email, domains):
                findings.add(
                    NOT_SYNCED, row.email, detail="attendee's domain is in recording exclusions"
                )
                continue
            activity = _activity(webinar, session, row, contact_id, recording)
            if activity_pending(row, RECORDING, activity.marker):
                pending.append(activity)
        if not pending:
            continue
        if timeline.get(RECORDING):
            writes += timeline_events_send(
                activities=pending, templates=timeline, hubspot=hubspot, findings=findings
            )
        else:
            writes += _notes_create(webinar, session, recording, pending, hubspot, findings)
    return writes


def recordings_follow_up(*, webinar: Webinar, trigger: str) -> SyncRun | None:
    """Queue one delayed run when a recent session's recording is still processing.

    At most one waits at a time (none when a run of the webinar is already queued).
    """
    now = timezone.now()
    processing = WebinarSession.objects.filter(
        Q(start_time__isnull=True) | Q(start_time__gte=now - FOLLOW_UP_WINDOW),
        webinar=webinar,
        recording_state=PROCESSING,
    )
    if not processing.exists():
        return None
    if SyncRun.objects.filter(webinar=webinar, status=SyncRun.Status.QUEUED).exists():
        return None
    return webinar_sync_request(webinar=webinar, trigger=trigger, not_before=now + FOLLOW_UP_DELAY)


def _setting_off(webinar: Webinar) -> str | None:
    row = WebinarSyncSettings.objects.filter(organization_id=webinar.organization_id).first()
    mode = row.recordings_mode if row else RecordingsMode.NOBODY
    if mode == RecordingsMode.ALL:
        return None
    if mode == RecordingsMode.SELECTED:
        if webinar.host is not None and webinar.host.sync_recordings:
            return None
        host = webinar.host or "the webinar's host (not known yet)"
        return f"setting off: recordings are synced for selected Zoom users, not for {host}"
    return "setting off: recordings and transcripts are synced for nobody"


def _recording(
    webinar: Webinar, session: WebinarSession, zoom: ZoomClient, findings: Findings
) -> Recording | None:
    """The session's recording: as stored once available, else fetched from Zoom."""
    if session.recording_state != AVAILABLE:
        data = zoom.recordings_get(session.instance_uuid or webinar.zoom_webinar_id)
        files = (data or {}).get("recording_files") or []
        if data is None or not data.get("share_url"):
            _session_state(session, UNAVAILABLE, checked=True)
            findings.add(NOT_SYNCED, detail=f"recording unavailable or deleted: {session}")
            return None
        if any(f.get("status") == "processing" for f in files):
            # recording_checked_at stays unset: the next run (and a follow-up) checks again.
            _session_state(session, PROCESSING, checked=False)
            findings.add(NOT_SYNCED, detail=f"still processing, retried automatically: {session}")
            return None
        transcript = next((f for f in files if f.get("file_type") == "TRANSCRIPT"), {})
        session.recording_share_url = data["share_url"][:500]
        # recording_play_passcode opens the share link (apis.md §3.5); `password` otherwise.
        passcode = data.get("recording_play_passcode") or data.get("password") or ""
        session.recording_passcode = passcode[:64]
        url = transcript.get("play_url") or transcript.get("download_url") or ""
        session.transcript_url = url[:500]
        session.recording_state = AVAILABLE
        session.recording_checked_at = timezone.now()
        session.save(
            update_fields=[
                "recording_share_url",
                "recording_passcode",
                "transcript_url",
                "recording_state",
                "recording_checked_at",
            ]
        )
    if not session.transcript_url:
        findings.add(FindingCategory.ERROR_TRANSCRIPT, detail=f"no transcript file: {session}")
    return Recording(
        session.recording_share_url, session.recording_passcode, session.transcript_url
    )


def _session_state(session: WebinarSession, state: str, *, checked: bool) -> None:
    session.recording_state = state
    fields = ["recording_state"]
    if checked:
        session.recording_checked_at = timezone.now()
        fields.append("recording_checked_at")
    session.save(update_fields=fields)


def _activity(webinar, session, row: Attendance, contact_id: str, recording: Recording):
    event_id = activity_event_id(webinar, session, row.email, RECORDING)
    start = session.start_time or webinar.start_time
    tokens = {
        "webinar_id": webinar.zoom_webinar_id,
        "webinar_topic": webinar.topic or f"Zoom webinar {webinar.zoom_webinar_id}",
        "recording_url": recording.share_url,
        "recording_passcode": recording.passcode,
        "transcript_url": recording.transcript_url,
    }
    if start:
        tokens["webinar_start"] = str(round(start.timestamp() * 1000))
    # The same recording (same share link) is never attached twice to one contact, whichever
    # way it was attached (note or timeline event).
    marker = stable_hash([RECORDING, event_id, recording.share_url])
    return Activity(row.pk, row.email, contact_id, RECORDING, event_id, marker, start, tokens)


def _notes_create(
    webinar: Webinar,
    session: WebinarSession,
    recording: Recording,
    activities: Sequence[Activity],
    hubspot: HubSpotClient,
    findings: Findings,
) -> int:
    """One note per contact, 100 per call. A batch create is all or nothing in HubSpot; a
    refused batch is reported and retried by the next run."""
    properties = _note_properties(webinar, session, recording)
    writes = 0
    for start in range(0, len(activities), NOTES_BATCH):
        chunk = list(activities[start : start + NOTES_BATCH])
        notes = [EngagementInput(properties, contact_ids=[a.contact_id]) for a in chunk]
        writes += 1
        try:
            result = hubspot.batch_create_engagements("notes", notes)
        except PermanentError as error:
            detail = f"HubSpot refused the notes: {error}"[:300]
        else:
            if not result.errors:
                activity_mark(chunk)
                continue
            detail = f"HubSpot refused the notes: {result.errors[0].get('message', '')}"[:300]
        for activity in chunk:
            findings.add(NOT_SYNCED, activity.email, detail=detail)
    return writes


def _note_properties(webinar: Webinar, session: WebinarSession, recording: Recording) -> dict:
    start = session.start_time or webinar.start_time or timezone.now()
    topic = webinar.topic or f"Zoom webinar {webinar.zoom_webinar_id}"
    body = format_html(
        "<p>Recording of the Zoom webinar <strong>{}</strong>, held {} UTC.</p>"
        '<p><a href="{}">Watch the recording</a></p>',
        topic,
        start.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M"),
        recording.share_url,
    )
    if recording.passcode:
        body += format_html("<p>Passcode: {}</p>", recording.passcode)
    if recording.transcript_url:
        body += format_html('<p><a href="{}">Transcript</a></p>', recording.transcript_url)
    return {"hs_timestamp": str(round(start.timestamp() * 1000)), "hs_note_body": str(body)}
