"""Writing Salesforce tasks for HubSpot activities: pending links, sObject Collections creates and
updates, per-record refusals as findings, and the bound on retrying failed links.

Shared by the engagement stream (`to_salesforce`), marketing events (`marketing`) and retries
(`retries`). A failed create leaves the link FAILED; later runs try it again until it has had
`MAX_LINK_ATTEMPTS` attempts, each refusal being its own finding; the last says it gave up.
"""

from __future__ import annotations

from typing import Any

from sync.activities.context import RunContext
from sync.activities.links import links_save, links_save_pending
from sync.activities.models import ActivityFindingReason as Reason
from sync.activities.owners import Assignment, assigned_to
from sync.models import ActivityFinding, ActivityLink

MAX_LINK_ATTEMPTS = 3
CHUNK = 200  # one sObject Collections call (apis.md §4.5)
TO_SALESFORCE = ActivityFinding.Direction.TO_SALESFORCE
# What a create and its result change on a link (a retried link's hash and source are written
# here, not by `links_save_pending`).
OUTCOME_FIELDS = [
    "salesforce_id",
    "state",
    "error",
    "attempts",
    "assignment",
    "last_seen_hash",
    "source",
]
PICKLIST_CODES = {"INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST", "BAD_VALUE_FOR_RESTRICTED_PICKLIST"}


def hubspot_link_pending(
    ctx: RunContext,
    existing: ActivityLink | None,
    *,
    object_type: str,
    hubspot_id: str,
    activity_type: str,
    assignment: str,
    content_hash: str,
    source: dict[str, Any] | None = None,
) -> ActivityLink:
    """The PENDING link of one create: a new row, or a failed one being retried (reused)."""
    link = existing or ActivityLink(
        organization=ctx.organization,
        origin=ActivityLink.Origin.HUBSPOT,
        hubspot_object_type=object_type,
        hubspot_id=hubspot_id,
        activity_type=activity_type,
        attempts=0,
    )
    link.state, link.error, link.attempts = ActivityLink.State.PENDING, "", link.attempts + 1
    link.assignment = assignment[:255]
    link.last_seen_hash = content_hash
    link.source = source or {}
    return link


def tasks_create(ctx: RunContext, links: list[ActivityLink], tasks: list[dict[str, Any]]) -> None:
    """Pending links first (a worker killed after the call leaves rows the next run resolves),
    then one sObject Collections create per 200, then each result onto its link."""
    if not tasks:
        return
    links_save_pending(links)
    results = ctx.salesforce.create_records("Task", tasks)
    links_complete(ctx, links, results)


def links_complete(ctx: RunContext, links: list[ActivityLink], results) -> None:
    """Write each create result onto its pending link (results are in request order)."""
    for link, result in zip(links, results, strict=True):
        if result.success:
            link.salesforce_id, link.state = result.id, ActivityLink.State.LINKED
            link.source = {}
            ctx.run.salesforce_created += 1
        else:
            link.state = ActivityLink.State.FAILED
            link.error = "; ".join(
                f"{e.get('statusCode')}: {e.get('message')}" for e in result.errors
            )[:2000]
            for error in result.errors or [{}]:
                refusal_finding(ctx, link, error)
            _gave_up_if_spent(ctx, link, f"refused {link.attempts} times")
    links_save(links, OUTCOME_FIELDS)


def link_retry_skipped(ctx: RunContext, link: ActivityLink) -> None:
    """A failed link whose retry was skipped before any create (e.g. its contact is gone from
    Salesforce): the attempt counts, so retries stay bounded."""
    link.attempts += 1
    link.save(update_fields=["attempts", "updated_at"])
    _gave_up_if_spent(ctx, link, f"{link.attempts} attempts")


def _gave_up_if_spent(ctx: RunContext, link: ActivityLink, attempts: str) -> None:
    if link.attempts >= MAX_LINK_ATTEMPTS:
        ctx.finding(
            direction=TO_SALESFORCE,
            outcome=ActivityFinding.Outcome.FAILED,
            reason=Reason.GAVE_UP,
            source_type=link.hubspot_object_type,
            source_id=link.hubspot_id,
            message=f"{attempts}; not retried any more: {link.error}",
        )


def task_owner(
    ctx: RunContext,
    *,
    activity_owner: str | None,
    record_owner: str | None,
    mapped: dict[str, str],
    source_type: str,
    source_id: str,
) -> Assignment:
    """Assigned To of a new task (`owners.assigned_to`); a fallback is recorded as a finding."""
    assignment = assigned_to(
        activity_owner=activity_owner,
        record_owner=record_owner,
        mapped=mapped,
        integration_user_id=ctx.integration_user_id,
    )
    if assignment.fell_back:
        ctx.finding(
            direction=TO_SALESFORCE,
            outcome=ActivityFinding.Outcome.SYNCED,
            reason=Reason.UNMAPPED_OWNER,
            source_type=source_type,
            source_id=source_id,
            message=f"Assigned To: {assignment.reason}",
        )
    return assignment


def skipped_finding(ctx: RunContext, *, source_type: str, source_id: str, reason, message) -> None:
    """An activity the sync passed over on purpose, and why (type off, too old, no contact)."""
    ctx.finding(
        direction=TO_SALESFORCE,
        outcome=ActivityFinding.Outcome.SKIPPED,
        reason=reason,
        source_type=source_type,
        source_id=source_id,
        message=message,
    )


def tasks_update(ctx: RunContext, updates: list[tuple[ActivityLink, dict[str, Any], str]]) -> None:
    """Carry changed content over to already-synced tasks: (link, fields, content hash)."""
    if not updates:
        return
    payload = [{"id": link.salesforce_id, **fields} for link, fields, _ in updates]
    results = ctx.salesforce.update_records("Task", payload)
    updated = []
    for (link, _, digest), result in zip(updates, results, strict=True):
        if result.success:
            link.last_seen_hash = digest
            updated.append(link)
            ctx.run.salesforce_updated += 1
        else:  # the hash stays: the next change of the activity tries again
            for error in result.errors or [{}]:
                refusal_finding(ctx, link, error, action="update")
    links_save(updated, ["last_seen_hash"])


def refusal_finding(
    ctx: RunContext, link: ActivityLink, error: dict[str, Any], *, action: str = "create"
) -> None:
    code = str(error.get("statusCode") or "")
    fields = list(error.get("fields") or [])
    if code in PICKLIST_CODES:
        reason = Reason.PICKLIST_VALUE
    elif code.startswith("INVALID_FIELD"):
        reason = Reason.INVALID_FIELD
    else:
        reason = Reason.SALESFORCE_REFUSED
    if not fields and "'" in (error.get("message") or ""):
        fields = [error["message"].split("'")[1]]  # "No such column 'X' on sobject ..."
    attempt = f" (attempt {link.attempts} of {MAX_LINK_ATTEMPTS})" if action == "create" else ""
    ctx.finding(
        direction=TO_SALESFORCE,
        outcome=ActivityFinding.Outcome.FAILED,
        reason=reason,
        source_type=link.hubspot_object_type,
        source_id=link.hubspot_id,
        field_name=", ".join(fields),
        message=f"{action}{attempt}: {code}: {error.get('message') or 'refused'}",
    )
