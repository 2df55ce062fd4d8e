"""django-q2 entry points of the lifecycle itself: thin wrappers that take names and ids."""

from __future__ import annotations

from django.utils.dateparse import parse_datetime

from jobs.scheduling import periodic_job_run, task_lease


def run_periodic_job(name: str, *, scheduled_for: str) -> str:
    return periodic_job_run(name, scheduled_for=parse_datetime(scheduled_for), lease=task_lease())
