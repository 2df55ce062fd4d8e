"""Booking services: create, reschedule, cancel. Database only; the CRM work is queued.

No double booking: every write that gives a host a time takes a row lock on the host's
membership of the organisation (`SELECT ... FOR UPDATE` on PostgreSQL; on SQLite the IMMEDIATE
transaction already holds the database's single write lock) and checks for an overlapping
confirmed booking under that lock, so concurrent requests for one host are serialised and the
second sees the first. A request holds at most one host lock at a time (see
`_book_first_free`), so two requests never deadlock.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import Exists, OuterRef, Subquery
from django.utils import timezone
from django_q.tasks import async_task

from accounts.models import Membership, Organization
from connectors.models import Connection, ConnectionStatus
from meetings.models import Booking, MeetingType, RoutingRule, WorkState
from meetings.routing import Candidate, host_candidates

CRM_TASK = "meetings.tasks.booking_crm_sync"


class BookingError(Exception):
    """The request cannot be booked. `field` names the input at fault (None: the request)."""

    def __init__(self, message: str, *, field: str | None = None, code: str = "invalid") -> None:
        super().__init__(message)
        self.message, self.field, self.code = message, field, code


class BookingConflict(BookingError):
    """The host (every eligible host) already has a booking at that time."""

    def __init__(self, message: str) -> None:
        super().__init__(message, field=None, code="host_unavailable")


def booking_create(
    *,
    organization: Organization,
    meeting_type_slug: str,
    start: dt.datetime,
    invitee_email: str,
    invitee_name: str,
    company: str = "",
    answers: dict[str, Any] | None = None,
    host_email: str | None = None,
) -> Booking:
    """Book a meeting; the host is `host_email` or chosen by the type's routing rules.

    Raises BookingError (unknown/inactive type, past start, unknown host) and BookingConflict
    (no eligible host free). Queues the Zoom/HubSpot work in the same transaction.
    """
    meeting_type = _meeting_type(organization, meeting_type_slug)
    if meeting_type is None:
        raise BookingError("Unknown or inactive meeting type.", field="meeting_type")
    _require_future(start)
    end = start + dt.timedelta(minutes=meeting_type.duration_minutes)
    hosts = _hosts(meeting_type)
    if host_email:
        host = next((h for h in hosts if h.email.casefold() == host_email.casefold()), None)
        if host is None:
            raise BookingError("Not a host of this meeting type.", field="host_email")
        candidates = [Candidate(host, "host chosen by the client")]
    else:
        candidates = host_candidates(
            meeting_type=meeting_type, invitee_email=invitee_email, hosts=hosts
        )
    if not candidates:
        raise BookingError("This meeting type has no hosts.", field="meeting_type")
    with transaction.atomic():
        booking = _book_first_free(
            organization,
            candidates,
            start,
            end,
            lambda chosen: Booking(
                organization=organization,
                meeting_type=meeting_type,
                host=chosen.host,
                start_at=start,
                end_at=end,
                invitee_email=invitee_email,
                invitee_name=invitee_name,
                invitee_company=company or "",
                answers=answers or {},
                routing_reason=chosen.reason[:500],
            ),
        )
        _plan_crm_work(booking, meeting_type)
        booking.save()
        _enqueue_if_pending(booking)
    return booking


def booking_reschedule(*, booking: Booking, start: dt.datetime) -> Booking:
    """Move a confirmed booking (same host); Zoom and HubSpot are updated in the background."""
    if booking.status == Booking.Status.CANCELLED:
        raise BookingError("A cancelled booking cannot be rescheduled.", code="cancelled")
    _require_future(start)
    end = start + (booking.end_at - booking.start_at)
    with transaction.atomic():
        _lock_hosts(booking.organization, [booking.host_id])
        if _busy_hosts(booking.organization, [booking.host_id], start, end, exclude=booking.pk):
            raise BookingConflict("The host already has a booking at that time.")
        booking = Booking.objects.select_for_update().get(pk=booking.pk)
        if booking.status == Booking.Status.CANCELLED:
            raise BookingError("A cancelled booking cannot be rescheduled.", code="cancelled")
        booking.start_at, booking.end_at = start, end
        booking.reschedule_count += 1
        _replan(booking)
        booking.save()
        _enqueue_if_pending(booking)
    return booking


def booking_cancel(*, booking: Booking, reason: str = "") -> Booking:
    """Cancel (idempotent): the Zoom meeting is deleted, the HubSpot meeting marked CANCELED."""
    with transaction.atomic():
        booking = Booking.objects.select_for_update().get(pk=booking.pk)
        if booking.status == Booking.Status.CANCELLED:
            return booking
        booking.status = Booking.Status.CANCELLED
        booking.cancelled_at = timezone.now()
        booking.cancel_reason = reason[:500]
        _replan(booking)
        booking.save()
        _enqueue_if_pending(booking)
    return booking


# --- internals ------------------------------------------------------------------------------
def _require_future(start: dt.datetime) -> None:
    if start <= timezone.now():
        raise BookingError("The start time is in the past.", field="start")


def _meeting_type(organization: Organization, slug: str) -> MeetingType | None:
    """The active type with what booking it needs in one query: whether it has routing rules
    and which of the organisation's connections are active."""
    active = Connection.objects.filter(
        organization_id=OuterRef("organization_id"), status=ConnectionStatus.ACTIVE
    )
    return (
        MeetingType.objects.filter(organization=organization, slug=slug, active=True)
        .annotate(
            has_rules=Exists(RoutingRule.objects.filter(meeting_type=OuterRef("pk"))),
            zoom_connected=Exists(active.filter(provider="zoom")),
            hubspot_connected=Exists(active.filter(provider="hubspot")),
        )
        .first()
    )


