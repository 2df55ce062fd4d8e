"""Starting CRM property sync runs: the manual "Sync with HubSpot" button and the nightly job.

One run at a time per organisation: a request while one is open joins it, and a manual request
is refused while one runs (decided under a lock on the settings row, so concurrent clicks start
one run). A manual sync is possible at most every `MANUAL_SYNC_INTERVAL`,
counted from the start of the last manual run; the refusal says how long to wait.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone

from accounts.models import Organization
from connectors.errors import ConnectionUnavailableError
from connectors.installations import connected_organization_ids, installation_get
from jobs.lifecycle import run_request
from jobs.models import OPEN_STATUSES
from sync.models import CrmSyncRun, CrmSyncSettings

MANUAL_SYNC_INTERVAL = dt.timedelta(hours=2)


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


def _open_run(organization_id: int) -> CrmSyncRun | None:
    return (
        CrmSyncRun.objects.filter(organization_id=organization_id, status__in=OPEN_STATUSES)
        .order_by("-created_at", "-pk")
        .first()
    )


def crm_manual_sync_state(*, organization: Organization, now=None) -> ManualSyncState:
    """Can a manual sync start now? For the admin page and the request below. Reads only."""
    now = now or timezone.now()
    running = _open_run(organization.pk)
    last = (
        CrmSyncRun.objects.filter(organization=organization, trigger=CrmSyncRun.Trigger.MANUAL)
        .order_by("-created_at", "-pk")
        .first()
    )
    wait = dt.timedelta(0)
    if last is not None and last.created_at + MANUAL_SYNC_INTERVAL > now:
        wait = last.created_at + MANUAL_SYNC_INTERVAL - now
    parts = []
    if running is not None:
        started = timezone.localtime(running.started_at or running.created_at)
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
        installation_get(organization_id=organization.pk, provider="hubspot")
    except ConnectionUnavailableError as error:
        return ManualSyncOutcome(False, f"{error.message}: connect it (Connections) first.")
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
        run = crm_sync_request(
            organization=organization, trigger=CrmSyncRun.Trigger.MANUAL, user=user
        )
    return ManualSyncOutcome(True, "Sync with HubSpot started.", run)


def crm_sync_request(*, organization: Organization, trigger: str, user=None) -> CrmSyncRun:
    """Queue a CRM property sync of the organisation, or join the open one (jobs.lifecycle)."""
    from sync.crm_properties.execution import CrmPropertySync

    return run_request(CrmPropertySync, organization_id=organization.pk, trigger=trigger, user=user)


def crm_organizations_to_sync() -> list[int]:
    """Organisations with an active HubSpot connection and at least one chosen property."""
    connected = connected_organization_ids(provider="hubspot")
    configured = CrmSyncSettings.objects.filter(organization_id__in=connected).exclude(
        contact_properties=[], company_properties=[]
    )
    return sorted(configured.values_list("organization_id", flat=True))
