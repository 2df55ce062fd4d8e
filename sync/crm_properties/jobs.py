"""The CRM property sync's periodic job (listed in jobs.scheduling.PERIODIC_JOBS)."""

from __future__ import annotations

from accounts.models import Organization
from sync.crm_properties.runs import crm_organizations_to_sync, crm_sync_request
from sync.models import CrmSyncRun


def crm_property_sync_nightly() -> str:
    """Queue a CRM property sync for every organisation with HubSpot connected and properties
    chosen (a run each, so one organisation's failure or size does not hold up others)."""
    organization_ids = crm_organizations_to_sync()
    for organization in Organization.objects.filter(pk__in=organization_ids):
        crm_sync_request(organization=organization, trigger=CrmSyncRun.Trigger.NIGHTLY)
    return f"{len(organization_ids)} organisations queued"
