"""Handing tasks to django-q2: the lease every claim is measured by, and one enqueue that is
correct for both brokers."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django_q.models import Schedule
from django_q.tasks import async_task


def task_lease() -> dt.timedelta:
    """How long a claim by a running task stays valid.

    django-q2 kills a task after `timeout` seconds, so a claim older than that (plus a margin for
    the kill) belongs to a dead worker and may be taken over. The ORM broker hands a task out
    again only after `retry` (> timeout) seconds, so a redelivered copy finds the claim expired.
    """
    return dt.timedelta(seconds=settings.Q_CLUSTER["timeout"] + 15)


def task_enqueue(func: str, *args, name: str, not_before: dt.datetime | None = None) -> None:
    """Queue `func(*args)` now, or as a one-off schedule at `not_before`.

    ORM broker: the queue row is written inside the caller's transaction, so it commits or rolls
    back with the data. Redis: the queue is outside the database, so the task is sent once the
    transaction has committed (a worker must not look for rows that are not visible yet, and a
    rollback must not leave a task behind). A delayed task is a schedule row either way.
    """
    if not_before is not None and not_before > timezone.now():
        Schedule.objects.create(
            name=f"{name}@{int(not_before.timestamp())}",
            func=func,
            args=repr(args),
            schedule_type=Schedule.ONCE,
            repeats=1,
            next_run=not_before,
        )
        return
    if settings.Q_BROKER == "redis":
        transaction.on_commit(lambda: async_task(func, *args, task_name=name))
    else:
        async_task(func, *args, task_name=name)
