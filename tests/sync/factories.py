"""Small builders for webinar sync rows. Each returns a saved row; keyword arguments override."""

from __future__ import annotations

import datetime as dt
import itertools
from decimal import Decimal

from django.utils import timezone

from accounts.models import Organization
from sync.models import (
    Attendance,
    ContactExclusion,
    ContactSyncState,
    RecordingExclusion,
    SyncFinding,
    SyncRun,
    Webinar,
    WebinarSession,
    WebinarSyncSettings,
    ZoomUser,
)
from sync.webinars.models.audit import FindingCategory

_counter = itertools.count(1)


def sync_settings_make(organization: Organization, **fields) -> WebinarSyncSettings:
    return WebinarSyncSettings.objects.create(organization=organization, **fields)


def zoom_user_make(organization: Organization, **fields) -> ZoomUser:
    n = next(_counter)
    fields = {"zoom_user_id": f"zu-{n}", "email": f"host{n}@example.com", **fields}
    return ZoomUser.objects.create(organization=organization, **fields)


def webinar_make(organization: Organization, **fields) -> Webinar:
    n = next(_counter)
    fields = {
        "zoom_webinar_id": f"8{n:010d}",
        "topic": f"Webinar {n}",
        "start_time": timezone.now() - dt.timedelta(days=1),
        "duration_minutes": 60,
        **fields,
    }
    return Webinar.objects.create(organization=organization, **fields)


def session_make(webinar: Webinar, **fields) -> WebinarSession:
    fields = {"start_time": webinar.start_time, "duration_minutes": 60, **fields}
    return WebinarSession.objects.create(
        organization_id=webinar.organization_id, webinar=webinar, **fields
    )


def attendance_make(session: WebinarSession, email: str | None = None, **fields) -> Attendance:
    n = next(_counter)
    minutes = fields.pop("minutes_attended", 0)
    fields = {
        "registration_status": Attendance.RegistrationStatus.APPROVED,
        "source": Attendance.Source.REGISTRATION,
        "minutes_attended": minutes,
        "webinar_minutes": 60,
        "attendance_percent": Decimal(minutes * 100) / 60,
        "intervals": (
            [["2025-01-01T10:00:00Z", f"2025-01-01T10:{minutes:02d}:00Z"]] if minutes else []
        ),
        **fields,
    }
    return Attendance.objects.create(
        organization_id=session.organization_id,
        webinar=session.webinar,
        session=session,
        email=email or f"person{n}@example.com",
        **fields,
    )


def run_make(webinar: Webinar, **fields) -> SyncRun:
    fields = {"trigger": SyncRun.Trigger.NIGHTLY, "status": SyncRun.Status.SUCCEEDED, **fields}
    return SyncRun.objects.create(
        organization_id=webinar.organization_id, webinar=webinar, **fields
    )


def finding_make(run: SyncRun, emails: list[str] | None = None, **fields) -> SyncFinding:
    emails = list(emails or [])
    fields = {
        "category": FindingCategory.EXCLUDED_DOMAIN,
        "message": "Some registrants were not created as contacts.",
        "count": len(emails),
        **fields,
    }
    return SyncFinding.objects.create(
        organization_id=run.organization_id, run=run, emails=emails, **fields
    )


def contact_state_make(organization: Organization, email: str, **fields) -> ContactSyncState:
    fields = {"outcome": ContactSyncState.Outcome.SYNCED, **fields}
    return ContactSyncState.objects.create(organization=organization, email=email, **fields)


def contact_exclusion_make(organization: Organization, **fields) -> ContactExclusion:
    fields = {"kind": ContactExclusion.Kind.DOMAIN, "value": f"x{next(_counter)}.com", **fields}
    return ContactExclusion.objects.create(organization=organization, **fields)


def recording_exclusion_make(organization: Organization, **fields) -> RecordingExclusion:
    fields = {"domain": f"rec{next(_counter)}.com", **fields}
    return RecordingExclusion.objects.create(organization=organization, **fields)
