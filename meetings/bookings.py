"""Booking services: create, reschedule, cancel. Database only; the CRM work is queued.

No double booking. A booking is written in one short transaction that first reads which hosts
are busy at that time (and who was booked last, for the round robin), then inserts the booking
and its queued task. Two requests racing for one host's slot are settled by the database: on
PostgreSQL an exclusion constraint (migration 0002) makes the second insert wait for the first
and then fail (or, when both check at the same instant, the deadlock detector aborts one), and
the losing request looks again (the host is busy now: the next candidate, or 409);
on SQLite the IMMEDIATE transaction holds the single writer lock from the read to the commit.
No row locks are taken, so requests for different slots never wait for each other.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib.auth import get_user_model
from django.db import DatabaseError, IntegrityError, OperationalError, connection, transaction
from django.utils import timezone

from accounts.models import Organization
from meetings.booking_context import BookingContext, booking_context
from meetings.crm import booking_crm_request
from meetings.models import Booking, WorkState
from meetings.models.bookings import NO_OVERLAP_CONSTRAINT
from meetings.routing import Candidate, host_candidates

DEADLOCK_DETECTED = "40P01"  # PostgreSQL's SQLSTATE


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
    context = booking_context(organization_id=organization.pk, slug=meeting_type_slug)
    if context is None:
        raise BookingError("Unknown or inactive meeting type.", field="meeting_type")
    _require_future(start)
    if not context.hosts:
        raise BookingError("This meeting type has no hosts.", field="meeting_type")
    chosen_host = None
    if host_email:
        chosen_host = context.host_by_email(host_email)
        if chosen_host is None:
            raise BookingError("Not a host of this meeting type.", field="host_email")
    booking = Booking(
        organization=organization,
        meeting_type=context.meeting_type,
        start_at=start,
        end_at=start + dt.timedelta(minutes=context.meeting_type.duration_minutes),
        invitee_email=invitee_email,
        invitee_name=invitee_name,
        invitee_company=company or "",
        answers=answers or {},
    )
    _plan_crm_work(booking, context)
    # A pass lost to a refusal finds one more host busy on the next read; one lost to a deadlock
    # may not yet (the winner has not committed), so each host may cost two passes.
    for _ in range(2 * len(context.hosts) + 1):
        try:
            with transaction.atomic():
                candidate = _first_free(context, booking, chosen_host)
                booking.host, booking.routing_reason = candidate.host, candidate.reason[:500]
                booking.save(force_insert=True)
                _enqueue_if_pending(booking, new=True)
            return booking
        except (IntegrityError, OperationalError) as error:
            if not _lost_race(error):
                raise
            booking.pk = None  # a concurrent booking took the slot: look again
    raise BookingConflict("The host already has a booking at that time.")


def booking_reschedule(*, booking: Booking, start: dt.datetime) -> Booking:
    """Move a confirmed booking (same host); Zoom and HubSpot are updated in the background."""
    if booking.status == Booking.Status.CANCELLED:
        raise BookingError("A cancelled booking cannot be rescheduled.", code="cancelled")
    _require_future(start)
    end = start + (booking.end_at - booking.start_at)
    try:
        with transaction.atomic():
            booking = Booking.objects.select_for_update().get(pk=booking.pk)
            if booking.status == Booking.Status.CANCELLED:
                raise BookingError("A cancelled booking cannot be rescheduled.", code="cancelled")
            hosts = [booking.host_id]
            if _busy_hosts(booking.organization_id, hosts, start, end, exclude=booking.pk):
                raise BookingConflict("The host already has a booking at that time.")
            booking.start_at, booking.end_at = start, end
            booking.reschedule_count += 1
            _replan(booking)
            booking.save()
            _enqueue_if_pending(booking)
    except (IntegrityError, OperationalError) as error:
        if not _lost_race(error):
            raise
        raise BookingConflict("The host already has a booking at that time.") from None
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


def _first_free(context: BookingContext, booking: Booking, chosen_host) -> Candidate:
    """The first candidate host free at the booking's time, read in the caller's transaction."""
    hosts = [chosen_host] if chosen_host is not None else context.hosts
    busy, round_robin = _host_availability(
        booking.organization_id, hosts, booking.start_at, booking.end_at
    )
    if chosen_host is not None:
        candidates = [Candidate(chosen_host, "host chosen by the client")]
    else:
        candidates = host_candidates(
            context=context, invitee_email=booking.invitee_email, round_robin=round_robin
        )
    candidate = next((c for c in candidates if c.host.pk not in busy), None)
    if candidate is None:
        raise BookingConflict("The host already has a booking at that time.")
    return candidate


def _overlapping(organization_id: int, start, end):
    # Scoped to the organisation like the constraint: another organisation's bookings of a
    # shared user are never visible through a 409.
    return Booking.objects.filter(
        organization_id=organization_id,
        status=Booking.Status.CONFIRMED,
        start_at__lt=end,
        end_at__gt=start,
    )


def _busy_hosts(organization_id, host_ids, start, end, *, exclude: int | None = None) -> set[int]:
    overlapping = _overlapping(organization_id, start, end).filter(host_id__in=host_ids)
    if exclude is not None:
        overlapping = overlapping.exclude(pk=exclude)
    return set(overlapping.values_list("host_id", flat=True))


def _host_availability(organization_id: int, hosts, start, end) -> tuple[set[int], list[int]]:
    """(ids of the hosts busy in [start, end), every host id in round-robin order: never booked
    first, then by when the host's latest booking was made, ties by id), in one statement.

    Hand-written because it runs in every booking: built through the ORM (an Exists and a
    Subquery per host) it took longer to compile than the database takes to run it. Portable
    SQL; the test suite runs it on PostgreSQL and SQLite.
    """
    booking, user = Booking._meta.db_table, get_user_model()._meta.db_table
    ids = [host.pk for host in hosts]
    sql = f"""
        SELECT id, busy FROM (
            SELECT u.id AS id,
                   EXISTS (SELECT 1 FROM {booking} b
                           WHERE b.host_id = u.id AND b.organization_id = %s AND b.status = %s
                             AND b.end_at > %s AND b.start_at < %s) AS busy,
                   (SELECT MAX(b.created_at) FROM {booking} b
                    WHERE b.host_id = u.id AND b.organization_id = %s) AS last_booked
            FROM {user} u WHERE u.id IN ({", ".join(["%s"] * len(ids))})
        ) AS hosts
        ORDER BY last_booked IS NOT NULL, last_booked, id
    """  # noqa: S608 - table names from model metadata; every value is a parameter
    adapt = connection.ops.adapt_datetimefield_value
    params = [organization_id, Booking.Status.CONFIRMED, adapt(start), adapt(end)]
    with connection.cursor() as cursor:
        cursor.execute(sql, [*params, organization_id, *ids])
        rows = cursor.fetchall()
    return {pk for pk, busy in rows if busy}, [pk for pk, _ in rows]


def _lost_race(error: DatabaseError) -> bool:
    """Whether the write lost to a concurrent overlapping booking (committed after this
    transaction read the host's bookings): PostgreSQL's exclusion constraint refused it, or, when
    two such inserts checked each other at the same instant, its deadlock detector aborted this
    one (exclusion constraints check after inserting, so both can wait for the other)."""
    cause = error.__cause__
    if getattr(cause, "sqlstate", None) == DEADLOCK_DETECTED:
        return True
    diag = getattr(cause, "diag", None)
    return getattr(diag, "constraint_name", None) == NO_OVERLAP_CONSTRAINT


def _plan_crm_work(booking: Booking, context: BookingContext) -> None:
    """Initial CRM states, from the type's settings and the organisation's connections."""
    meeting_type = context.meeting_type
    if not meeting_type.uses_zoom:
        booking.zoom_state, booking.zoom_reason = WorkState.SKIPPED, "no video conference"
    elif not context.zoom_connected:
        booking.zoom_state = WorkState.FAILED
        booking.zoom_reason = "Zoom is not connected; no Zoom link was created"
    else:
        booking.zoom_state, booking.zoom_reason = WorkState.PENDING, ""
    if not meeting_type.sync_to_hubspot:
        booking.hubspot_state = WorkState.SKIPPED
        booking.hubspot_reason = "sync to HubSpot is off for this meeting type"
    elif not context.hubspot_connected:
        booking.hubspot_state, booking.hubspot_reason = WorkState.SKIPPED, "HubSpot not connected"
    else:
        booking.hubspot_state, booking.hubspot_reason = WorkState.PENDING, ""


def _replan(booking: Booking) -> None:
    """After a change: every part that did (or was doing) external work must redo it."""
    booking.crm_version += 1  # the row is locked by the caller
    if booking.zoom_state != WorkState.SKIPPED and (
        booking.zoom_meeting_id or booking.zoom_state == WorkState.PENDING
    ):
        booking.zoom_state, booking.zoom_reason = WorkState.PENDING, ""
    if booking.hubspot_state != WorkState.SKIPPED and (
        booking.hubspot_meeting_id or booking.hubspot_state == WorkState.PENDING
    ):
        booking.hubspot_state, booking.hubspot_reason = WorkState.PENDING, ""


def _enqueue_if_pending(booking: Booking, *, new: bool = False) -> None:
    if WorkState.PENDING in (booking.zoom_state, booking.hubspot_state):
        booking_crm_request(booking, new=new)
