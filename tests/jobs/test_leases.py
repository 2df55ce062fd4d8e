"""Claims and leases: a worker that dies never strands a run or a booking's CRM work.

django-q2 hands a task out again `retry` seconds after delivery; a claim is taken over once it is
older than the worker `timeout` (plus a margin), so the redelivered copy always wins over a dead
claim, and a copy that finds a live claim looks again later instead of being lost.
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.conf import settings
from django.utils import timezone
from django_q.models import OrmQ, Schedule

from jobs.scheduling import task_lease
from jobs.sweeper import stale_runs_requeue
from meetings.crm import bookings_stuck_requeue
from meetings.models import WorkState
from sync.models import ActivitySyncRun, SyncRun
from sync.webinars.execution import webinar_sync_execute
from sync.webinars.runs import webinar_sync_request
from tests.meetings.factories import booking_make
from tests.sync.factories import run_make, webinar_make

pytestmark = pytest.mark.django_db


def test_the_lease_outlives_the_timeout_and_ends_before_redelivery():
    lease = task_lease().total_seconds()
    assert settings.Q_CLUSTER["timeout"] < lease < settings.Q_CLUSTER["retry"]


def test_a_redelivered_task_takes_over_a_dead_claim(org_a):
    # The dead worker claimed the run a moment after the broker handed it out; the broker
    # redelivers `retry` seconds after that hand-out.
    handed_out = timezone.now() - dt.timedelta(seconds=settings.Q_CLUSTER["retry"])
    run = run_make(
        webinar_make(org_a),
        status=SyncRun.Status.RUNNING,
        started_at=handed_out + dt.timedelta(seconds=2),
        attempts=1,
    )
    webinar_sync_execute(run.pk)
    run.refresh_from_db()
    assert run.attempts == 2
    assert run.status == SyncRun.Status.SKIPPED  # sync is off for org_a: the audit says so


def test_a_copy_finding_a_live_claim_checks_again_when_it_expires(org_a):
    started = timezone.now() - dt.timedelta(seconds=10)
    run = run_make(
        webinar_make(org_a), status=SyncRun.Status.RUNNING, started_at=started, attempts=1
    )
    assert "checking again" in webinar_sync_execute(run.pk)
    later = Schedule.objects.get(func="sync.webinars.tasks.webinar_sync")
    assert later.args == repr((run.pk,))
    assert later.next_run >= started + task_lease()
    run.refresh_from_db()
    assert run.attempts == 1 and run.status == SyncRun.Status.RUNNING


def test_a_request_joining_a_dead_run_delivers_it_again(org_a):
    webinar = webinar_make(org_a)
    dead = run_make(
        webinar,
        status=SyncRun.Status.RUNNING,
        started_at=timezone.now() - task_lease() - dt.timedelta(minutes=1),
        attempts=1,
    )
    queued = OrmQ.objects.count()
    assert webinar_sync_request(webinar=webinar, trigger=SyncRun.Trigger.MANUAL) == dead
    assert OrmQ.objects.count() == queued + 1


def test_the_sweeper_requeues_dead_runs_only(org_a):
    webinar = webinar_make(org_a)
    run_make(
        webinar,
        status=SyncRun.Status.RUNNING,
        started_at=timezone.now() - task_lease() - dt.timedelta(minutes=1),
    )
    run_make(webinar, status=SyncRun.Status.RUNNING, started_at=timezone.now())
    assert stale_runs_requeue() == "1 stale runs queued again"


def test_one_activity_run_per_organisation_at_a_time(org_a):
    from sync.activities.execution import activity_sync_execute

    live = ActivitySyncRun.objects.create(
        organization=org_a,
        trigger=ActivitySyncRun.Trigger.SCHEDULE,
        status=ActivitySyncRun.Status.RUNNING,
        started_at=timezone.now(),
        attempts=1,
    )
    second = ActivitySyncRun.objects.create(
        organization=org_a, trigger=ActivitySyncRun.Trigger.SCHEDULE
    )
    assert "another run is live" in activity_sync_execute(second.pk)
    second.refresh_from_db()
    assert second.status == ActivitySyncRun.Status.QUEUED and second.attempts == 0
    later = Schedule.objects.get(func="sync.activities.tasks.activity_sync_run")
    assert later.next_run >= live.started_at + task_lease()


def test_booking_work_left_by_a_dead_worker_is_queued_again(org_a):
    booking = booking_make(org_a)
    type(booking).objects.filter(pk=booking.pk).update(
        hubspot_state=WorkState.PENDING,
        crm_claimed_until=timezone.now() - dt.timedelta(minutes=1),
        updated_at=timezone.now() - dt.timedelta(minutes=10),
    )
    queued = OrmQ.objects.count()
    assert bookings_stuck_requeue() == "1 bookings queued again"
    assert OrmQ.objects.count() == queued + 1
