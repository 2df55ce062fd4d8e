"""django-q2 entry points of the activity sync: thin wrappers that take ids."""

from __future__ import annotations


def activity_sync_run(run_id: int) -> str:
    from sync.activities.execution import activity_sync_execute

    return activity_sync_execute(run_id)
