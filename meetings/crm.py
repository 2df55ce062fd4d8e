"""Executing a booking's CRM work in the background: Zoom first (its join URL is the HubSpot
meeting's location), then HubSpot. Retried, idempotent, one worker per booking at a time.

Delivery is at least once. A worker claims the booking (a lease that outlives the task timeout),
does each pending part, and writes the parts' states only if the booking did not change
meanwhile (`crm_version`); if it did, it goes round again with the new data. External ids are
saved the moment a vendor answers (see zoom_meetings / hubspot_meetings), so retries update
instead of creating. Transient failures are retried with backoff up to MAX_ATTEMPTS; Zoom's
daily meeting-write limit waits until the limit resets (and says so on the booking) without
using up attempts.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from connectors.errors import (
    ConnectorError,
    RateLimitedError,
    ReauthRequiredError,
    TransientError,
)
from connectors.models import Connection, ConnectionStatus
from connectors.services import connection_client
from jobs.queue import task_enqueue, task_lease
from meetings.bookings import CRM_TASK
from meetings.hubspot_meetings import hubspot_meeting_sync
from meetings.models import Booking, WorkState
from meetings.steps import StepResult
from meetings.zoom_meetings import zoom_meeting_sync

MAX_ATTEMPTS = 6
MAX_ROUNDS = 5  # rounds within one delivery when the booking keeps changing under us


def booking_crm_execute(booking_id: int) -> str:
    """Do the pending CRM work of one booking. Returns a one-line summary."""
    lease = task_lease()
    for _ in range(MAX_ROUNDS):
        booking = _claim(booking_id, lease)
        if booking is None:
            return f"booking {booking_id}: gone or being worked on"
        if WorkState.PENDING not in (booking.zoom_state, booking.hubspot_state):
            Booking.objects.filter(pk=booking_id).update(crm_claimed_until=None)
            return f"booking {booking_id}: nothing to do"
        outcome = _Round(booking)
        outcome.run()
        if outcome.commit():
            return f"booking {booking_id}: zoom {outcome.zoom[0]}, hubspot {outcome.hubspot[0]}"
    # The booking kept changing under us: hand it to a fresh delivery a little later.
    task_enqueue(
        CRM_TASK,
        booking_id,
        name=f"booking-crm-{booking_id}",
        not_before=timezone.now() + dt.timedelta(seconds=30),
    )
    return f"booking {booking_id}: still changing, queued again"


def _claim(booking_id: int, lease: dt.timedelta) -> Booking | None:
    now = timezone.now()
    free = Q(crm_claimed_until__isnull=True) | Q(crm_claimed_until__lt=now)
    if not Booking.objects.filter(free, pk=booking_id).update(crm_claimed_until=now + lease):
        return None
    return Booking.objects.select_related("meeting_type", "host", "organization").get(pk=booking_id)


class _Round:
    """One pass over the pending parts of a claimed booking."""

    def __init__(self, booking: Booking) -> None:
        self.booking = booking
        self.version = booking.crm_version
        self.zoom = (booking.zoom_state, booking.zoom_reason)
        self.hubspot = (booking.hubspot_state, booking.hubspot_reason)
        self.retry_in: float | None = None
        self.counts_attempt = False

    def run(self) -> None:
        booking = self.booking
        if booking.zoom_state == WorkState.PENDING:
            *self.zoom, join_url_changed = self._step(
                "zoom", zoom_meeting_sync, missing=WorkState.FAILED
            )
            if join_url_changed and self.hubspot[0] == WorkState.DONE:
                self.hubspot = (WorkState.PENDING, "")  # the location (join URL) changed
        if self.hubspot[0] == WorkState.PENDING:
            *self.hubspot, _ = self._step(
                "hubspot", hubspot_meeting_sync, missing=WorkState.SKIPPED
            )

    def _step(self, provider: str, sync: Callable, *, missing: str) -> tuple[str, str, bool]:
        booking = self.booking
        connection = Connection.objects.filter(
            organization_id=booking.organization_id, provider=provider
        ).first()
        label = provider.replace("hubspot", "HubSpot").replace("zoom", "Zoom")
        if connection is None or connection.status != ConnectionStatus.ACTIVE:
            state = connection.get_status_display().lower() if connection else "not connected"
            return missing, f"{label} is {state}", False
        try:
            result: StepResult = sync(booking, connection_client(connection))
        except ReauthRequiredError as error:
            return WorkState.FAILED, f"{label} connection needs reconnecting: {error}"[:500], False
        except RateLimitedError as error:
            wait = float(error.retry_after or 60)
            self._retry(wait, counts=False)
            at = timezone.now() + dt.timedelta(seconds=wait)
            reason = (
                f"{label} rate limit reached ({error.message[:200]}); retrying at {at:%H:%M} UTC"
            )
            return WorkState.PENDING, reason[:500], False
        except TransientError as error:
            wait = 60.0 * 2 ** min(booking.crm_attempts, 6)
            self._retry(wait, counts=True)
            return WorkState.PENDING, f"temporary {label} error, retrying: {error}"[:500], False
        except ConnectorError as error:
            return WorkState.FAILED, f"{label} refused: {error}"[:500], False
        return result.state, result.reason[:500], result.join_url_changed

    def _retry(self, wait: float, *, counts: bool) -> None:
        self.retry_in = wait if self.retry_in is None else min(self.retry_in, wait)
        self.counts_attempt = self.counts_attempt or counts

    def commit(self) -> bool:
        """Write the states unless the booking changed meanwhile; schedule a retry if needed."""
        booking = self.booking
        attempts = booking.crm_attempts + (1 if self.counts_attempt else 0)
        if self.retry_in is not None and self.counts_attempt and attempts >= MAX_ATTEMPTS:
            self.zoom = _give_up(self.zoom, attempts)
            self.hubspot = _give_up(self.hubspot, attempts)
            self.retry_in = None
        retry_at = timezone.now() + dt.timedelta(seconds=self.retry_in) if self.retry_in else None
        with transaction.atomic():
            written = Booking.objects.filter(pk=booking.pk, crm_version=self.version).update(
                zoom_state=self.zoom[0],
                zoom_reason=self.zoom[1],
                hubspot_state=self.hubspot[0],
                hubspot_reason=self.hubspot[1],
                crm_attempts=0 if retry_at is None else attempts,
                crm_retry_at=retry_at,
                crm_claimed_until=None,
            )
            if not written:
                Booking.objects.filter(pk=booking.pk).update(crm_claimed_until=None)
                return False
            if retry_at is not None:
                task_enqueue(
                    CRM_TASK, booking.pk, name=f"booking-crm-{booking.pk}", not_before=retry_at
                )
        return True


def _give_up(part: tuple[str, str], attempts: int) -> tuple[str, str]:
    if part[0] != WorkState.PENDING:
        return part
    return WorkState.FAILED, f"gave up after {attempts} attempts: {part[1]}"[:500]


def booking_crm_retry(*, booking_id: int) -> bool:
    """Queue a booking's failed (or waiting) CRM work again, now, with fresh attempts. Returns
    False when nothing is failed or pending. Skipped parts stay skipped."""
    from meetings.bookings import booking_crm_enqueue

    with transaction.atomic():
        booking = Booking.objects.select_for_update().get(pk=booking_id)
        parts = [
            part
            for part in ("zoom", "hubspot")
            if getattr(booking, f"{part}_state") in (WorkState.FAILED, WorkState.PENDING)
        ]
        if not parts:
            return False
        for part in parts:
            setattr(booking, f"{part}_state", WorkState.PENDING)
            setattr(booking, f"{part}_reason", "queued again from the admin")
        booking.crm_version += 1  # a worker holding the booking goes round again
        booking.crm_attempts = 0
        booking.crm_retry_at = None
        booking.save()
        booking_crm_enqueue(booking.pk, name_suffix="-retry")
    return True


def bookings_stuck_requeue() -> str:
    """Periodic job: queue again the CRM work that no delivery will pick up.

    A worker killed mid-round leaves its claim behind; deliveries queued meanwhile bailed out
    on that claim. Once the claim has expired (and no retry is scheduled for later), the work is
    queued again; the claim makes a duplicate delivery harmless.
    """
    from meetings.bookings import booking_crm_enqueue

    now = timezone.now()
    stuck = (
        Booking.objects.filter(Q(zoom_state=WorkState.PENDING) | Q(hubspot_state=WorkState.PENDING))
        .filter(Q(crm_claimed_until__isnull=True) | Q(crm_claimed_until__lt=now))
        .filter(Q(crm_retry_at__isnull=True) | Q(crm_retry_at__lt=now - dt.timedelta(minutes=5)))
        .filter(updated_at__lt=now - dt.timedelta(minutes=5))
        .values_list("pk", flat=True)[:500]
    )
    ids = list(stuck)
    for booking_id in ids:
        booking_crm_enqueue(booking_id, name_suffix="-sweep")
    return f"{len(ids)} bookings queued again"
