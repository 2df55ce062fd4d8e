"""django-q2 entry points of the lifecycle: thin wrappers that take names and ids."""

from __future__ import annotations

from django.utils.dateparse import parse_datetime

from jobs.queue import task_lease
from jobs.scheduling import periodic_job_run


def run_periodic_job(name: str, *, scheduled_for: str) -> str:
    return periodic_job_run(name, scheduled_for=parse_datetime(scheduled_for), lease=task_lease())


def run_execute(kind: str, run_id: int) -> str:
    """One delivery of a background run of any kind (see jobs.registry.RUN_KINDS)."""
    from jobs.lifecycle import run_execute as execute
    from jobs.registry import run_kind

    return execute(run_kind(kind), run_id)
