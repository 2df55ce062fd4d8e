"""Finding the organisation's Zoom users and webinars, and deciding which webinars to sync."""

from __future__ import annotations

import datetime as dt

from django.db.models import Q
from django.utils import timezone

from connectors.errors import ConnectionUnavailableError
from connectors.installations import installation_get
from sync.models import SyncRun, Webinar
from sync.webinars.runs import webinar_sync_request
from sync.webinars.zoom_reading import webinars_discover, zoom_users_refresh

#: Ended webinars keep being synced for this long (late reports, recordings, late edits).
RECENT = dt.timedelta(days=30)


def organization_webinars_refresh(*, organization, trigger: str = SyncRun.Trigger.NIGHTLY) -> str:
    """Mirror Zoom users and webinars, then request a run for each webinar worth syncing.

    Runs are requested even when sync is off: each one then records that it was skipped and why,
    which is what the audit log shows. Zoom calls are recorded with the context
    `webinar-discovery:<organisation pk>`. Returns a one-line summary (why not, when Zoom is not
    connected).
    """
    try:
        installation = installation_get(organization_id=organization.pk, provider="zoom")
    except ConnectionUnavailableError as unavailable:
        return unavailable.message
    zoom = installation.client(context=f"webinar-discovery:{organization.pk}")
    users = zoom_users_refresh(organization=organization, client=zoom)
    webinars_discover(organization=organization, client=zoom, users=users)
    requested = 0
    for webinar in webinars_to_sync(organization):
        webinar_sync_request(webinar=webinar, trigger=trigger)
        requested += 1
    return f"{len(users)} Zoom users, {requested} webinar runs requested"


def webinars_to_sync(organization):
    """Sync-enabled, supported webinars that are upcoming, recently held, or never synced."""
    recent = timezone.now() - RECENT
    return Webinar.objects.filter(
        Q(start_time__gte=recent) | Q(last_synced_at__isnull=True),
        organization=organization,
        sync_enabled=True,
        is_zoom_events=False,
    )
