"""django-q2 task entry points: thin wrappers that take ids and call one service."""

from __future__ import annotations

from django.utils.dateparse import parse_datetime

from sync.scheduling import periodic_job_run, task_lease


def run_periodic_job(name: str, *, scheduled_for: str) -> str:
    return periodic_job_run(name, scheduled_for=parse_datetime(scheduled_for), lease=task_lease())


def webinar_sync(run_id: int) -> str:
    from sync.webinars.execution import webinar_sync_execute

    return webinar_sync_execute(run_id)


def organization_webinars_sync(organization_id: int, trigger: str = "nightly") -> str:
    from accounts.models import Organization
    from sync.webinars.discovery import organization_webinars_refresh

    organization = Organization.objects.get(pk=organization_id)
    return organization_webinars_refresh(organization=organization, trigger=trigger)


def organization_crm_property_sync(organization_id: int, trigger: str = "nightly") -> str:
    from accounts.models import Organization
    from sync.crm.runs import crm_property_sync

    organization = Organization.objects.filter(pk=organization_id).first()
    if organization is None:
        return f"organisation {organization_id} is gone"
    run = crm_property_sync(organization, trigger)
    if run is None:
        return f"organisation {organization_id}: a CRM sync is already running"
    return f"CRM sync run {run.pk}: {run.status}"


def crm_sync_run(run_id: int) -> str:
    from sync.crm.execution import crm_sync_run_execute

    return crm_sync_run_execute(run_id)


def activity_sync_run(run_id: int) -> str:
    from sync.activities.execution import activity_sync_execute

    return activity_sync_execute(run_id)
