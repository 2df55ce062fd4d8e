"""Retrying failed links on the next run (issue 7: retries never create a second task).

A link is FAILED when the other side refused the create (a picklist value, a validation rule,
HubSpot refusing the task). Every run first tries such links again, with the source as it is now
and the settings as they are now (an admin may have fixed the task type meanwhile), reusing the
link row, so the audit keeps every refusal as its own finding. A link gets at most
`MAX_LINK_ATTEMPTS` attempts; the last refusal adds a "gave up" finding. Links of a type or
direction that is switched off wait until it is on again.
"""

from __future__ import annotations

from itertools import groupby

from sync.activities.context import RunContext
from sync.activities.marketing import MarketingItem, marketing_create
from sync.activities.models import ActivityFindingReason as Reason
from sync.activities.task_writes import MAX_LINK_ATTEMPTS
from sync.activities.to_hubspot import salesforce_tasks_retry
from sync.activities.to_salesforce import engagements_create
from sync.activities.types import KINDS, MARKETING_SOURCES, properties_to_read
from sync.models import ActivityFinding, ActivityLink

RETRY_BATCH = 200  # links per run and direction; the rest wait for the next run


def failed_links_retry(ctx: RunContext) -> int:
    """Try this organisation's failed links again; returns how many were tried."""
    failed = ActivityLink.objects.filter(
        organization=ctx.organization,
        state=ActivityLink.State.FAILED,
        attempts__lt=MAX_LINK_ATTEMPTS,
    )
    tried = 0
    if ctx.settings.salesforce_task_sync:
        rows = list(
            failed.filter(origin=ActivityLink.Origin.SALESFORCE).order_by("pk")[:RETRY_BATCH]
        )
        if rows:
            salesforce_tasks_retry(ctx, rows)
            tried += len(rows)
    settings_by_type = {s.activity_type: s for s in ctx.settings.type_settings.filter(enabled=True)}
    rows = list(
        failed.filter(
            origin=ActivityLink.Origin.HUBSPOT, activity_type__in=list(settings_by_type)
        ).order_by("activity_type", "pk")[:RETRY_BATCH]
    )
    for activity_type, group in groupby(rows, key=lambda row: row.activity_type):
        group = list(group)
        setting = settings_by_type[activity_type]
        if activity_type in MARKETING_SOURCES:
            items = [MarketingItem.from_source(row.source) for row in group if row.source]
            marketing_create(ctx, setting, items, existing={row.hubspot_id: row for row in group})
        else:
            _engagements_retry(ctx, setting, group)
        tried += len(group)
    ctx.run.retried += tried
    ctx.findings_flush()
    return tried


def _engagements_retry(ctx: RunContext, setting, rows: list[ActivityLink]) -> None:
    object_type = KINDS[setting.activity_type].object_type
    read = ctx.hubspot.batch_read_engagements(
        object_type,
        [row.hubspot_id for row in rows],
        properties=properties_to_read(setting.activity_type),
    )
    records = {str(record["id"]): record for record in read.results}
    for row in rows:
        if row.hubspot_id not in records:  # deleted in HubSpot: nothing to retry
            row.attempts, row.error = MAX_LINK_ATTEMPTS, "the activity is gone from HubSpot"
            row.save(update_fields=["attempts", "error", "updated_at"])
            ctx.finding(
                direction=ActivityFinding.Direction.TO_SALESFORCE,
                outcome=ActivityFinding.Outcome.FAILED,
                reason=Reason.GAVE_UP,
                source_type=object_type,
                source_id=row.hubspot_id,
                message=row.error,
            )
    existing = {row.hubspot_id: row for row in rows if row.hubspot_id in records}
    if existing:
        engagements_create(ctx, setting, [records[i] for i in existing], existing)
