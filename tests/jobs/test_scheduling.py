from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone
from django_q.models import Schedule

from jobs.models import JobRun, WorkerHeartbeat
from jobs.scheduling import PERIODIC_JOBS, SCHEDULE_PREFIX, periodic_job_run, schedules_install
from jobs.tasks import run_periodic_job

pytestmark = pytest.mark.django_db
LEASE = dt.timedelta(minutes=6)


def test_installing_twice_leaves_one_schedule_per_job():
    schedules_install()
    schedules_install()
    names = list(Schedule.objects.values_list("name", flat=True))
    assert sorted(names) == sorted(job.schedule_name for job in PERIODIC_JOBS)
    for schedule in Schedule.objects.all():
        assert schedule.func == "jobs.tasks.run_periodic_job"
        assert schedule.intended_date_kwarg == "scheduled_for"
        assert schedule.next_run > timezone.now()


def test_install_removes_our_stale_schedules_but_not_others():
    Schedule.objects.create(name=f"{SCHEDULE_PREFIX}retired-job", func="x.y")
    Schedule.objects.create(name="someone-elses", func="x.y")
    schedules_install()
    assert not Schedule.objects.filter(name=f"{SCHEDULE_PREFIX}retired-job").exists()
    assert Schedule.objects.filter(name="someone-elses").exists()


def test_install_keeps_a_future_next_run():
    schedules_install()
    schedule = Schedule.objects.get(name=f"{SCHEDULE_PREFIX}worker-heartbeat")
    later = timezone.now() + dt.timedelta(hours=3)
    Schedule.objects.filter(pk=schedule.pk).update(next_run=later)
    schedules_install()
    schedule.refresh_from_db()
    assert schedule.next_run == later


def test_a_due_time_runs_once_even_when_delivered_twice():
    due = timezone.now().replace(microsecond=0)
    first = run_periodic_job("worker-heartbeat", scheduled_for=due.isoformat())
    beat = WorkerHeartbeat.objects.get().beat_at
    second = run_periodic_job("worker-heartbeat", scheduled_for=due.isoformat())
    assert first.endswith("beat")
    assert "already" in second
    assert WorkerHeartbeat.objects.get().beat_at == beat
    run = JobRun.objects.get()
    assert run.finished_at is not None and run.attempts == 1


def test_a_dead_claim_is_taken_over_after_the_lease():
    due = timezone.now().replace(microsecond=0)
    JobRun.objects.create(
        job="worker-heartbeat", scheduled_for=due, claimed_at=timezone.now() - 2 * LEASE
    )
    assert periodic_job_run("worker-heartbeat", scheduled_for=due, lease=LEASE).endswith("beat")
    assert JobRun.objects.get().attempts == 1


def test_a_live_claim_is_not_run_again():
    due = timezone.now().replace(microsecond=0)
    JobRun.objects.create(job="worker-heartbeat", scheduled_for=due, claimed_at=timezone.now())
    assert "already" in periodic_job_run("worker-heartbeat", scheduled_for=due, lease=LEASE)
    assert not WorkerHeartbeat.objects.exists()


def test_unknown_job_name_raises():
    with pytest.raises(KeyError):
        periodic_job_run("nope", scheduled_for=timezone.now(), lease=LEASE)