def _hosts(meeting_type: MeetingType) -> list:
    """Hosts who are (still) members of the organisation, each with `last_booked_at`."""
    last_booked = Booking.objects.filter(
        organization_id=meeting_type.organization_id, host_id=OuterRef("pk")
    ).order_by("-created_at")
    return list(
        get_user_model()
        .objects.filter(
            hosted_meeting_types=meeting_type,
            is_active=True,
            memberships__organization_id=meeting_type.organization_id,
        )
        .annotate(last_booked_at=Subquery(last_booked.values("created_at")[:1]))
        .order_by("pk")
    )


class _HostBusy(Exception):
    pass


def _book_first_free(organization, candidates, start, end, build) -> Booking:
    """The unsaved booking for the first candidate free in [start, end), decided under that
    host's lock (held until the caller's transaction ends).

    One host is locked at a time, each in a savepoint: a busy host's lock is released when its
    savepoint rolls back (PostgreSQL releases row locks taken in a rolled-back savepoint), so no
    two requests ever hold locks in opposite orders. Interchangeable fallback hosts that another
    request is booking right now are passed over first (SKIP LOCKED) and waited for only if
    nobody else is free, which keeps concurrent bookings from queueing on one host.
    """
    waited_for = []
    for candidate in candidates:
        outcome = _try_host(
            organization, candidate.host.pk, start, end, skip_locked=candidate.interchangeable
        )
        if outcome == "free":
            return build(candidate)
        if outcome == "locked":
            waited_for.append(candidate)
    for candidate in waited_for:
        if _try_host(organization, candidate.host.pk, start, end) == "free":
            return build(candidate)
    raise BookingConflict("The host already has a booking at that time.")


def _try_host(organization, host_id: int, start, end, *, skip_locked: bool = False) -> str:
    """ "free" (the host's lock is now held), "busy" or "locked" (by another request)."""
    try:
        with transaction.atomic():
            locked = _lock_hosts(organization, [host_id], skip_locked=skip_locked)
            if not locked and connection_supports_skip_locked():
                return "locked"
            if _busy_hosts(organization, [host_id], start, end):
                raise _HostBusy
    except _HostBusy:
        return "busy"
    return "free"


