"""Asking for a sync of a webinar: the nightly schedule, "Sync now", Zoom webhooks and the
workflow action all come here. A request while a run of the same webinar is queued is absorbed by
it; one while a run is running asks for a follow-up run (the lifecycle's coalescing rules)."""

from __future__ import annotations

import datetime as dt

from accounts.models import Organization
from jobs.lifecycle import run_request
from sync.models import SyncRun, Webinar, ZoomUser


def webinar_ensure(
    *, organization: Organization, zoom_webinar_id: str, host_zoom_user_id: str | None = None
) -> Webinar:
    """The ledger's Webinar row for a Zoom webinar id, created on first sight.

    A new webinar's "Sync?" starts from its host's "newly scheduled webinars" default.
    """
    host = None
    if host_zoom_user_id:
        host, _ = ZoomUser.objects.get_or_create(
            organization=organization, zoom_user_id=host_zoom_user_id
        )
    webinar, created = Webinar.objects.get_or_create(
        organization=organization,
        zoom_webinar_id=str(zoom_webinar_id),
        defaults={"host": host, "sync_enabled": host.sync_new_webinars if host else True},
    )
    if not created and host is not None and webinar.host_id is None:
        webinar.host = host
        webinar.save(update_fields=["host"])
    return webinar


def webinar_sync_request(
    *,
    webinar: Webinar,
    trigger: str,
    user=None,
    not_before: dt.datetime | None = None,
) -> SyncRun:
    """Queue a sync of `webinar`, or join the one already queued or running (jobs.lifecycle).

    `not_before` delays the run (Zoom publishes participant reports some time after a webinar
    ends): a delayed run is its own. Returns the run that will do the work.
    """
    from sync.webinars.execution import WebinarSync

    return run_request(
        WebinarSync,
        organization_id=webinar.organization_id,
        trigger=trigger,
        user=user,
        not_before=not_before,
        webinar=webinar,
    )
