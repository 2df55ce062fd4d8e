"""A workflow registration enters the attendance ledger like any other registration.

The webinar sync later reads Zoom's registrants again and converges on the same row (keyed by
session and email), so nothing here can double count.
"""

from __future__ import annotations

from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from accounts.models import Organization
from sync.models import Attendance, Webinar, WebinarSession
from sync.webinars.runs import webinar_ensure

_REGISTERED = (Attendance.RegistrationStatus.APPROVED, Attendance.RegistrationStatus.PENDING)


def registration_record(
    *,
    organization: Organization,
    webinar_id: str,
    details: dict[str, Any],
    email: str,
    first_name: str,
    last_name: str,
    status: str,
    registrant_id: str,
    join_url: str,
) -> Webinar:
    """Upsert the contact's Attendance row (source WORKFLOW) on the webinar's registration
    session; returns the ledger's Webinar (created, and described from `details`, if new)."""
    webinar = webinar_ensure(
        organization=organization,
        zoom_webinar_id=webinar_id,
        host_zoom_user_id=str(details.get("host_id") or "") or None,
    )
    _webinar_describe(webinar, details)
    # Registrations belong to the webinar's first session ("" occurrence), as in the sync.
    session, _ = WebinarSession.objects.get_or_create(
        webinar=webinar,
        occurrence_key="",
        defaults={
            "organization_id": organization.pk,
            "start_time": webinar.start_time,
            "duration_minutes": webinar.duration_minutes,
        },
    )
    values = {
        "first_name": first_name[:200],
        "last_name": last_name[:200],
        "registration_status": status,
        "zoom_registrant_id": registrant_id[:64],
        "join_url": join_url,
    }
    try:
        with transaction.atomic():
            Attendance.objects.create(
                organization=organization,
                webinar=webinar,
                session=session,
                email=email,
                registered_at=timezone.now(),
                source=Attendance.Source.WORKFLOW,
                **values,
            )
    except IntegrityError:
        _existing_update(session, email, values)
    return webinar


def _existing_update(session: WebinarSession, email: str, values: dict[str, str]) -> None:
    row = Attendance.objects.select_for_update().get(session=session, email=email)
    if row.registration_status not in _REGISTERED or row.registered_at is None:
        row.registered_at = timezone.now()  # a new registration (after a cancellation)
    for name, value in values.items():
        if value or name == "registration_status":
            setattr(row, name, value)
    if row.source == Attendance.Source.REPORT:
        row.source = Attendance.Source.BOTH
    row.save()


def _webinar_describe(webinar: Webinar, details: dict[str, Any]) -> None:
    """Fill what a webinar first seen here lacks; the sync keeps it current afterwards."""
    if webinar.join_url:
        return
    join_url = str(details.get("join_url") or "")
    registration_url = str(details.get("registration_url") or "")
    webinar.join_url = join_url if len(join_url) <= 500 else ""
    webinar.registration_url = registration_url if len(registration_url) <= 500 else ""
    webinar.topic = str(details.get("topic") or webinar.topic)[:300]
    webinar.timezone = str(details.get("timezone") or webinar.timezone)[:64]
    if details.get("type") in (5, 6, 9):
        webinar.zoom_type = details["type"]
    if webinar.start_time is None and isinstance(details.get("start_time"), str):
        webinar.start_time = parse_datetime(details["start_time"])
    duration = details.get("duration")
    if not webinar.duration_minutes and isinstance(duration, int) and duration > 0:
        webinar.duration_minutes = duration
    webinar.save()
