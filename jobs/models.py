from __future__ import annotations

from django.db import models


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
