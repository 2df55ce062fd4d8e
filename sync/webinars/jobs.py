"""The webinar sync's periodic jobs (listed in jobs.scheduling.PERIODIC_JOBS)."""

from __future__ import annotations


def webinars_nightly() -> str:
    """Queue a webinar refresh for every organisation with an active Zoom connection."""
    from connectors.installations import connected_organization_ids
    from jobs.queue import task_enqueue

    organization_ids = connected_organization_ids(provider="zoom")
    for organization_id in organization_ids:
        task_enqueue(
            "sync.webinars.tasks.organization_webinars_sync",
            organization_id,
            "nightly",
            name=f"webinar-discovery-{organization_id}",
        )
    return f"{len(organization_ids)} organisations queued"
