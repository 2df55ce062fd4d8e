"""The lifecycle's records: periodic-job due times, the worker heartbeat, and the abstract run
model every kind of background run is made of."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from accounts.models import TenantModel


class JobRun(models.Model):
    """One due time of one periodic job: the ledger that makes a schedule run once.

    The scheduler may hand the same due time out more than once (two clusters racing, a worker
    killed after it started and the task redelivered). The unique (job, scheduled_for) row is
    claimed before the job body runs, so each due time's work happens once.
    """

    job = models.CharField(max_length=100)
    scheduled_for = models.DateTimeField()
    claimed_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    outcome = models.TextField(blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["job", "scheduled_for"], name="one_run_per_due_time")
        ]
        ordering = ["-scheduled_for"]

    def __str__(self) -> str:
        return f"{self.job} @ {self.scheduled_for:%Y-%m-%d %H:%M}"


class WorkerHeartbeat(models.Model):
    """Last sign of life of the worker cluster, written by a periodic job; /healthz reads it."""

    name = models.CharField(max_length=100, unique=True)
    beat_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"{self.name} {self.beat_at:%Y-%m-%d %H:%M:%S}"


class RunStatus(models.TextChoices):
    """The one status set of every background run (webinar, activity and CRM syncs, bookings'
    vendor work): queued → running → succeeded / succeeded with findings / paused / failed."""

    QUEUED = "queued", "Queued"
    RUNNING = "running", "Running"
    SUCCEEDED = "succeeded", "Succeeded"
    PARTIAL = "partial", "Succeeded with findings"
    PAUSED = "paused", "Paused"
    FAILED = "failed", "Failed"


#: A run in one of these may still do work; any other status is final.
OPEN_STATUSES = (RunStatus.QUEUED, RunStatus.RUNNING)


class RunTrigger(models.TextChoices):
    NIGHTLY = "nightly", "Nightly schedule"
    SCHEDULE = "schedule", "Every 15 minutes"
    MANUAL = "manual", "Sync now"
    WEBHOOK = "webhook", "Zoom webhook"
    WORKFLOW = "workflow", "HubSpot workflow action"
    BACKFILL = "backfill", "Backfill"
    RESUME = "resume", "Resumed after a pause"
    BOOKING = "booking", "Booking created or changed"
    RETRY = "retry", "Retried from the admin"


class RunProblem(models.TextChoices):
    """Why a run did not simply succeed: the one vocabulary of every run's audit."""

    NONE = "", "—"
    VENDOR_REFUSED = "vendor_refused", "Vendor refused"
    VENDOR_UNAVAILABLE = "vendor_unavailable", "Vendor unavailable"
    RATE_LIMITED = "rate_limited", "Rate limited"
    NEEDS_RECONNECTING = "needs_reconnecting", "Needs reconnecting"
    GAVE_UP = "gave_up", "Gave up"
    INTERNAL_ERROR = "internal_error", "Internal error"


class Run(TenantModel):
    """What every kind of background run has: why it ran, where it is, how it ended.

    A kind of run is a concrete subclass (its target and counters) plus a `jobs.lifecycle.RunBody`
    (its work and retry policy); requesting, queueing, claiming, retrying, finishing and
    recovering are the lifecycle's, never the kind's.
    """

    Status = RunStatus
    Trigger = RunTrigger
    Problem = RunProblem

    trigger = models.CharField(max_length=16, choices=RunTrigger.choices)
    status = models.CharField(max_length=16, choices=RunStatus.choices, default=RunStatus.QUEUED)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    rerun_requested = models.BooleanField(
        default=False, help_text="Asked for again while running: a new run follows this one."
    )
    created_at = models.DateTimeField(auto_now_add=True)
    not_before = models.DateTimeField(
        null=True, blank=True, help_text="Not to start before this time (a delay or a backoff)."
    )
    enqueued_at = models.DateTimeField(
        null=True,
        blank=True,
        editable=False,
        help_text="When its task was last handed to the queue (or is due from a schedule); a "
        "queued run whose task is older than the lease is queued again by the sweeper.",
    )
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    problem = models.CharField(max_length=24, choices=RunProblem.choices, blank=True)
    problem_provider = models.CharField(max_length=32, blank=True)
    problem_message = models.TextField(blank=True)
    progress_phase = models.CharField(max_length=80, blank=True)
    progress_done = models.PositiveIntegerField(default=0)
    progress_total = models.PositiveIntegerField(null=True, blank=True)
    progress_at = models.DateTimeField(null=True, blank=True)
    summary = models.TextField(blank=True)

    class Meta:
        abstract = True
        ordering = ["-created_at", "-pk"]

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES
