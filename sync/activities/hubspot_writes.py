"""Writing HubSpot tasks for Salesforce tasks: the task properties, batch creates (one by one
when HubSpot refuses a batch), batch updates, and the outcome on each link.

Shared by the page stream and the retries of `to_hubspot`. A failed create leaves the link FAILED;
later runs try it again until it has had `MAX_LINK_ATTEMPTS` attempts, the last saying it gave up.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from connectors.errors import PermanentError
from connectors.hubspot.client import EngagementInput
from sync.activities.context import RunContext
from sync.activities.links import (
    SALESFORCE_ID_PROPERTY,
    content_hash,
    links_save,
    links_save_pending,
)
from sync.activities.models import ActivityFindingReason as Reason
from sync.activities.people import related_hubspot_ids
from sync.activities.task_writes import MAX_LINK_ATTEMPTS
from sync.activities.types import COMPLETED, PRIORITY_TO_HUBSPOT, STATUS_TO_HUBSPOT
from sync.models import ActivityFinding, ActivityLink

TO_HUBSPOT = ActivityFinding.Direction.TO_HUBSPOT


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


def hubspot_tasks_create(
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
                hubspot_link_gave_up(ctx, link)
    links_save(
        pending, ["hubspot_id", "state", "error", "attempts", "assignment", "last_seen_hash"]
    )


def hubspot_link_gave_up(ctx: RunContext, link: ActivityLink) -> None:
    ctx.finding(
        direction=TO_HUBSPOT,
        outcome=ActivityFinding.Outcome.FAILED,
        reason=Reason.GAVE_UP,
        source_type="Task",
        source_id=link.salesforce_id,
        message=f"{link.attempts} attempts; not retried any more: {link.error}",
    )


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


def hubspot_tasks_update(
    ctx: RunContext,
    pairs: list[tuple[dict[str, Any], ActivityLink]],
    owners: dict[str, str | None],
) -> None:
    """Carry changed Salesforce tasks over to their HubSpot tasks, 100 per batch update; a task
    HubSpot refuses keeps its old hash, so its next change tries again."""
    changed = []
    for task, link in pairs:
        properties = hubspot_task_properties(task, owners[task["Id"]])
        digest = content_hash(properties)
        if digest != link.last_seen_hash:
            changed.append((task, link, properties, digest))
    if not changed:
        return
    updates = [(link.hubspot_id, properties) for _, link, properties, _ in changed]
    try:
        result = ctx.hubspot.batch_update_tasks(updates)
    except PermanentError:  # the whole batch refused (e.g. a bad value): one by one
        refused = _update_one_by_one(ctx, updates)
    else:
        refused = _update_refusals(result, updates)
    saved = []
    for task, link, _, digest in changed:
        if link.hubspot_id in refused:
            ctx.finding(
                direction=TO_HUBSPOT,
                outcome=ActivityFinding.Outcome.FAILED,
                reason=Reason.HUBSPOT_REFUSED,
                source_type="Task",
                source_id=task["Id"],
                message=f"update of HubSpot task {link.hubspot_id}: {refused[link.hubspot_id]}",
            )
            continue
        link.last_seen_hash = digest
        saved.append(link)
        ctx.run.hubspot_updated += 1
    links_save(saved, ["last_seen_hash"])


def _update_refusals(result, updates: list[tuple[str, dict[str, str]]]) -> dict[str, str]:
    """HubSpot task id → why a batch update left it out: its 207 error, or none at all."""
    done = {str(row["id"]) for row in result.results}
    refused = {i: "HubSpot did not update the task" for i, _ in updates if i not in done}
    for error in result.errors:
        for task_id in (error.get("context") or {}).get("ids", []):
            refused[str(task_id)] = f"{error.get('category')}: {error.get('message')}"
    return refused


def _update_one_by_one(ctx: RunContext, updates: list[tuple[str, dict[str, str]]]):
    refused = {}
    for task_id, properties in updates:
        try:
            ctx.hubspot.task_update(task_id, properties)
        except PermanentError as error:
            refused[task_id] = str(error)
    return refused
