"""django-q2 entry points of the CRM property sync: thin wrappers that take ids."""

from __future__ import annotations


def organization_crm_property_sync(organization_id: int, trigger: str = "nightly") -> str:
    from accounts.models import Organization
    from sync.crm_properties.runs import crm_property_sync

    organization = Organization.objects.filter(pk=organization_id).first()
    if organization is None:
        return f"organisation {organization_id} is gone"
    run = crm_property_sync(organization, trigger)
    if run is None:
        return f"organisation {organization_id}: a CRM sync is already running"
    return f"CRM sync run {run.pk}: {run.status}"


def crm_sync_run(run_id: int) -> str:
    from sync.crm_properties.execution import crm_sync_run_execute

    return crm_sync_run_execute(run_id)
