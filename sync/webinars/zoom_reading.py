"""Reading Zoom into our ledger: users, webinars, registrants and participant reports.

Every write here is an upsert keyed by (webinar, occurrence, email), so reading the same Zoom data
twice leaves the ledger as it was, and a re-fetched report replaces rather than adds.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.utils import timezone
from django.utils.dateparse import parse_datetime

from connectors.errors import NotFoundError
from connectors.zoom.client import ZoomClient, webinar_is_zoom_events
from sync.models import Attendance, Webinar, WebinarSession, ZoomUser
from sync.webinars.chunking import chunks
from sync.webinars.exclusions import email_is_valid
from sync.webinars.rollups import attendance_percent, interval_minutes
from sync.webinars.runs import webinar_ensure

#: Zoom publishes a participants report some time after the webinar and may amend it for a
#: while; after this window we keep what we have (Zoom deletes reports after about six months).
REPORT_REFRESH_WINDOW = dt.timedelta(days=7)
RECURRING_TYPES = (6, 9)
WRITE_BATCH = 1000
REGISTRATION_FIELDS = [
    "first_name",
    "last_name",
    "registration_status",
    "registered_at",
    "zoom_registrant_id",
    "join_url",
]
REPORT_FIELDS = [
    "intervals",
    "first_join_at",
    "last_leave_at",
    "minutes_attended",
    "webinar_minutes",
    "attendance_percent",
]


@dataclass
class ZoomReadResult:
    registrants: int = 0
    attendee_emails: set[str] = field(default_factory=set)
    guests_without_email: int = 0
    invalid_emails: set[str] = field(default_factory=set)
    sessions_awaiting_report: list[str] = field(default_factory=list)


def zoom_users_refresh(*, organization, client: ZoomClient) -> list[ZoomUser]:
    """Mirror the account's active users; users who left are kept but marked inactive."""
    seen = []
    now = timezone.now()
    for user in client.users_list(status="active"):
        name = " ".join(filter(None, [user.get("first_name"), user.get("last_name")]))
        zoom_user, _ = ZoomUser.objects.update_or_create(
            organization=organization,
            zoom_user_id=user["id"],
            defaults={
                "email": user.get("email", ""),
                "display_name": name,
                "active": True,
                "last_seen_at": now,
            },
        )
        seen.append(zoom_user)
    ZoomUser.objects.filter(organization=organization).exclude(pk__in=[u.pk for u in seen]).update(
        active=False
    )
    return seen


def webinars_discover(*, organization, client: ZoomClient, users: list[ZoomUser]) -> list[Webinar]:
    """Every scheduled webinar of the given users, created in the ledger on first sight."""
    found = []
    for user in users:
        for summary in client.webinars_list(user.zoom_user_id, type="scheduled"):
            webinar = webinar_ensure(
                organization=organization,
                zoom_webinar_id=str(summary["id"]),
                host_zoom_user_id=user.zoom_user_id,
            )
            _webinar_apply(webinar, summary)
            found.append(webinar)
    return found


def webinar_details_refresh(*, webinar: Webinar, client: ZoomClient) -> dict | None:
    """Update the webinar from Zoom; None (and status cancelled) when Zoom no longer has it."""
    try:
        details = client.webinar_get(webinar.zoom_webinar_id, show_previous_occurrences=True)
    except NotFoundError:
        if webinar.status != Webinar.Status.CANCELLED:
            webinar.status = Webinar.Status.CANCELLED
            webinar.save(update_fields=["status"])
        return None
    _webinar_apply(webinar, details)
    return details


