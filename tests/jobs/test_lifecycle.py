"""The one background-run lifecycle: claims and leases, coalescing, and the sweeper that
recovers every kind of run — queued ones whose task is gone, running ones whose worker died.

django-q2 hands a task out again `retry` seconds after delivery; a claim is taken over once it is
older than the worker `timeout` (plus a margin), so a redelivered copy wins over a dead claim,
and a copy that finds a live claim looks again later instead of being lost.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import pytest
from django.conf import settings
from django.utils import timezone
from django.utils.module_loading import import_string
from django_q.models import OrmQ, Schedule
from django_q.signing import SignedPackage

from jobs.lifecycle import EXECUTE_TASK
from jobs.models import RunStatus
from jobs.queue import task_lease
from jobs.registry import RUN_KINDS, run_kind
from jobs.sweeper import runs_recover
from meetings.models import BookingCrmRun
from sync.crm_properties.runs import crm_sync_request
from sync.models import ActivitySyncRun, CrmRecord, CrmSyncRun, CrmSyncSettings, SyncRun
from sync.webinars.execution import webinar_sync_execute
from sync.webinars.runs import webinar_sync_request
from tests.meetings.conftest import booking_world_make
from tests.sync.activities.activities_world import activity_world_make
from tests.sync.factories import run_make, webinar_make
from tests.sync.webinars.webinar_world import world_make

pytestmark = pytest.mark.django_db
LONG_AGO = dt.timedelta(minutes=30)


def queued_tasks_run() -> list[str]:
    """Deliver every task in the ORM queue once, as a worker would; returns their results."""
    results = []
    for row in OrmQ.objects.order_by("id"):
        task = SignedPackage.loads(row.payload)
        row.delete()
        results.append(import_string(task["func"])(*task["args"], **task["kwargs"]))
    return results


def test_the_lease_outlives_the_timeout_and_ends_before_redelivery():
    lease = task_lease().total_seconds()
    assert settings.Q_CLUSTER["timeout"] < lease < settings.Q_CLUSTER["retry"]


def test_every_registered_kind_declares_its_key_and_a_run_model():
    for key in RUN_KINDS:
        body = run_kind(key)
        assert body.key == key
        assert body.model._meta.get_field("status").choices == RunStatus.choices


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
    assert run.status == SyncRun.Status.SUCCEEDED  # sync is off for org_a: the summary says so
    assert run.summary.startswith("Skipped")


def test_a_copy_finding_a_live_claim_checks_again_when_it_expires(org_a):
    started = timezone.now() - dt.timedelta(seconds=10)
    run = run_make(
        webinar_make(org_a), status=SyncRun.Status.RUNNING, started_at=started, attempts=1
    )
    assert "looking again" in webinar_sync_execute(run.pk)
    later = Schedule.objects.get(func=EXECUTE_TASK)
    assert later.args == repr(("webinar-sync", run.pk))
    assert later.next_run >= started + task_lease()
    run.refresh_from_db()
    assert run.attempts == 1 and run.status == SyncRun.Status.RUNNING


def test_an_early_delivery_of_a_delayed_run_waits_for_its_time(org_a):
    due = timezone.now() + dt.timedelta(minutes=10)
    run = run_make(webinar_make(org_a), status=SyncRun.Status.QUEUED, not_before=due)
    webinar_sync_execute(run.pk)
    run.refresh_from_db()
    assert (run.status, run.attempts) == (SyncRun.Status.QUEUED, 0)
    assert Schedule.objects.get(func=EXECUTE_TASK).next_run == due


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


def test_a_request_joining_a_live_queued_run_adds_no_task(org_a):
    webinar = webinar_make(org_a)
    first = webinar_sync_request(webinar=webinar, trigger=SyncRun.Trigger.MANUAL)
    queued = OrmQ.objects.count()
    assert webinar_sync_request(webinar=webinar, trigger=SyncRun.Trigger.WEBHOOK) == first
    assert OrmQ.objects.count() == queued


def test_sync_now_on_a_webinar_whose_queued_run_lost_its_task_starts_real_work(
    sandbox, org_a, manager_a
):
    world = world_make(sandbox, org_a, manager_a)
    webinar = world.webinar()
    dead = run_make(webinar, status=SyncRun.Status.QUEUED, trigger=SyncRun.Trigger.NIGHTLY)
    SyncRun.objects.filter(pk=dead.pk).update(enqueued_at=timezone.now() - LONG_AGO)
    assert not OrmQ.objects.exists()  # its task is gone (a broker restart, a deleted row)

    assert webinar_sync_request(webinar=webinar, trigger=SyncRun.Trigger.MANUAL) == dead
    queued_tasks_run()

    dead.refresh_from_db()
    assert dead.status in (SyncRun.Status.SUCCEEDED, SyncRun.Status.PARTIAL)
    assert dead.contacts_created > 0
    assert world.hubspot_contact(webinar.attendances.first().email) is not None


# --- the sweeper, for every kind of run ---------------------------------------------------------
@dataclass
class KindWorld:
    """One organisation set up so that a run of the kind has real work to do."""

    model: Any
    make_run: Any  # () -> a queued run (its task already queued)
    effects: Any  # () -> a comparable snapshot of what the run wrote at the vendor / locally


def webinar_kind(sandbox, org, user) -> KindWorld:
    world = world_make(sandbox, org, user)
    webinar = world.webinar()
    return KindWorld(
        SyncRun,
        lambda: webinar_sync_request(webinar=webinar, trigger=SyncRun.Trigger.NIGHTLY),
        lambda: sorted(
            r.properties.get("email", "") for r in world.hubspot.objects["contacts"].values()
        ),
    )


def activity_kind(sandbox, org, user) -> KindWorld:
    world = activity_world_make(sandbox, org, user)
    world.enable(salesforce_tasks=True)
    world.sf_task(Subject="Recovered once")
    return KindWorld(
        ActivitySyncRun,
        lambda: world.sync_request(),
        lambda: sorted(task.properties.get("hs_task_subject", "") for task in world.hs_tasks()),
    )


def crm_kind(sandbox, org, user) -> KindWorld:
    from connectors.demo import sandbox_connect

    fake = sandbox.fakes["hubspot"]
    sandbox_connect(organization=org, user=user, provider_key="hubspot")
    fake.record_create("contacts", {"email": "routing@acme.example"})
    CrmSyncSettings.objects.create(organization=org, contact_properties=["lifecyclestage"])
    return KindWorld(
        CrmSyncRun,
        lambda: crm_sync_request(organization=org, trigger=CrmSyncRun.Trigger.NIGHTLY),
        lambda: sorted(CrmRecord.objects.filter(organization=org).values_list("email", flat=True)),
    )


def booking_kind(sandbox, org, user) -> KindWorld:
    world = booking_world_make(sandbox, org, user)
    booking = world.book()
    return KindWorld(
        BookingCrmRun,
        lambda: BookingCrmRun.objects.get(booking=booking),
        lambda: [
            *(f"zoom {meeting_id}" for meeting_id in sorted(world.zoom.meetings)),
            *(f"hubspot {m.id}" for m in sorted(world.hubspot_meetings(), key=lambda m: m.id)),
        ],
    )


KIND_WORLDS = {
    "booking-crm": booking_kind,
    "webinar-sync": webinar_kind,
    "activity-sync": activity_kind,
    "crm-property-sync": crm_kind,
}


def test_every_registered_kind_has_a_recovery_test():
    assert set(KIND_WORLDS) == set(RUN_KINDS)


@pytest.mark.parametrize("kind", sorted(KIND_WORLDS))
@pytest.mark.parametrize("stranded", ["queued, task lost", "running, worker died"])
def test_the_sweeper_recovers_a_stranded_run_which_then_finishes_once(
    kind, stranded, sandbox, org_a, manager_a
):
    world = KIND_WORLDS[kind](sandbox, org_a, manager_a)
    run = world.make_run()
    OrmQ.objects.all().delete()  # the task is gone
    if stranded.startswith("queued"):
        world.model.objects.filter(pk=run.pk).update(enqueued_at=timezone.now() - LONG_AGO)
    else:
        world.model.objects.filter(pk=run.pk).update(
            status=RunStatus.RUNNING, started_at=timezone.now() - LONG_AGO, attempts=1
        )

    assert f"{kind} 1" in runs_recover()
    assert runs_recover() == runs_recover()  # a second sweep right after finds it queued anew
    queued_tasks_run()

    run.refresh_from_db()
    assert run.status in (RunStatus.SUCCEEDED, RunStatus.PARTIAL), run.summary
    written = world.effects()
    assert written  # real work was done

    # A late duplicate delivery of the same task changes nothing.
    from jobs.tasks import run_execute

    assert "already done" in run_execute(kind, run.pk)
    assert world.effects() == written


def test_the_sweeper_leaves_live_and_finished_runs_alone(org_a):
    webinar = webinar_make(org_a)
    run_make(webinar, status=SyncRun.Status.RUNNING, started_at=timezone.now())
    queued = run_make(webinar, status=SyncRun.Status.QUEUED)
    SyncRun.objects.filter(pk=queued.pk).update(enqueued_at=timezone.now())
    run_make(webinar, status=SyncRun.Status.QUEUED, not_before=timezone.now() + LONG_AGO)
    run_make(webinar, status=SyncRun.Status.FAILED, started_at=timezone.now() - LONG_AGO)
    assert "webinar-sync 0" in runs_recover()
    assert not OrmQ.objects.exists()


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
    assert "not claimable now" in activity_sync_execute(second.pk)
    second.refresh_from_db()
    assert second.status == ActivitySyncRun.Status.QUEUED and second.attempts == 0
    later = Schedule.objects.get(func=EXECUTE_TASK)
    assert later.next_run >= live.started_at + task_lease()
