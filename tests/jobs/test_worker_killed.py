"""A worker killed in the middle of a webinar sync: the redelivered run converges, exactly."""

from __future__ import annotations

import os
import signal

import pytest
from django.db import connection as db

from connectors.demo import sandbox_connect
from sync.models import Attendance, ContactSyncState, SyncRun, WebinarSyncSettings
from sync.webinars.runs import webinar_ensure, webinar_sync_request
from tests.workers import manage_start, process_stop, wait_until

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]

REGISTRANTS, ATTENDEES = 600, 400
# Short worker timings so that the dead worker's task is handed out again within the test.
WORKER_ENV = {"Q_TIMEOUT": "20", "Q_RETRY": "25"}


def test_killed_worker_run_is_redelivered_and_converges_without_duplicates(
    sandbox, http_sandbox, org_a, manager_a, tmp_path
):
    if db.vendor != "postgresql":
        pytest.skip("real-worker tests run on PostgreSQL (DATABASE_URL=postgres://...)")
    zoom, hubspot = sandbox.fakes["zoom"], sandbox.fakes["hubspot"]
    summary = zoom.seed(bench_registrants=REGISTRANTS, bench_attendees=ATTENDEES)
    for key in ("zoom", "hubspot"):
        sandbox_connect(organization=org_a, user=manager_a, provider_key=key)
    WebinarSyncSettings.objects.create(organization=org_a, sync_enabled=True)
    webinar = webinar_ensure(
        organization=org_a, zoom_webinar_id=str(summary["demo"]["bench_webinar_id"])
    )
    hubspot.latency_ms = 150  # slow enough to kill the worker between two batches
    run = webinar_sync_request(webinar=webinar, trigger=SyncRun.Trigger.MANUAL)

    env = {"SANDBOX_URL": http_sandbox, **WORKER_ENV}
    first = manage_start("qcluster", log=tmp_path / "first.log", **env)
    try:
        started = wait_until(lambda: len(hubspot.objects["contacts"]) >= 100, timeout=60)
        assert started, (tmp_path / "first.log").read_text()
        os.killpg(first.pid, signal.SIGKILL)  # the whole cluster dies mid-run
        first.wait()
    finally:
        process_stop(first)
    run.refresh_from_db()
    assert run.status == SyncRun.Status.RUNNING
    assert len(hubspot.objects["contacts"]) < REGISTRANTS

    hubspot.latency_ms = 0
    second = manage_start("qcluster", log=tmp_path / "second.log", **env)
    try:
        finished = wait_until(
            lambda: (
                SyncRun.objects.get(pk=run.pk).status
                in (SyncRun.Status.SUCCEEDED, SyncRun.Status.PARTIAL)
            ),
            timeout=120,
            interval=1,
        )
        assert finished, (tmp_path / "second.log").read_text()
    finally:
        process_stop(second)

    run.refresh_from_db()
    assert run.attempts == 2
    emails = [r.value("email") for r in hubspot.objects["contacts"].values() if not r.archived]
    assert len(emails) == len(set(emails))
    registrant_emails = set(
        Attendance.objects.filter(webinar=webinar).values_list("email", flat=True)
    )
    assert registrant_emails <= set(emails)
    assert ContactSyncState.objects.filter(outcome="synced").count() == len(registrant_emails)
    registered = [key for key in hubspot.participations if key[3] == "register"]
    attended = [key for key in hubspot.participations if key[3] == "attend"]
    assert len(registered) == REGISTRANTS and len(attended) == ATTENDEES
