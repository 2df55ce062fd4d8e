"""Salesforce → HubSpot: new and changed Salesforce tasks become (update) HubSpot tasks.

Incremental by `SystemModstamp` (apis.md §4.3): `>= cursor`, ordered by stamp then Id, paged
with `nextRecordsUrl`. After every page the cursor moves to the page's newest stamp and keeps
the ids read at exactly that stamp, so tasks sharing a second are neither skipped nor done twice
when the next run starts at that instant. Tasks created before the sync was switched on are
skipped ("created before enabling"); a backfill lowers that bar for one run.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from connectors.errors import PermanentError
from connectors.hubspot.client import EngagementInput
from connectors.salesforce.client import soql_quote
from sync.activities.context import RunContext
from sync.activities.links import (
    SALESFORCE_ID_PROPERTY,
    content_hash,
    hubspot_marker_property_ensure,
    links_by_salesforce,
    links_save_pending,
    marker_in,
)
from sync.activities.owners import owner_maps
from sync.activities.people import related_hubspot_ids
from sync.activities.task_writes import MAX_LINK_ATTEMPTS
from sync.activities.types import COMPLETED, PRIORITY_TO_HUBSPOT, STATUS_TO_HUBSPOT
from sync.models import ActivityFinding, ActivityLink
from sync.models.activities import ActivityFindingReason as Reason

TASK_FIELDS = (
    "Id, Subject, Description, ActivityDate, Status, Priority, IsClosed, OwnerId, WhoId, "
    "WhatId, CreatedDate, SystemModstamp"
)
TO_HUBSPOT = ActivityFinding.Direction.TO_HUBSPOT


def soql_datetime(value: dt.datetime) -> str:
    return value.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_salesforce_time(value: str) -> dt.datetime:
    # Salesforce datetimes look like 2026-05-01T10:00:00.000+0000.
    text = value.replace("Z", "+00:00")
    if len(text) > 5 and text[-5] in "+-" and text[-3] != ":":
        text = f"{text[:-2]}:{text[-2:]}"
    return dt.datetime.fromisoformat(text)


def hubspot_task_properties(task: dict[str, Any], owner: str | None) -> dict[str, str]:
    """HubSpot task properties of a Salesforce task (no ids, no associations).

    ActivityDate is a date without a time zone: it becomes midnight UTC of the same day, never
    shifted by a user's zone (apis.md §4.4). Without one, the task is due when it was created.
    """
    due = task.get("ActivityDate")
    stamp = f"{due}T00:00:00Z" if due else parse_salesforce_time(task["CreatedDate"]).isoformat()
    closed = task.get("IsClosed") or task.get("Status") == COMPLETED
    properties = {
        "hs_task_subject": (task.get("Subject") or "(no subject)")[:255],
        "hs_task_body": task.get("Description") or "",
        "hs_timestamp": stamp,
        "hs_task_status": "COMPLETED"
        if closed
        else STATUS_TO_HUBSPOT.get(task.get("Status") or "", "NOT_STARTED"),
        "hs_task_priority": PRIORITY_TO_HUBSPOT.get(task.get("Priority") or "", "MEDIUM"),
    }
    if owner:
        properties["hubspot_owner_id"] = owner
    return properties


def salesforce_tasks_to_hubspot(ctx: RunContext, *, backfill_from: dt.datetime | None = None):
    """Read Salesforce tasks after the cursor (or, backfilling, those created since
    `backfill_from` before the switch-on) and write them to HubSpot, page by page."""
    settings = ctx.settings
    enabled_at = settings.salesforce_task_sync_enabled_at
    if not settings.salesforce_task_sync or enabled_at is None:
        return
    hubspot_marker_property_ensure(ctx)
    if backfill_from is not None:
        where = (
            f"CreatedDate >= {soql_datetime(backfill_from)} "
            f"AND CreatedDate < {soql_datetime(enabled_at)}"
        )
        bar, cursor, seen = backfill_from, None, set()
    else:
        cursor = settings.salesforce_cursor or enabled_at
        where, bar = f"SystemModstamp >= {soql_datetime(cursor)}", enabled_at
        seen = set(settings.salesforce_cursor_ids)
    soql = f"SELECT {TASK_FIELDS} FROM Task WHERE {where} ORDER BY SystemModstamp ASC, Id ASC"  # noqa: S608
    page = ctx.salesforce.query_page(soql)
    # The bar has whole seconds, as Salesforce's stamps do.
    bar = bar.replace(microsecond=0)
    while True:
        tasks = [
            t
            for t in page.records
            if not (cursor and _at(t) == cursor.replace(microsecond=0) and t["Id"] in seen)
        ]
        _page_write(ctx, tasks, bar)
        if backfill_from is None and page.records:
            cursor, seen = _checkpoint(ctx, page.records, cursor, seen)
        ctx.findings_flush()
        if not page.next_records_url:
            return
        page = ctx.salesforce.query_page(next_records_url=page.next_records_url)


def _at(task: dict[str, Any]) -> dt.datetime:
    return parse_salesforce_time(task["SystemModstamp"])


def _checkpoint(ctx: RunContext, records, cursor, seen):
    newest = max(_at(t) for t in records)
    at_newest = {t["Id"] for t in records if _at(t) == newest}
    if cursor is not None and newest == cursor.replace(microsecond=0):
        at_newest |= seen
    ctx.settings.salesforce_cursor, ctx.settings.salesforce_cursor_ids = newest, sorted(at_newest)
    ctx.settings.save(update_fields=["salesforce_cursor", "salesforce_cursor_ids", "updated_at"])
    return newest, at_newest


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
        _create(ctx, creates, owners)
    for task, link in updates:
        _update(ctx, task, link, owners[task["Id"]])


def _create(
    ctx: RunContext,
    tasks: list[dict[str, Any]],
    owners: dict[str, str | None],
    existing: dict[str, ActivityLink] | None = None,
) -> None:
    """Create HubSpot tasks for `tasks`; `existing` are failed links being retried (reused)."""
    related = related_hubspot_ids(ctx, tasks)
    existing = existing or {}
    pending = []
    for task in tasks:
        link = existing.get(task["Id"]) or ActivityLink(
            organization=ctx.organization,
            origin=ActivityLink.Origin.SALESFORCE,
            hubspot_object_type="tasks",
            salesforce_id=task["Id"],
            attempts=0,
        )
        link.state, link.error, link.attempts = ActivityLink.State.PENDING, "", link.attempts + 1
        link.assignment = f"HubSpot owner {owners[task['Id']] or '— (unmapped)'}"
        pending.append(link)
    links_save_pending(pending)
    inputs, hashes = [], {}
    for task in tasks:
        properties = hubspot_task_properties(task, owners[task["Id"]])
        hashes[task["Id"]] = content_hash(properties)
        contacts, companies, deals = related[task["Id"]]
        inputs.append(
            EngagementInput(
                {**properties, SALESFORCE_ID_PROPERTY: task["Id"]}, contacts, companies, deals
            )
        )
    refused: dict[str, str] = {}
    try:
        created = ctx.hubspot.batch_create_tasks(inputs).results
    except PermanentError:
        created, refused = _create_one_by_one(ctx, inputs)
    by_source = {r["properties"].get(SALESFORCE_ID_PROPERTY): str(r["id"]) for r in created}
    for link in pending:
        hubspot_id = by_source.get(link.salesforce_id)
        if hubspot_id:
            link.hubspot_id, link.state = hubspot_id, ActivityLink.State.LINKED
            link.last_seen_hash = hashes[link.salesforce_id]
            ctx.run.hubspot_created += 1
        else:
            link.state = ActivityLink.State.FAILED
            link.error = refused.get(link.salesforce_id, "HubSpot did not create the task")
            if link.attempts >= MAX_LINK_ATTEMPTS:
                _gave_up(ctx, link)
        link.save()


def _gave_up(ctx: RunContext, link: ActivityLink) -> None:
    ctx.finding(
        direction=TO_HUBSPOT,
        outcome=ActivityFinding.Outcome.FAILED,
        reason=Reason.GAVE_UP,
        source_type="Task",
        source_id=link.salesforce_id,
        message=f"{link.attempts} attempts; not retried any more: {link.error}",
    )


def salesforce_tasks_retry(ctx: RunContext, links: list[ActivityLink]) -> None:
    """Try failed Salesforce → HubSpot links again with the task as it is now."""
    soql = (
        f"SELECT {TASK_FIELDS} FROM Task WHERE Id IN "  # noqa: S608 - Salesforce ids, quoted
        f"({', '.join(soql_quote(link.salesforce_id) for link in links)})"
    )
    tasks = list(ctx.salesforce.query(soql))
    found = {task["Id"] for task in tasks}
    for link in links:
        if link.salesforce_id not in found:
            link.attempts, link.error = MAX_LINK_ATTEMPTS, "the task is gone from Salesforce"
            link.save(update_fields=["attempts", "error", "updated_at"])
            _gave_up(ctx, link)
    _, to_hubspot = owner_maps(ctx.organization)
    owners = {t["Id"]: to_hubspot.get((t.get("OwnerId") or "")[:15]) for t in tasks}
    if tasks:
        _create(ctx, tasks, owners, existing={link.salesforce_id: link for link in links})


def _create_one_by_one(
    ctx: RunContext, inputs: list[EngagementInput]
) -> tuple[list[dict[str, Any]], dict[str, str]]:
    """(created tasks, Salesforce id → HubSpot's refusal) when the batch was refused."""
    created, refused = [], {}
    for item in inputs:
        source = item.properties[SALESFORCE_ID_PROPERTY]
        try:
            created.append(
                ctx.hubspot.task_create(
                    item.properties,
                    contact_ids=item.contact_ids,
                    company_ids=item.company_ids,
                    deal_ids=item.deal_ids,
                )
            )
        except PermanentError as error:
            ctx.finding(
                direction=TO_HUBSPOT,
                outcome=ActivityFinding.Outcome.FAILED,
                reason=Reason.HUBSPOT_REFUSED,
                source_type="Task",
                source_id=source,
                message=str(error),
            )
            refused[source] = str(error)[:2000]
    return created, refused


def _update(ctx: RunContext, task: dict[str, Any], link: ActivityLink, owner: str | None) -> None:
    properties = hubspot_task_properties(task, owner)
    digest = content_hash(properties)
    if digest == link.last_seen_hash:
        return
    try:
        ctx.hubspot.task_update(link.hubspot_id, properties)
    except PermanentError as error:
        ctx.finding(
            direction=TO_HUBSPOT,
            outcome=ActivityFinding.Outcome.FAILED,
            reason=Reason.HUBSPOT_REFUSED,
            source_type="Task",
            source_id=task["Id"],
            message=f"update of HubSpot task {link.hubspot_id}: {error}",
        )
        return
    link.last_seen_hash = digest
    link.save(update_fields=["last_seen_hash", "updated_at"])
    ctx.run.hubspot_updated += 1