def connection_supports_skip_locked() -> bool:
    from django.db import connection

    return connection.features.has_select_for_update_skip_locked


def _lock_hosts(organization, host_ids: list[int], *, skip_locked: bool = False) -> list[int]:
    """Lock the hosts' memberships in primary-key order; returns the locked membership ids.

    PostgreSQL: SELECT ... FOR UPDATE. SQLite ignores it: its IMMEDIATE transactions already
    hold the database's single write lock from BEGIN, which serialises every booking.
    """
    return list(
        Membership.objects.select_for_update(skip_locked=skip_locked)
        .filter(organization=organization, user_id__in=host_ids)
        .order_by("pk")
        .values_list("pk", flat=True)
    )


def _busy_hosts(organization, host_ids, start, end, *, exclude: int | None = None) -> set[int]:
    # Scoped to the organisation like the host lock: another organisation's bookings are
    # neither visible through a 409 nor serialised with this one's.
    overlapping = Booking.objects.filter(
        organization=organization,
        host_id__in=host_ids,
        status=Booking.Status.CONFIRMED,
        start_at__lt=end,
        end_at__gt=start,
    )
    if exclude is not None:
        overlapping = overlapping.exclude(pk=exclude)
    return set(overlapping.values_list("host_id", flat=True))


def _plan_crm_work(booking: Booking, meeting_type: MeetingType) -> None:
    """Initial CRM states, from the type's settings and the organisation's connections."""
    if not meeting_type.uses_zoom:
        booking.zoom_state, booking.zoom_reason = WorkState.SKIPPED, "no video conference"
    elif not meeting_type.zoom_connected:
        booking.zoom_state = WorkState.FAILED
        booking.zoom_reason = "Zoom is not connected; no Zoom link was created"
    else:
        booking.zoom_state, booking.zoom_reason = WorkState.PENDING, ""
    if not meeting_type.sync_to_hubspot:
        booking.hubspot_state = WorkState.SKIPPED
        booking.hubspot_reason = "sync to HubSpot is off for this meeting type"
    elif not meeting_type.hubspot_connected:
        booking.hubspot_state, booking.hubspot_reason = WorkState.SKIPPED, "HubSpot not connected"
    else:
        booking.hubspot_state, booking.hubspot_reason = WorkState.PENDING, ""


def _replan(booking: Booking) -> None:
    """After a change: every part that did (or was doing) external work must redo it."""
    booking.crm_version += 1  # the row is locked by the caller
    booking.crm_attempts = 0
    if booking.zoom_state != WorkState.SKIPPED and (
        booking.zoom_meeting_id or booking.zoom_state == WorkState.PENDING
    ):
        booking.zoom_state, booking.zoom_reason = WorkState.PENDING, ""
    if booking.hubspot_state != WorkState.SKIPPED and (
        booking.hubspot_meeting_id or booking.hubspot_state == WorkState.PENDING
    ):
        booking.hubspot_state, booking.hubspot_reason = WorkState.PENDING, ""


def _enqueue_if_pending(booking: Booking) -> None:
    if WorkState.PENDING not in (booking.zoom_state, booking.hubspot_state):
        return
    booking_crm_enqueue(booking.pk)


def booking_crm_enqueue(booking_id: int, *, name_suffix: str = "") -> None:
    """Queue the CRM work of a booking. With the ORM broker the task row commits with the
    booking (or neither does); other brokers enqueue once the transaction has committed."""
    name = f"booking-crm-{booking_id}{name_suffix}"
    if settings.Q_BROKER == "orm":
        async_task(CRM_TASK, booking_id, task_name=name)
    else:
        transaction.on_commit(lambda: async_task(CRM_TASK, booking_id, task_name=name))
