"""Asking for activity sync runs: every 15 minutes, "Sync now", after a quota pause, backfill.

One open (queued or running) immediate run per organisation: a request while one is open joins
it (jobs.lifecycle). Delayed runs (resume after the quota resets) are runs of their own.
"""

from __future__ import annotations

import datetime as dt

from django.db.models import Q
from django.utils import timezone

from accounts.models import Organization
from jobs.lifecycle import run_request
from sync.models import ActivitySyncRun, ActivitySyncSettings


def activity_sync_request(
    *,
    organization: Organization,
    trigger: str,
    user=None,
    not_before: dt.datetime | None = None,
    backfill_from: dt.datetime | None = None,
) -> ActivitySyncRun:
    """Queue a run, or join the open immediate one (a backfill joins only the same backfill;
    a delayed run is its own). Returns the run that will do the work."""
    from sync.activities.execution import ActivitySync

    return run_request(
        ActivitySync,
        organization_id=organization.pk,
        trigger=trigger,
        user=user,
        not_before=not_before,
        backfill_from=backfill_from,
    )


def organizations_to_sync(now: dt.datetime | None = None) -> list[int]:
    """Organisations with a direction on and not paused for Salesforce's quota."""
    now = now or timezone.now()
    rows = (
        ActivitySyncSettings.objects.filter(
            Q(salesforce_task_sync=True) | Q(type_settings__enabled=True)
        )
        .filter(Q(paused_until__isnull=True) | Q(paused_until__lte=now))
        .values_list("organization_id", flat=True)
        .distinct()
    )
    return sorted(rows)


def activities_sync_periodic() -> str:
    """The 15-minute job: one run per organisation with the sync on (jobs.scheduling)."""
    organization_ids = organizations_to_sync()
    for organization in Organization.objects.filter(pk__in=organization_ids):
        activity_sync_request(organization=organization, trigger=ActivitySyncRun.Trigger.SCHEDULE)
    return f"{len(organization_ids)} organisations queued"


def activity_backfill_request(
    *, organization: Organization, since: dt.datetime, user=None
) -> ActivitySyncRun:
    """An explicit, audited backfill: records created since `since`, before the switch-on.

    The run row (trigger, requester, date) is the audit; links make a repeated backfill harmless.
    """
    if since > timezone.now():
        raise ValueError("a backfill starts in the past")
    return activity_sync_request(
        organization=organization,
        trigger=ActivitySyncRun.Trigger.BACKFILL,
        user=user,
        backfill_from=since,
    )
