"""Starting CRM property sync runs: the manual "Sync with HubSpot" button and the nightly job.

One run at a time per organisation: a run is created only under a lock on the organisation's
settings row, after checking that none is running, so concurrent clicks (or a click during the
nightly run) start one run. A manual sync is possible at most every `MANUAL_SYNC_INTERVAL`,
counted from the start of the last manual run; the refusal says how long to wait.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone

from accounts.models import Organization
from sync.crm_properties.execution import RUN_TASK, crm_sync_run_execute
from sync.crm_properties.properties import CrmSyncUnavailableError, hubspot_connection
from sync.models import CrmSyncRun, CrmSyncSettings

MANUAL_SYNC_INTERVAL = dt.timedelta(hours=2)
# A run still "running" after this long lost its worker for good (django-q2 redelivers a task
# whose worker died within minutes, and a run re-queues itself every few minutes).
ABANDONED_AFTER = dt.timedelta(hours=6)


@dataclass(frozen=True)
class ManualSyncState:
    """Whether "Sync with HubSpot" may start now, and if not why and for how long."""

    allowed: bool
    message: str
    running: CrmSyncRun | None = None
    wait: dt.timedelta = dt.timedelta(0)


@dataclass(frozen=True)
class ManualSyncOutcome:
    started: bool
    message: str
    run: CrmSyncRun | None = None


def duration_text(wait: dt.timedelta) -> str:
    """`1 h 12 min`, `35 min`, `2 h`: whole minutes, rounded up (never "0 min" while waiting)."""
    minutes = max(1, math.ceil(wait.total_seconds() / 60))
    hours, minutes = divmod(minutes, 60)
    if not hours:
        return f"{minutes} min"
    return f"{hours} h {minutes} min" if minutes else f"{hours} h"


def _running_run(organization_id: int, now: dt.datetime) -> CrmSyncRun | None:
    """The organisation's running run; one older than ABANDONED_AFTER is closed as failed."""
    running = CrmSyncRun.objects.filter(
        organization_id=organization_id, status=CrmSyncRun.Status.RUNNING
    )
    running.filter(started_at__lt=now - ABANDONED_AFTER).update(
        status=CrmSyncRun.Status.FAILED,
        finished_at=now,
        error="Abandoned: the worker running it stopped.",
    )
    return running.order_by("-started_at", "-pk").first()


def crm_manual_sync_state(*, organization: Organization, now=None) -> ManualSyncState:
    """Can a manual sync start now? For the admin page and the request below.

    Writes only to close a run abandoned by its worker (see ABANDONED_AFTER).
    """
    now = now or timezone.now()
    running = _running_run(organization.pk, now)
    last = (
        CrmSyncRun.objects.filter(organization=organization, trigger=CrmSyncRun.Trigger.MANUAL)
        .order_by("-started_at", "-pk")
        .first()
    )
    wait = dt.timedelta(0)
    if last is not None and last.started_at + MANUAL_SYNC_INTERVAL > now:
        wait = last.started_at + MANUAL_SYNC_INTERVAL - now
    parts = []
    if running is not None:
        started = timezone.localtime(running.started_at)
        parts.append(f"A sync with HubSpot is running (started {started:%Y-%m-%d %H:%M}).")
    if wait:
        parts.append(f"Next manual sync possible in {duration_text(wait)}.")
    elif running is not None:
        parts.append("A manual sync is possible once it has finished.")
    if parts:
        return ManualSyncState(False, " ".join(parts), running=running, wait=wait)
    return ManualSyncState(True, "A manual sync is possible now.")


def crm_manual_sync_request(*, organization: Organization, user) -> ManualSyncOutcome:
    """ "Sync with HubSpot": start a manual run and queue it, or say why not (and how long).

    Refused without an active HubSpot connection or chosen properties, while a sync runs, and
    within two hours of the last manual sync. Concurrent requests queue one run: the settings
    row is locked while deciding.
    """
    try:
        hubspot_connection(organization)
    except CrmSyncUnavailableError as error:
        return ManualSyncOutcome(False, str(error))
    from django_q.tasks import async_task

    with transaction.atomic():
        settings = (
            CrmSyncSettings.objects.select_for_update().filter(organization=organization).first()
        )
        if settings is None or not (settings.contact_properties or settings.company_properties):
            return ManualSyncOutcome(
                False, "Choose the contact or company properties to sync and save them first."
            )
        state = crm_manual_sync_state(organization=organization)
        if not state.allowed:
            return ManualSyncOutcome(False, state.message, state.running)
        run = CrmSyncRun.objects.create(
            organization=organization,
            trigger=CrmSyncRun.Trigger.MANUAL,
            requested_by=user if user is not None and user.is_authenticated else None,
        )
        # With the ORM broker the task row commits with the run row (or neither does).
        async_task(RUN_TASK, run.pk, task_name=f"crm-sync-{run.pk}")
    return ManualSyncOutcome(True, "Sync with HubSpot started.", run)


def crm_sync_start(*, organization: Organization, trigger: str, user=None) -> CrmSyncRun | None:
    """Create a running run unless one is running already (then None). Does not execute it."""
    with transaction.atomic():
        CrmSyncSettings.objects.select_for_update().filter(organization=organization).first()
        if _running_run(organization.pk, timezone.now()) is not None:
            return None
        return CrmSyncRun.objects.create(
            organization=organization,
            trigger=trigger,
            requested_by=user if user is not None and user.is_authenticated else None,
        )


def crm_property_sync(organization: Organization, trigger: str, user=None) -> CrmSyncRun | None:
    """Sync the organisation's chosen properties now, in this process; returns the run (None
    when another run is in progress). The nightly task calls this."""
    run = crm_sync_start(organization=organization, trigger=trigger, user=user)
    if run is None:
        return None
    crm_sync_run_execute(run.pk)
    run.refresh_from_db()
    return run


def crm_organizations_to_sync() -> list[int]:
    """Organisations with an active HubSpot connection and at least one chosen property."""
    from connectors.models import Connection, ConnectionStatus

    connected = Connection.objects.filter(
        provider="hubspot", status=ConnectionStatus.ACTIVE
    ).values("organization_id")
    configured = CrmSyncSettings.objects.filter(organization_id__in=connected).exclude(
        contact_properties=[], company_properties=[]
    )
    return sorted(configured.values_list("organization_id", flat=True))