def _webinar_apply(webinar: Webinar, data: dict) -> None:
    start = parse_datetime(data["start_time"]) if data.get("start_time") else webinar.start_time
    duration = int(data.get("duration") or webinar.duration_minutes or 0)
    settings = data.get("settings") or {}
    webinar.topic = data.get("topic", webinar.topic)[:300]
    webinar.zoom_type = int(data.get("type") or webinar.zoom_type)
    webinar.start_time = start
    webinar.duration_minutes = duration
    webinar.timezone = data.get("timezone", webinar.timezone) or ""
    webinar.join_url = data.get("join_url", webinar.join_url) or ""
    webinar.registration_url = data.get("registration_url", webinar.registration_url) or ""
    if "approval_type" in settings:
        webinar.registration_required = settings["approval_type"] in (0, 1)
    if "join_url" in data or "creation_source" in data:
        webinar.is_zoom_events = webinar_is_zoom_events(data)
    if webinar.status != Webinar.Status.CANCELLED and start and duration:
        ended = start + dt.timedelta(minutes=duration) < timezone.now()
        webinar.status = Webinar.Status.ENDED if ended else Webinar.Status.UPCOMING
    webinar.save()


def webinar_ledger_refresh(
    *, webinar: Webinar, details: dict, client: ZoomClient
) -> ZoomReadResult:
    """Registrants (every status) and, for held sessions, the participants report."""
    result = ZoomReadResult()
    registration_session = _session(webinar, "", webinar.start_time, webinar.duration_minutes)
    if webinar.registration_required:
        _registrants_refresh(webinar, registration_session, client, result)
    for instance in _past_instances(webinar, client):
        _report_refresh(webinar, registration_session, instance, client, result)
    result.registrants = Attendance.objects.filter(
        session__webinar=webinar, registration_status__in=["approved", "pending"]
    ).count()
    return result


def _session(webinar: Webinar, key: str, start, minutes: int) -> WebinarSession:
    session, _ = WebinarSession.objects.get_or_create(
        webinar=webinar,
        occurrence_key=key,
        defaults={
            "organization_id": webinar.organization_id,
            "start_time": start,
            "duration_minutes": minutes,
        },
    )
    return session


def _registrants_refresh(webinar, session, client: ZoomClient, result: ZoomReadResult) -> None:
    """Stream every registrant page into the ledger (memory stays flat in the webinar's size).

    Each batch is written in its own short transaction, so no database lock is held while Zoom
    is paged; the result is the same however often it is repeated.
    """
    seen: set[str] = set()
    batch: list[Attendance] = []
    now = timezone.now()
    for row in client.webinar_registrants_all(webinar.zoom_webinar_id):
        email = (row.get("email") or "").strip().lower()
        if not email or email in seen:  # approved is listed first and wins
            continue
        if not email_is_valid(email):
            result.invalid_emails.add(email)
            continue
        seen.add(email)
        batch.append(
            Attendance(
                organization_id=webinar.organization_id,
                webinar=webinar,
                session=session,
                email=email,
                first_name=(row.get("first_name") or "")[:200],
                last_name=(row.get("last_name") or "")[:200],
                registration_status=row.get("status") or "approved",
                registered_at=(
                    parse_datetime(row["create_time"]) if row.get("create_time") else now
                ),
                zoom_registrant_id=str(row.get("id") or ""),
                join_url=(row.get("join_url") or "")[:1000],
                source=Attendance.Source.REGISTRATION,
            )
        )
        if len(batch) >= WRITE_BATCH:
            _attendance_upsert(batch, fields=REGISTRATION_FIELDS)
            batch = []
    _attendance_upsert(batch, fields=REGISTRATION_FIELDS)
    # Zoom lists no cancelled registrations: someone who cancelled simply disappears.
    active = Attendance.objects.filter(
        session=session, registration_status__in=["approved", "pending"]
    ).values_list("email", flat=True)
    for gone in chunks(sorted(set(active.iterator()) - seen)):
        Attendance.objects.filter(session=session, email__in=gone).update(
            registration_status=Attendance.RegistrationStatus.CANCELLED
        )
    Attendance.objects.filter(session=session, source=Attendance.Source.REPORT).exclude(
        registration_status=""
    ).update(source=Attendance.Source.BOTH)


def _past_instances(webinar: Webinar, client: ZoomClient) -> list[dict]:
    if webinar.status != Webinar.Status.ENDED and not webinar.is_recurring:
        return []
    try:
        return client.past_webinar_instances(webinar.zoom_webinar_id)
    except NotFoundError:  # never held
        return []


