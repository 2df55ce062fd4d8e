"""Claiming and queueing background runs: the lease rules in one place.

Delivery is at least once. A delivery claims its run (QUEUED → RUNNING, attempts + 1) before
working; a RUNNING claim older than `task_lease()` belongs to a dead worker and may be taken over.
The conditional UPDATE on the attempt count makes two deliveries racing for one run agree on a
single winner. Webinar syncs and activity syncs both use this; any model with `status`
(queued/running), `started_at`, `attempts` and optionally `not_before` fits.
"""

from __future__ import annotations

import datetime as dt

from django.db.models import Model, Q
from django.utils import timezone
from django_q.models import Schedule
from django_q.tasks import async_task

from jobs.scheduling import task_lease

QUEUED, RUNNING = "queued", "running"


def run_claim(model: type[Model], run_id: int, *, respect_not_before: bool = False):
    """The claimed run, or None when it is finished, claimed by a live delivery, or (with
    `respect_not_before`) not due yet."""
    now = timezone.now()
    run = model.objects.filter(pk=run_id).first()
    if run is None:
        return None
    claimable = Q(status=QUEUED) | Q(status=RUNNING, started_at__lt=now - task_lease())
    candidates = model.objects.filter(claimable, pk=run_id, attempts=run.attempts)
    if respect_not_before:
        candidates = candidates.filter(Q(not_before__isnull=True) | Q(not_before__lte=now))
    if not candidates.update(status=RUNNING, started_at=now, attempts=run.attempts + 1):
        return None
    run.refresh_from_db()
    return run


def claim_expired(run) -> bool:
    """Whether `run` is marked running by a worker that must be dead by now."""
    return (
        run.status == RUNNING
        and run.started_at is not None
        and run.started_at < timezone.now() - task_lease()
    )


def claim_expires_at(started_at: dt.datetime) -> dt.datetime:
    """When a claim taken at `started_at` may be taken over (plus a second, to be past it)."""
    return started_at + task_lease() + dt.timedelta(seconds=1)


def task_enqueue(func: str, *args, name: str, not_before: dt.datetime | None = None) -> None:
    """Queue `func(*args)` now, or as a one-off schedule at `not_before`.

    With the ORM broker either row commits with the caller's transaction (or neither does).
    """
    if not_before is None or not_before <= timezone.now():
        async_task(func, *args, task_name=name)
        return
    Schedule.objects.create(
        name=f"{name}@{int(not_before.timestamp())}",
        func=func,
        args=repr(args),
        schedule_type=Schedule.ONCE,
        repeats=1,
        next_run=not_before,
    )
