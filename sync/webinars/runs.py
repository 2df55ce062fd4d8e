"""Runs: asking for a sync of a webinar (coalesced), and executing one (idempotent).

Three things trigger a run: the nightly schedule, the "Sync now" button and Zoom webhooks. A
request while a run of the same webinar is queued is absorbed by it; a request while one is
running marks it `rerun_requested`, and a follow-up run is queued when it finishes. Execution
is at-least-once (django-q2 redelivers a task whose worker died), and every effect is
idempotent, so a redelivered run converges on the same result.
"""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from accounts.models import Organization
from jobs.claims import claim_expired, task_enqueue
from sync.models import SyncRun, Webinar, ZoomUser

RUN_TASK = "sync.webinars.tasks.webinar_sync"
OPEN_STATUSES = (SyncRun.Status.QUEUED, SyncRun.Status.RUNNING)


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
    """Queue a sync of `webinar`, or join the one already queued or running.

    `not_before` delays the run (Zoom publishes participant reports some time after a webinar
    ends). Returns the run that will do the work.
    """
    with transaction.atomic():
        # Lock the webinar row so that two simultaneous requests agree on one run.
        Webinar.objects.select_for_update().get(pk=webinar.pk)
        # Delayed runs have a job of their own (a report that is not there yet): only an
        # immediate request joins an open immediate run.
        open_run = (
            SyncRun.objects.filter(webinar=webinar, status__in=OPEN_STATUSES)
            .filter(Q(not_before__isnull=True) | Q(not_before__lte=timezone.now()))
            .order_by("created_at")
            .first()
        )
        if open_run is not None and not_before is None:
            if open_run.status == SyncRun.Status.RUNNING and not open_run.rerun_requested:
                open_run.rerun_requested = True
                open_run.save(update_fields=["rerun_requested"])
            if claim_expired(open_run):
                run_enqueue(open_run, None)  # its worker died: this delivery takes over
            return open_run
        run = SyncRun.objects.create(
            organization_id=webinar.organization_id,
            webinar=webinar,
            trigger=trigger,
            not_before=not_before,
            requested_by=user if user is not None and user.is_authenticated else None,
        )
        run_enqueue(run, not_before)
    return run


def run_enqueue(run: SyncRun, not_before: dt.datetime | None) -> None:
    task_enqueue(RUN_TASK, run.pk, name=f"webinar-sync-{run.pk}", not_before=not_before)
