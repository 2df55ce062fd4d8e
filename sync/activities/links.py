"""The link table: no echoes, no duplicates, even when a worker dies between create and link.

Choice (issue 7, "a crash between create and link must not duplicate"): before creating the
target we write a PENDING link holding the source id, and the target carries a marker naming
its source:
- a Salesforce task made from a HubSpot activity ends its Description with
  `[Meetbridge: HubSpot notes 123]` (Task has no external-id field we may rely on in every org);
- a HubSpot task made from a Salesforce task carries the custom property
  `meetbridge_salesforce_task_id`.
A run first resolves every PENDING link left by a dead worker: it looks the target up by its
marker (Salesforce: tasks created by the integration user since the pending row; HubSpot: a
search on the property) and adopts it, or drops the row so the source is created again. The
markers also stop echoes of targets whose link was never written.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from django.utils import timezone

from sync.models import ActivityLink

if TYPE_CHECKING:
    from sync.activities.context import RunContext

SALESFORCE_ID_PROPERTY = "meetbridge_salesforce_task_id"
PROPERTY_GROUP = "meetbridge"
_MARKER = re.compile(r"\[Meetbridge: HubSpot (\w+) ([\w-]+)\]")
RECOVERY_MARGIN = dt.timedelta(minutes=5)  # clock skew between us and Salesforce


def hubspot_marker(object_type: str, hubspot_id: str) -> str:
    return f"[Meetbridge: HubSpot {object_type} {hubspot_id}]"


def marker_in(description: str | None) -> tuple[str, str] | None:
    """(object type, HubSpot id) named by a Description's marker, or None."""
    match = _MARKER.search(description or "")
    return (match.group(1), match.group(2)) if match else None


def content_hash(values: Mapping[str, Any]) -> str:
    return hashlib.sha256(json.dumps(values, sort_keys=True, default=str).encode()).hexdigest()


def hubspot_marker_property_ensure(ctx: RunContext) -> None:
    """The HubSpot task property that names a task's Salesforce source (created once)."""
    ctx.hubspot.property_group_ensure("tasks", name=PROPERTY_GROUP, label="Meetbridge")
    ctx.hubspot.property_ensure(
        "tasks",
        {
            "name": SALESFORCE_ID_PROPERTY,
            "label": "Salesforce task id (Meetbridge)",
            "type": "string",
            "fieldType": "text",
            "groupName": PROPERTY_GROUP,
            "hasUniqueValue": True,
        },
    )


def links_by_hubspot(ctx: RunContext, object_type: str, ids: list[str]) -> dict[str, ActivityLink]:
    rows = ActivityLink.objects.filter(
        organization=ctx.organization, hubspot_object_type=object_type, hubspot_id__in=ids
    )
    return {row.hubspot_id: row for row in rows}


def links_by_salesforce(ctx: RunContext, ids: list[str]) -> dict[str, ActivityLink]:
    rows = ActivityLink.objects.filter(organization=ctx.organization, salesforce_id__in=ids)
    return {row.salesforce_id: row for row in rows}


def links_save_pending(links: list[ActivityLink]) -> None:
    """Write PENDING rows before the target is created: new ones inserted, retried ones (failed
    links tried again) updated in place, so a killed worker leaves them to `pending_links_recover`.
    """
    new = [link for link in links if link.pk is None]
    old = [link for link in links if link.pk is not None]
    if new:
        created = ActivityLink.objects.bulk_create(new)
        for link, row in zip(new, created, strict=True):
            link.pk = row.pk
    if old:
        ActivityLink.objects.bulk_update(old, ["state", "error", "attempts", "assignment"])


def links_save(links: list[ActivityLink], fields: list[str]) -> None:
    """Write `fields` of many links in one statement; `updated_at` too (bulk_update does not
    apply auto_now)."""
    if not links:
        return
    now = timezone.now()
    for link in links:
        link.updated_at = now
    ActivityLink.objects.bulk_update(links, [*fields, "updated_at"])


def _unresolved(row: ActivityLink) -> None:
    """A pending row whose target was never created: a first attempt is dropped (its source is
    read again, the cursor did not pass it); a retry goes back to FAILED to be retried again."""
    if row.attempts > 1:
        row.state = ActivityLink.State.FAILED
        row.save(update_fields=["state", "updated_at"])
    else:
        row.delete()


def pending_links_recover(ctx: RunContext) -> int:
    """Adopt or drop the PENDING links of dead runs; returns how many were adopted."""
    pending = ActivityLink.objects.filter(
        organization=ctx.organization, state=ActivityLink.State.PENDING
    )
    adopted = 0
    from_hubspot = [row for row in pending if row.origin == ActivityLink.Origin.HUBSPOT]
    if from_hubspot:
        adopted += _recover_salesforce_targets(ctx, from_hubspot)
    for row in pending:
        if row.origin == ActivityLink.Origin.SALESFORCE:
            adopted += _recover_hubspot_target(ctx, row)
    return adopted


def _recover_salesforce_targets(ctx: RunContext, rows: list[ActivityLink]) -> int:
    since = min(row.created_at for row in rows) - RECOVERY_MARGIN
    soql = (
        "SELECT Id, Description FROM Task "  # noqa: S608 - ids and datetimes, no user text
        f"WHERE CreatedById = '{ctx.integration_user_id}' "
        f"AND CreatedDate >= {since.astimezone(dt.UTC):%Y-%m-%dT%H:%M:%SZ} ORDER BY CreatedDate"
    )
    found: dict[tuple[str, str], str] = {}
    for task in ctx.salesforce.query(soql):
        source = marker_in(task.get("Description"))
        if source:
            found.setdefault(source, task["Id"])
    adopted = 0
    for row in rows:
        task_id = found.get((row.hubspot_object_type, row.hubspot_id))
        if task_id:
            row.salesforce_id, row.state = task_id, ActivityLink.State.LINKED
            row.save(update_fields=["salesforce_id", "state", "updated_at"])
            adopted += 1
        else:
            _unresolved(row)
    return adopted


def _recover_hubspot_target(ctx: RunContext, row: ActivityLink) -> int:
    filters = [
        {"propertyName": SALESFORCE_ID_PROPERTY, "operator": "EQ", "value": row.salesforce_id}
    ]
    match = next(
        iter(ctx.hubspot.search("tasks", filter_groups=[{"filters": filters}], limit=1)), None
    )
    if match is None:
        _unresolved(row)
        return 0
    row.hubspot_id, row.state = str(match["id"]), ActivityLink.State.LINKED
    row.save(update_fields=["hubspot_id", "state", "updated_at"])
    return 1
