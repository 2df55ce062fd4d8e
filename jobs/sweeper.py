"""The sweeper: every few minutes, queue again each run that no delivery will pick up.

Two ways a run is stranded: its worker died while running it (the claim's lease expires), or its
task never reaches a worker (a Redis broker restarted and lost its queue, a queue row was
deleted, a schedule was removed, a worker was killed after taking the task but before claiming).
Both are found from the run rows alone (`jobs.lifecycle.run_task_lost`), for every registered
kind; the claim makes a duplicate delivery harmless.
"""

from __future__ import annotations

from django.db.models import Q
from django.utils import timezone

from jobs.lifecycle import run_enqueue
from jobs.models import RunStatus
from jobs.queue import task_lease
from jobs.registry import run_kinds

#: Runs queued again per kind per sweep (the rest wait for the next sweep).
SWEEP_LIMIT = 500


def runs_recover() -> str:
    """Queue again every stranded run of every kind; returns what was done."""
    now = timezone.now()
    expired = now - task_lease()
    parts = []
    for body in run_kinds():
        stranded = body.model.objects.filter(
            Q(status=RunStatus.RUNNING, started_at__lt=expired)
            | (
                Q(status=RunStatus.QUEUED)
                & (Q(not_before__isnull=True) | Q(not_before__lte=now))
                & (Q(enqueued_at__isnull=True) | Q(enqueued_at__lt=expired))
            )
        ).order_by("pk")[:SWEEP_LIMIT]
        count = 0
        for run in stranded:
            run_enqueue(body, run)
            count += 1
        parts.append(f"{body.key} {count}")
    return "queued again: " + ", ".join(parts)
