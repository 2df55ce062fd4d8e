"""Periodic jobs: the one list of what runs on a schedule, and how it is installed.

Schedules are installed idempotently by name (`manage.py install_schedules`, called by
`make demo` and by deployments after `migrate`); running it twice leaves one schedule per job.
Each schedule calls `run_periodic_job(name, scheduled_for=...)`, which claims the due time in the
`JobRun` ledger before running the job, so overlapping clusters or a redelivery never run one due
time twice.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.module_loading import import_string
from django_q.models import Schedule

from jobs.models import JobRun

SCHEDULE_PREFIX = "meetbridge:"
RUNNER = "jobs.tasks.run_periodic_job"


@dataclass(frozen=True)
class PeriodicJob:
    name: str
    func: str  # dotted path of a function taking no arguments
    schedule_type: str  # Schedule.MINUTES / Schedule.HOURLY / Schedule.DAILY
    minutes: int | None = None
    at: dt.time | None = None  # for daily jobs: UTC time of day

    @property
    def schedule_name(self) -> str:
        return f"{SCHEDULE_PREFIX}{self.name}"


# Features add their jobs here; this list is the whole truth about what runs periodically.
PERIODIC_JOBS: list[PeriodicJob] = [
    PeriodicJob("worker-heartbeat", "jobs.heartbeat.worker_heartbeat", Schedule.MINUTES, minutes=1),
    PeriodicJob("recover-stranded-runs", "jobs.sweeper.runs_recover", Schedule.MINUTES, minutes=5),
    PeriodicJob(
        "retry-token-revocations", "connectors.jobs.revocations_retry", Schedule.MINUTES, minutes=15
    ),
    PeriodicJob(
        "nightly-webinar-sync", "sync.webinars.jobs.webinars_nightly", Schedule.DAILY, at=dt.time(2)
    ),
    PeriodicJob(
        "nightly-crm-property-sync",
        "sync.crm_properties.jobs.crm_property_sync_nightly",
        Schedule.DAILY,
        at=dt.time(2, 30),
    ),
    PeriodicJob(
        "activity-sync",
        "sync.activities.runs.activities_sync_periodic",
        Schedule.MINUTES,
        minutes=15,
    ),
    PeriodicJob(
        "prune-connector-records",
        "connectors.jobs.records_prune",
        Schedule.DAILY,
        at=dt.time(3, 30),
    ),
    PeriodicJob(
        "prune-idempotency-keys",
        "meetings.idempotency.idempotency_records_prune",
        Schedule.DAILY,
        at=dt.time(3, 45),
    ),
]


def periodic_job_by_name(name: str) -> PeriodicJob:
    for job in PERIODIC_JOBS:
        if job.name == name:
            return job
    raise KeyError(f"no periodic job named {name!r}")


def _first_run(job: PeriodicJob, now: dt.datetime) -> dt.datetime:
    if job.schedule_type == Schedule.DAILY and job.at is not None:
        candidate = dt.datetime.combine(now.date(), job.at, tzinfo=dt.UTC)
        return candidate if candidate > now else candidate + dt.timedelta(days=1)
    return now.replace(second=0, microsecond=0) + dt.timedelta(minutes=1)


def schedules_install() -> list[Schedule]:
    """Create or update one django-q schedule per periodic job; remove ours that left the list."""
    now = timezone.now()
    installed = []
    with transaction.atomic():
        for job in PERIODIC_JOBS:
            schedule, created = Schedule.objects.update_or_create(
                name=job.schedule_name,
                defaults={
                    "func": RUNNER,
                    "args": repr((job.name,)),
                    "kwargs": "",
                    "schedule_type": job.schedule_type,
                    "minutes": job.minutes,
                    "repeats": -1,
                    "intended_date_kwarg": "scheduled_for",
                },
            )
            if created or schedule.next_run is None or schedule.next_run < now:
                schedule.next_run = _first_run(job, now)
                schedule.save(update_fields=["next_run"])
            installed.append(schedule)
        stale = Schedule.objects.filter(name__startswith=SCHEDULE_PREFIX).exclude(
            name__in=[job.schedule_name for job in PERIODIC_JOBS]
        )
        stale.delete()
    return installed


def periodic_job_run(name: str, *, scheduled_for: dt.datetime, lease: dt.timedelta) -> str:
    """Run one due time of a periodic job at most once (see `JobRun`).

    A claim older than `lease` (longer than the worker timeout) is considered dead and may be
    taken over; a finished run is never repeated. Returns what happened, for the task result.
    """
    job = periodic_job_by_name(name)
    run, _ = JobRun.objects.get_or_create(job=name, scheduled_for=scheduled_for)
    now = timezone.now()
    claimed = (
        JobRun.objects.filter(pk=run.pk, finished_at__isnull=True)
        .filter(Q(claimed_at__isnull=True) | Q(claimed_at__lt=now - lease))
        .update(claimed_at=now, attempts=run.attempts + 1)
    )
    if not claimed:
        return f"{name} @ {scheduled_for.isoformat()}: already claimed or done"
    outcome = import_string(job.func)()
    JobRun.objects.filter(pk=run.pk).update(
        finished_at=timezone.now(), outcome=str(outcome or "done")[:2000]
    )
    return f"{name} @ {scheduled_for.isoformat()}: {outcome or 'done'}"
