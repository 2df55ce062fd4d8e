"""Bodies of the periodic jobs listed in `sync.scheduling.PERIODIC_JOBS`."""

from __future__ import annotations

from django.utils import timezone

from sync.models import WorkerHeartbeat


def worker_heartbeat() -> str:
    WorkerHeartbeat.objects.update_or_create(name="qcluster", defaults={"beat_at": timezone.now()})
    return "beat"


def webinars_nightly() -> str:
    """Queue a webinar refresh for every organisation with an active Zoom connection."""
    from django_q.tasks import async_task

    from connectors.installations import connected_organization_ids

    organization_ids = connected_organization_ids(provider="zoom")
    for organization_id in organization_ids:
        async_task("sync.tasks.organization_webinars_sync", organization_id, "nightly")
    return f"{len(organization_ids)} organisations queued"


def crm_property_sync_nightly() -> str:
    """Queue a CRM property sync for every organisation with HubSpot connected and properties
    chosen (one task each, so one organisation's failure or size does not hold up others)."""
    from django_q.tasks import async_task

    from sync.crm.runs import crm_organizations_to_sync

    organization_ids = crm_organizations_to_sync()
    for organization_id in organization_ids:
        async_task(
            "sync.tasks.organization_crm_property_sync",
            organization_id,
            task_name=f"crm-sync-nightly-{organization_id}",
        )
    return f"{len(organization_ids)} organisations queued"


def stale_runs_requeue() -> str:
    """Queue again the sync runs whose worker died (claim expired, still "running")."""
    from django.utils import timezone

    from sync.activities.runs import run_enqueue as activity_run_enqueue
    from sync.models import ActivitySyncRun, SyncRun
    from sync.scheduling import task_lease
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
