"""The CRM property sync's periodic job (listed in jobs.scheduling.PERIODIC_JOBS)."""

from __future__ import annotations


def crm_property_sync_nightly() -> str:
    """Queue a CRM property sync for every organisation with HubSpot connected and properties
    chosen (one task each, so one organisation's failure or size does not hold up others)."""
    from django_q.tasks import async_task

    from sync.crm_properties.runs import crm_organizations_to_sync

    organization_ids = crm_organizations_to_sync()
    for organization_id in organization_ids:
        async_task(
            "sync.crm_properties.tasks.organization_crm_property_sync",
            organization_id,
            task_name=f"crm-sync-nightly-{organization_id}",
        )
    return f"{len(organization_ids)} organisations queued"
