"""The stale-run sweeper: queue again the runs whose worker died."""

from __future__ import annotations

from django.utils import timezone


def stale_runs_requeue() -> str:
    """Queue again the sync runs whose worker died (claim expired, still "running")."""
    from jobs.scheduling import task_lease
    from sync.activities.runs import run_enqueue as activity_run_enqueue
    from sync.models import ActivitySyncRun, SyncRun
    from sync.webinars.runs import run_enqueue as webinar_run_enqueue

    expired = timezone.now() - task_lease()
    count = 0
    for model, enqueue in (
        (SyncRun, webinar_run_enqueue),
        (ActivitySyncRun, activity_run_enqueue),
    ):
        for run in model.objects.filter(status="running", started_at__lt=expired)[:200]:
            enqueue(run, None)
            count += 1
    return f"{count} stale runs queued again"
