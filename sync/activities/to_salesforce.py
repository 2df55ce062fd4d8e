"""HubSpot → Salesforce: new activities of the enabled types become Salesforce tasks, and changes of
already-synced ones update them.

Per engagement type, engagements modified since the type's cursor (`sync.cursors`: a few minutes
before the last read began, as HubSpot's search shows changes late) are read oldest first (search
sorted by `hs_lastmodifieddate`, apis.md §2.8), in chunks of up to 200: one sObject Collections call
per chunk (`allOrNone: false`, per-record errors), then the cursor moves. Only activities created
after the type was enabled are created; an activity synced before is updated when what its task
carries (`_carried`: the `types.UPDATE_FIELDS` and a mapped owner) hashes differently from the
link's last seen hash, never when it came from Salesforce (no echo). Marketing email events and form
submissions are read by `marketing`. Types that were enabled once and are now off are still read, so
that every activity they skip is in the audit ("type disabled").
"""

from __future__ import annotations

import datetime as dt
from itertools import islice
from typing import Any

from connectors.hubspot.client import modified_property, parse_hubspot_time
from sync.activities.context import RunContext
from sync.activities.deals import opportunities_for_deals
from sync.activities.links import (
    SALESFORCE_ID_PROPERTY,
    content_hash,
    hubspot_marker,
    links_by_hubspot,
)
from sync.activities.marketing import marketing_stream
from sync.activities.models import ActivityFindingReason as Reason
from sync.activities.owners import owner_maps
from sync.activities.people import contact_candidates, who_choose
from sync.activities.reads import TypeRead
from sync.activities.task_writes import (
    CHUNK,
    hubspot_link_pending,
    link_retry_skipped,
    skipped_finding,
    task_owner,
    tasks_create,
    tasks_update,
)
from sync.activities.types import (
    KINDS,
    MARKETING_SOURCES,
    properties_to_read,
    task_fields,
    update_content,
)
from sync.models import ActivityLink, ActivityTypeSetting


def hubspot_activities_to_salesforce(ctx: RunContext, *, backfill_from: dt.datetime | None = None):
    for setting in ctx.settings.type_settings.order_by("activity_type"):
        if backfill_from is not None and not setting.enabled:
            continue
        if not setting.enabled and setting.enabled_at is None:
            continue  # never enabled: nothing to read, nothing to explain
        if setting.activity_type in MARKETING_SOURCES:
            marketing_stream(ctx, setting, backfill_from)
        else:
            _type_stream(ctx, setting, backfill_from)
        ctx.findings_flush()


def _type_stream(ctx: RunContext, setting: ActivityTypeSetting, backfill_from) -> None:
    kind = KINDS[setting.activity_type]
    names = properties_to_read(setting.activity_type)
    if kind.object_type == "tasks":
        names.append(SALESFORCE_ID_PROPERTY)
    read = TypeRead(setting, backfill_from)
    records = ctx.hubspot.engagements_modified_since(kind.object_type, read.since, properties=names)
    stamp_name = modified_property(kind.object_type)
    while chunk := list(islice(records, CHUNK)):
        # By id: a record edited while the search pages through moves and can come twice.
        stamped = list({r["id"]: (r, _stamp(r, stamp_name)) for r in chunk}.values())
        fresh = [r for r, ms in stamped if read.is_new(r["id"], ms)]
        _chunk_write(ctx, setting, fresh, read.bar)
        read.advance((r["id"], ms) for r, ms in stamped)
        ctx.findings_flush()


def _stamp(record: dict[str, Any], name: str) -> int:
    moment = parse_hubspot_time(record["properties"].get(name) or record.get("updatedAt"))
    return int(moment.timestamp() * 1000) if moment else 0


def _skip(ctx, setting, record, reason, message) -> None:
    object_type = KINDS[setting.activity_type].object_type
    skipped_finding(
        ctx, source_type=object_type, source_id=record["id"], reason=reason, message=message
    )


