"""django-q2 entry points of the webinar sync: thin wrappers that take ids and call one service."""

from __future__ import annotations


def organization_webinars_sync(organization_id: int, trigger: str = "nightly") -> str:
    from accounts.models import Organization
    from sync.webinars.discovery import organization_webinars_refresh

    organization = Organization.objects.get(pk=organization_id)
    return organization_webinars_refresh(organization=organization, trigger=trigger)
