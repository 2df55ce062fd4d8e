"""Real `qcluster` processes against the real database broker (PostgreSQL in CI)."""

from __future__ import annotations

import datetime as dt
import os
import time

import pytest
from django.db import connection, transaction
from django.utils import timezone
from django_q.models import Schedule
from django_q.tasks import async_task

from tests.workers import manage_run, manage_start, process_stop, wait_until

PROBE = "tests.jobs.qcluster_probe.append_line"

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def _postgres_only():
    if connection.vendor != "postgresql":
        pytest.skip("real-worker tests run on PostgreSQL (DATABASE_URL=postgres://...)")


def _lines(path) -> list[str]:
    return path.read_text().splitlines() if path.exists() else []


def test_task_enqueued_in_a_transaction_runs_once_and_a_rolled_back_one_never(tmp_path):
    trace = tmp_path / "trace.txt"
    with transaction.atomic():
        async_task(PROBE, str(trace), "committed")
    with pytest.raises(RuntimeError), transaction.atomic():
        async_task(PROBE, str(trace), "rolled-back")
        raise RuntimeError("abort")

    cluster = manage_start("qcluster", log=tmp_path / "cluster.log")
    try:
        assert wait_until(lambda: _lines(trace), timeout=60), (tmp_path / "cluster.log").read_text()
        time.sleep(3)  # give a duplicate delivery the chance to show up
    finally:
        process_stop(cluster)
    assert _lines(trace) == ["committed"]


def test_two_clusters_run_each_scheduled_job_once_per_due_time(tmp_path):
    trace = tmp_path / "trace.txt"
    due = timezone.now() - dt.timedelta(seconds=5)
    for n in range(4):
        Schedule.objects.create(
            name=f"once-{n}",
            func=PROBE,
            args=repr((str(trace), f"once-{n}")),
            schedule_type=Schedule.ONCE,
            next_run=due,
        )
    Schedule.objects.create(
        name="every-minute",
        func=PROBE,
        args=repr((str(trace), "every-minute")),
        schedule_type=Schedule.MINUTES,
        minutes=1,
        repeats=-1,
        next_run=due,
    )

    # django-q2's sentinel runs the scheduler about every 30 s; both clusters race for it.
    clusters = [manage_start("qcluster", log=tmp_path / f"cluster{n}.log") for n in range(2)]
    try:
        expected = {"once-0", "once-1", "once-2", "once-3", "every-minute"}
        wait_until(lambda: set(_lines(trace)) >= expected, timeout=75, interval=1)
        time.sleep(5)
    finally:
        for cluster in clusters:
            process_stop(cluster)
    lines = _lines(trace)
    assert sorted(lines) == sorted(expected), lines
    assert Schedule.objects.get(name="every-minute").next_run > timezone.now() - dt.timedelta(
        seconds=30
    )


def test_redis_broker_delivers_tasks(tmp_path):
    redis_url = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
    try:
        import redis

        redis.from_url(redis_url, socket_connect_timeout=1).ping()
    except Exception as exc:
        if os.environ.get("CI"):
            raise
        pytest.skip(f"no Redis at {redis_url}: {exc}")
    trace = tmp_path / "trace.txt"
    env = {"Q_BROKER": "redis", "REDIS_URL": redis_url}
    cluster = manage_start("qcluster", log=tmp_path / "cluster.log", **env)
    try:
        manage_run(
            "shell",
            "-c",
            "from django_q.tasks import async_task; "
            f"async_task({PROBE!r}, {str(trace)!r}, 'via-redis')",
            **env,
        )
        assert wait_until(lambda: _lines(trace), timeout=60), (tmp_path / "cluster.log").read_text()
    finally:
        process_stop(cluster)
    assert _lines(trace) == ["via-redis"]