def _chunk_write(ctx: RunContext, setting, records: list[dict[str, Any]], bar) -> None:
    object_type = KINDS[setting.activity_type].object_type
    ctx.run.hubspot_read += len(records)
    links = links_by_hubspot(ctx, object_type, [r["id"] for r in records])
    todo, changed = [], []
    for record in records:
        link = links.get(record["id"])
        created = parse_hubspot_time(
            record["properties"].get("hs_createdate") or record.get("createdAt")
        )
        if record["properties"].get(SALESFORCE_ID_PROPERTY) or (
            link and link.origin == ActivityLink.Origin.SALESFORCE
        ):
            ctx.run.echoes_skipped += 1  # it came from Salesforce: never echo it back
        elif link is not None:
            if link.state == ActivityLink.State.LINKED and setting.enabled:
                changed.append((record, link))  # synced before: an update if its content changed
        elif not setting.enabled:
            _skip(ctx, setting, record, Reason.TYPE_DISABLED, f"{setting} are not synced")
        elif bar is None or created is None or created < bar:
            _skip(ctx, setting, record, Reason.CREATED_BEFORE_ENABLING, f"created {created}")
        else:
            todo.append(record)
    if todo:
        engagements_create(ctx, setting, todo)
    if changed:
        _update(ctx, setting, changed)


def _fields(setting, record: dict[str, Any]) -> dict[str, Any]:
    object_type = KINDS[setting.activity_type].object_type
    return task_fields(
        setting.activity_type,
        record["properties"],
        task_type=setting.salesforce_task_type,
        marker=hubspot_marker(object_type, record["id"]),
    )


def _carried(setting, record: dict[str, Any], mapped: dict[str, str]) -> dict[str, Any]:
    """What a change of the activity carries over to its task: the content, and Assigned To when
    the activity's own owner maps to a Salesforce user (a task assigned by fallback, to the
    contact's owner or the integration user, keeps it until the activity gets a mapped owner)."""
    content = update_content(_fields(setting, record))
    owner = mapped.get(record["properties"].get("hubspot_owner_id") or "")
    if owner:
        content["OwnerId"] = owner
    return content


def _update(ctx: RunContext, setting, pairs: list[tuple[dict[str, Any], ActivityLink]]) -> None:
    mapped, _ = owner_maps(ctx.organization)
    updates = []
    for record, link in pairs:
        content = _carried(setting, record, mapped)
        digest = content_hash(content)
        if digest != link.last_seen_hash:
            updates.append((link, content, digest))
    tasks_update(ctx, updates)


def engagements_create(
    ctx: RunContext,
    setting,
    records: list[dict[str, Any]],
    existing: dict[str, ActivityLink] | None = None,
) -> None:
    """Create tasks for engagements; `existing` are failed links being retried (by HubSpot id)."""
    existing = existing or {}
    object_type = KINDS[setting.activity_type].object_type
    contacts_of = ctx.hubspot.batch_read_associations(
        object_type, "contacts", [r["id"] for r in records]
    )
    contact_ids = sorted({c for ids in contacts_of.values() for c in ids})
    candidates = {}
    if contact_ids:
        read = ctx.hubspot.batch_read_contacts(
            ids=contact_ids, properties=["createdate", "email", "hubspot_owner_id"]
        )
        candidates = contact_candidates(read.results)
    mapped, _ = owner_maps(ctx.organization)
    ctx.people_prefetch(c.email for c in candidates.values() if c.email)
    chosen = {}
    for record in records:
        options = [candidates[c] for c in contacts_of.get(record["id"], []) if c in candidates]
        match = who_choose(options, ctx.person)
        if match is None:
            emails = ", ".join(c.email or c.hubspot_id for c in options) or "no associated contact"
            _skip(ctx, setting, record, Reason.NO_MATCHING_CONTACT, f"not in Salesforce: {emails}")
            if record["id"] in existing:
                link_retry_skipped(ctx, existing[record["id"]])
            continue
        chosen[record["id"]] = match
    what = opportunities_for_deals(
        ctx, object_type, list(chosen), {key: person for key, (_, person) in chosen.items()}
    )
    links, tasks = [], []
    for record in records:
        if record["id"] not in chosen:
            continue
        contact, person = chosen[record["id"]]
        assignment = task_owner(
            ctx,
            activity_owner=record["properties"].get("hubspot_owner_id") or None,
            record_owner=contact.owner_id or None,
            mapped=mapped,
            source_type=object_type,
            source_id=record["id"],
        )
        fields = _fields(setting, record)
        task = {**fields, "OwnerId": assignment.user_id, "WhoId": person.id}
        if record["id"] in what:
            task["WhatId"] = what[record["id"]]
        tasks.append(task)
        links.append(
            hubspot_link_pending(
                ctx,
                existing.get(record["id"]),
                object_type=object_type,
                hubspot_id=record["id"],
                activity_type=setting.activity_type,
                assignment=f"{assignment.user_id}: {assignment.reason}",
                content_hash=content_hash(_carried(setting, record, mapped)),
            )
        )
    tasks_create(ctx, links, tasks)
