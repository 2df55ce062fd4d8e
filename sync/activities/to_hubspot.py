"""Salesforce → HubSpot: new and changed Salesforce tasks become (update) HubSpot tasks.

Incremental by `SystemModstamp` (apis.md §4.3), ordered by stamp then Id, paged with
`nextRecordsUrl`, from a few minutes before the last read began (`sync.cursors`: Salesforce stamps a
change before its transaction commits, so a task can appear after newer ones were read). After every
page the cursor moves; what was read at the same stamp is not done twice. Tasks created before the
sync was switched on are skipped ("created before enabling"); a backfill lowers that bar for one
run.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sync.activities.context import RunContext
from sync.activities.hubspot_writes import (
    hubspot_link_gave_up,
    hubspot_tasks_create,
    hubspot_tasks_update,
    parse_salesforce_time,
)
from sync.activities.links import (
    hubspot_marker_property_ensure,
    links_by_salesforce,
    marker_in,
)
from sync.activities.models import ActivityFindingReason as Reason
from sync.activities.owners import owner_maps
from sync.activities.task_writes import MAX_LINK_ATTEMPTS
from sync.cursors import ReadCursor, datetime_from_ms, ms_from_datetime, now_ms
from sync.models import ActivityFinding, ActivityLink

TASK_FIELDS = (
    "Id, Subject, Description, ActivityDate, Status, Priority, IsClosed, OwnerId, WhoId, "
    "WhatId, CreatedDate, SystemModstamp"
)
TO_HUBSPOT = ActivityFinding.Direction.TO_HUBSPOT


def soql_datetime(value: dt.datetime) -> str:
    return value.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def salesforce_tasks_to_hubspot(ctx: RunContext, *, backfill_from: dt.datetime | None = None):
    """Read Salesforce tasks after the cursor (or, backfilling, those created since
    `backfill_from` before the switch-on) and write them to HubSpot, page by page."""
    settings = ctx.settings
    enabled_at = settings.salesforce_task_sync_enabled_at
    if not settings.salesforce_task_sync or enabled_at is None:
        return
    hubspot_marker_property_ensure(ctx)
    started = now_ms()
    if backfill_from is not None:
        where = (
            f"CreatedDate >= {soql_datetime(backfill_from)} "
            f"AND CreatedDate < {soql_datetime(enabled_at)}"
        )
        bar, cursor = backfill_from, None
    else:
        # Salesforce's stamps have whole seconds: so have the starting points.
        cursor = ReadCursor.load(
            ms_from_datetime((settings.salesforce_cursor or enabled_at).replace(microsecond=0)),
            settings.salesforce_cursor_ids,
        )
        floor = ms_from_datetime(enabled_at.replace(microsecond=0))
        read_from = datetime_from_ms(cursor.read_from(floor))
        where, bar = f"SystemModstamp >= {soql_datetime(read_from)}", enabled_at
    soql = f"SELECT {TASK_FIELDS} FROM Task WHERE {where} ORDER BY SystemModstamp ASC, Id ASC"  # noqa: S608
    page = ctx.salesforce.query_page(soql)
    # The bar has whole seconds, as Salesforce's stamps do.
    bar = bar.replace(microsecond=0)
    while True:
        stamped = [(t, ms_from_datetime(_at(t))) for t in page.records]
        tasks = [t for t, ms in stamped if cursor is None or cursor.is_new(t["Id"], ms)]
        _page_write(ctx, tasks, bar)
        if cursor is not None and stamped:
            cursor = cursor.advanced(((t["Id"], ms) for t, ms in stamped), started_ms=started)
            settings.salesforce_cursor = datetime_from_ms(cursor.newest_ms)
            settings.salesforce_cursor_ids = cursor.stored()
            settings.save(
                update_fields=["salesforce_cursor", "salesforce_cursor_ids", "updated_at"]
            )
        ctx.findings_flush()
        if not page.next_records_url:
            return
        page = ctx.salesforce.query_page(next_records_url=page.next_records_url)


def _at(task: dict[str, Any]) -> dt.datetime:
    return parse_salesforce_time(task["SystemModstamp"])


def _page_write(ctx: RunContext, tasks: list[dict[str, Any]], bar: dt.datetime) -> None:
    ctx.run.salesforce_read += len(tasks)
    links = links_by_salesforce(ctx, [t["Id"] for t in tasks])
    _, to_hubspot = owner_maps(ctx.organization)
    creates, updates = [], []
    for task in tasks:
        link = links.get(task["Id"])
        if (link and link.origin == ActivityLink.Origin.HUBSPOT) or marker_in(
            task.get("Description")
        ):
            ctx.run.echoes_skipped += 1  # it came from HubSpot: never echo it back
        elif link is not None:
            if link.state == ActivityLink.State.LINKED:
                updates.append((task, link))
        elif parse_salesforce_time(task["CreatedDate"]) < bar:
            ctx.finding(
                direction=TO_HUBSPOT,
                outcome=ActivityFinding.Outcome.SKIPPED,
                reason=Reason.CREATED_BEFORE_ENABLING,
                source_type="Task",
                source_id=task["Id"],
                message=f"created {task['CreatedDate']}, before the sync was switched on",
            )
        else:
            creates.append(task)
    owners = {}
    for task in creates + [t for t, _ in updates]:
        owner = to_hubspot.get((task.get("OwnerId") or "")[:15])
        owners[task["Id"]] = owner
        if owner is None:
            ctx.finding(
                direction=TO_HUBSPOT,
                outcome=ActivityFinding.Outcome.SYNCED,
                reason=Reason.UNMAPPED_OWNER,
                source_type="Task",
                source_id=task["Id"],
                message=f"Assigned To {task.get('OwnerId')} has no HubSpot owner: left unassigned",
            )
    if creates:
        hubspot_tasks_create(ctx, creates, owners)
    if updates:
        hubspot_tasks_update(ctx, updates, owners)


def salesforce_tasks_retry(ctx: RunContext, links: list[ActivityLink]) -> None:
    """Try failed Salesforce → HubSpot links again with the task as it is now."""
    template = f"SELECT {TASK_FIELDS} FROM Task WHERE Id IN ({{in_list}})"  # noqa: S608
    tasks = list(ctx.salesforce.query_in(template, [link.salesforce_id for link in links]))
    found = {task["Id"] for task in tasks}
    for link in links:
        if link.salesforce_id not in found:
            link.attempts, link.error = MAX_LINK_ATTEMPTS, "the task is gone from Salesforce"
            link.save(update_fields=["attempts", "error", "updated_at"])
            hubspot_link_gave_up(ctx, link)
    _, to_hubspot = owner_maps(ctx.organization)
    owners = {t["Id"]: to_hubspot.get((t.get("OwnerId") or "")[:15]) for t in tasks}
    if tasks:
        existing = {link.salesforce_id: link for link in links}
        hubspot_tasks_create(ctx, tasks, owners, existing=existing)
