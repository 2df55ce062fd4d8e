"""A booking's vendor work in the background: Zoom first (its join URL is the HubSpot meeting's
location), then HubSpot. One kind of run of the background-run lifecycle (`jobs.lifecycle`):
claims, retries with backoff, recovery of lost tasks and dead workers are the lifecycle's.

Delivery is at least once, and at most one run of a booking works at a time. A run does each
pending part and writes the parts' states only if the booking did not change meanwhile
(`crm_version`); if it did, it goes round again with the new data. External ids are saved the
moment a vendor answers (see zoom_meetings / hubspot_meetings), so retries update instead of
creating. Temporary vendor failures are retried with backoff (`BookingCrm.policy`); Zoom's daily
meeting-write limit waits until the limit resets (and says so on the booking) without using up
attempts.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from django.db import transaction
from django.utils import timezone

from connectors.errors import (
    ConnectionUnavailableError,
    ConnectorError,
    RateLimitedError,
    ReauthRequiredError,
    TransientError,
)
from connectors.installations import installation_get
from jobs.lifecycle import (
    Outcome,
    RetryPolicy,
    RunBody,
    RunContinues,
    run_enqueue,
    run_execute,
    run_request,
)
from jobs.models import RunProblem, RunStatus, RunTrigger
from meetings.hubspot_meetings import hubspot_meeting_sync
from meetings.models import Booking, BookingCrmRun, WorkState
from meetings.steps import StepResult
from meetings.zoom_meetings import zoom_meeting_sync

MAX_ROUNDS = 5  # rounds within one delivery when the booking keeps changing under us
LABELS = {"zoom": "Zoom", "hubspot": "HubSpot"}


class _RetryLater(Exception):
    """A part must be tried again later: after `retry_after` seconds (a rate limit's reset) or
    the policy's backoff; `counts`: whether it uses up an attempt."""

    def __init__(self, retry_after: float | None, *, counts: bool, problem: str, message: str):
        super().__init__(message)
        self.retry_after, self.counts = retry_after, counts
        self.problem, self.message = problem, message


class BookingCrm(RunBody):
    """The pending Zoom/HubSpot work of one booking (a `BookingCrmRun`)."""

    key = "booking-crm"
    model = BookingCrmRun
    policy = RetryPolicy(max_attempts=6, base_delay=60.0, rate_limits_count=False)
    coalesce_on = ("booking",)
    exclusive_on = ("booking",)  # two runs of one booking would race for its vendor objects

    def __init__(self, run: BookingCrmRun) -> None:
        super().__init__(run)
        self.booking: Booking | None = None

    @classmethod
    def request_lock(cls, organization_id, fields) -> None:
        Booking.objects.select_for_update().filter(pk=fields["booking"].pk).first()

    def context_label(self) -> str:
        booking = self.booking or Booking.objects.only("public_id").get(pk=self.run.booking_id)
        return f"booking:{booking.public_id}"

    def execute(self) -> str:
        for _ in range(MAX_ROUNDS):
            self.booking = booking = Booking.objects.select_related(
                "meeting_type", "host", "organization"
            ).get(pk=self.run.booking_id)
            if WorkState.PENDING not in (booking.zoom_state, booking.hubspot_state):
                return RunStatus.SUCCEEDED
            work = _Round(booking, context=self.context_label())
            work.run()
            if work.commit():
                if work.retry is not None:
                    raise work.retry
                return RunStatus.SUCCEEDED
        raise RunContinues  # the booking kept changing under us: a fresh delivery goes on

    def outcome_for(self, error: Exception) -> Outcome | None:
        if not isinstance(error, _RetryLater):
            return None
        run = self.run
        if error.counts and run.attempts >= self.policy.max_attempts:
            _give_up(run.booking_id, run.attempts)
            return Outcome(
                RunStatus.FAILED,
                RunProblem.GAVE_UP,
                message=f"Gave up after {run.attempts} attempts: {error.message}",
            )
        retry_at = timezone.now() + dt.timedelta(seconds=self.policy.delay(run.attempts, error))
        return Outcome(
            RunStatus.QUEUED,
            error.problem,
            message=error.message,
            retry_at=retry_at,
            counts_attempt=error.counts,
        )

    def summary(self, status: str) -> str:
        booking = self.booking or Booking.objects.get(pk=self.run.booking_id)
        return (
            f"{RunStatus(status).label}: Zoom {booking.get_zoom_state_display().lower()}, "
            f"HubSpot {booking.get_hubspot_state_display().lower()}."
        )


def booking_crm_execute(run_id: int) -> str:
    """One delivery of booking CRM run `run_id` (the lifecycle's `run_execute`)."""
    return run_execute(BookingCrm, run_id)


def booking_crm_request(booking: Booking, *, new: bool = False) -> None:
    """Queue the booking's pending vendor work (in the caller's transaction), or join the run
    that will do it. A `new` booking has no run yet: nothing to look up or lock."""
    run_request(
        BookingCrm,
        organization_id=booking.organization_id,
        trigger=RunTrigger.BOOKING,
        join_open=not new,
        booking=booking,
    )


class _Round:
    """One pass over the pending parts of a booking."""

    def __init__(self, booking: Booking, *, context: str) -> None:
        self.booking = booking
        self.context = context
        self.version = booking.crm_version
        self.zoom = (booking.zoom_state, booking.zoom_reason)
        self.hubspot = (booking.hubspot_state, booking.hubspot_reason)
        self.retry: _RetryLater | None = None

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
        booking, label = self.booking, LABELS[provider]
        try:
            installation = installation_get(
                organization_id=booking.organization_id, provider=provider
            )
            result: StepResult = sync(booking, installation.client(context=self.context))
        except ConnectionUnavailableError as error:
            return missing, error.message[:500], False
        except ReauthRequiredError as error:
            return WorkState.FAILED, f"{label} connection needs reconnecting: {error}"[:500], False
        except RateLimitedError as error:
            wait = float(error.retry_after or 60)
            at = timezone.now() + dt.timedelta(seconds=wait)
            reason = (
                f"{label} rate limit reached ({error.message[:200]}); retrying at {at:%H:%M} UTC"
            )
            self._retry(wait, False, RunProblem.RATE_LIMITED, reason)
            return WorkState.PENDING, reason[:500], False
        except TransientError as error:
            reason = f"temporary {label} error, retrying: {error}"
            self._retry(None, True, RunProblem.VENDOR_UNAVAILABLE, reason)
            return WorkState.PENDING, reason[:500], False
        except ConnectorError as error:
            return WorkState.FAILED, f"{label} refused: {error}"[:500], False
        return result.state, result.reason[:500], result.join_url_changed

    def _retry(self, wait: float | None, counts: bool, problem: str, message: str) -> None:
        """Remember the retry the parts asked for: a part's temporary error (backoff, using
        up an attempt) comes before another part's rate-limit reset."""
        if self.retry is not None and (self.retry.counts or not counts):
            return
        self.retry = _RetryLater(wait, counts=counts, problem=problem, message=message[:500])

    def commit(self) -> bool:
        """Write the states unless the booking changed meanwhile."""
        written = Booking.objects.filter(pk=self.booking.pk, crm_version=self.version).update(
            zoom_state=self.zoom[0],
            zoom_reason=self.zoom[1],
            hubspot_state=self.hubspot[0],
            hubspot_reason=self.hubspot[1],
        )
        return bool(written)


def _give_up(booking_id: int, attempts: int) -> None:
    booking = Booking.objects.get(pk=booking_id)
    for part in ("zoom", "hubspot"):
        if getattr(booking, f"{part}_state") == WorkState.PENDING:
            reason = f"gave up after {attempts} attempts: {getattr(booking, f'{part}_reason')}"
            setattr(booking, f"{part}_state", WorkState.FAILED)
            setattr(booking, f"{part}_reason", reason[:500])
    Booking.objects.filter(pk=booking_id, crm_version=booking.crm_version).update(
        zoom_state=booking.zoom_state,
        zoom_reason=booking.zoom_reason,
        hubspot_state=booking.hubspot_state,
        hubspot_reason=booking.hubspot_reason,
    )


def booking_crm_retry(*, booking_id: int) -> bool:
    """Queue a booking's failed (or waiting) CRM work again, now, with fresh attempts. Returns
    False when nothing is failed or pending. Skipped parts stay skipped."""
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
        booking.crm_version += 1  # a run holding the booking goes round again
        booking.save()
        waiting = BookingCrmRun.objects.filter(booking=booking, status=RunStatus.QUEUED).first()
        if waiting is None:
            run_request(
                BookingCrm,
                organization_id=booking.organization_id,
                trigger=RunTrigger.RETRY,
                booking=booking,
            )
        else:  # fresh attempts, now: the run waiting for its backoff goes at once
            BookingCrmRun.objects.filter(pk=waiting.pk).update(attempts=0, not_before=None)
            run_enqueue(BookingCrm, waiting)
    return True