def _report_refresh(webinar, registration_session, instance, client, result) -> None:
    start = parse_datetime(instance.get("start_time") or "") or webinar.start_time
    if webinar.is_recurring:
        session = _session(webinar, instance["uuid"], start, webinar.duration_minutes)
    else:
        session = registration_session
    if session.instance_uuid != instance["uuid"] or session.start_time != start:
        session.instance_uuid = instance["uuid"]
        session.start_time = start
        session.save(update_fields=["instance_uuid", "start_time"])
    if not _report_due(session):
        result.attendee_emails.update(
            Attendance.objects.filter(session=session, minutes_attended__gt=0).values_list(
                "email", flat=True
            )
        )
        return
    try:
        stored = _participants_store(
            webinar, session, client.webinar_participants_report(instance["uuid"]), result
        )
    except NotFoundError:
        stored = False
    if not stored:
        result.sessions_awaiting_report.append(str(session))
        return
    session.ended = True
    session.report_fetched_at = timezone.now()
    session.save(update_fields=["ended", "report_fetched_at"])


def _report_due(session: WebinarSession) -> bool:
    if session.report_fetched_at is None:
        return True
    return session.start_time is None or (
        session.report_fetched_at < session.start_time + REPORT_REFRESH_WINDOW
    )


def _participants_store(webinar, session, rows: Iterable[dict], result) -> bool:
    """Fold the report's join/leave rows (streamed) into one ledger row per email.

    Returns False when the report has no rows yet (Zoom publishes it late).
    """
    intervals: dict[str, list[list[str]]] = defaultdict(list)
    names: dict[str, str] = {}
    any_rows = False
    for row in rows:
        any_rows = True
        email = (row.get("user_email") or "").strip().lower()
        if not email:
            result.guests_without_email += 1
            continue
        if not email_is_valid(email):
            result.invalid_emails.add(email)
            continue
        intervals[email].append([row.get("join_time") or "", row.get("leave_time") or ""])
        names.setdefault(email, row.get("name") or "")
    if not any_rows:
        return False
    minutes_total = session.duration_minutes or webinar.duration_minutes
    for emails in chunks(sorted(intervals), WRITE_BATCH):
        built = []
        for email in emails:
            spans = intervals[email]
            minutes, first, last = interval_minutes(spans)
            first_name, _, last_name = names[email].partition(" ")
            built.append(
                Attendance(
                    organization_id=webinar.organization_id,
                    webinar=webinar,
                    session=session,
                    email=email,
                    first_name=first_name[:200],
                    last_name=last_name[:200],
                    intervals=sorted(spans),
                    first_join_at=parse_datetime(first) if first else None,
                    last_leave_at=parse_datetime(last) if last else None,
                    minutes_attended=minutes,
                    webinar_minutes=minutes_total,
                    attendance_percent=attendance_percent(minutes, minutes_total),
                    source=Attendance.Source.REPORT,
                )
            )
            result.attendee_emails.add(email)
        _attendance_upsert(built, fields=REPORT_FIELDS)
    # The report is authoritative for its session: anyone no longer in it did not attend.
    attended_before = Attendance.objects.filter(
        session=session, minutes_attended__gt=0
    ).values_list("email", flat=True)
    for batch in chunks(sorted(set(attended_before.iterator()) - set(intervals))):
        Attendance.objects.filter(session=session, email__in=batch).update(
            intervals=[], minutes_attended=0, attendance_percent=0
        )
    Attendance.objects.filter(session=session, source=Attendance.Source.REGISTRATION).exclude(
        minutes_attended=0
    ).update(source=Attendance.Source.BOTH)
    return True


def _attendance_upsert(rows: list[Attendance], *, fields: list[str]) -> None:
    """Insert new ledger rows and update only `fields` of existing ones, in one statement per
    batch (INSERT … ON CONFLICT DO UPDATE); names keep Zoom's registration values when a report
    row only has a display name."""
    if rows:
        Attendance.objects.bulk_create(
            rows,
            batch_size=500,
            update_conflicts=True,
            unique_fields=["session", "email"],
            update_fields=[*fields, "updated_at"],
        )
