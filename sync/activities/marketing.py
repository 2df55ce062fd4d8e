"""HubSpot → Salesforce for marketing events: marketing email sent/opened/clicked and form
submissions (issue 7, help article 004, apis.md §2.8).

They are not CRM objects: email events come from `GET /email/public/v1/events` (one event type per
activity type, named after their email via the campaign), submissions from `GET
/form-integrations/v1/submissions/forms/{guid}` of every live form and every form archived since the
cursor. Neither API's order can be paged through incrementally, so a run reads everything at or
after the type's cursor (`sync.cursors`: a few minutes before the last read began), sorts it by
(time, id) and writes chunks of 200, moving the cursor after each chunk: nothing recorded late is
skipped, nothing read before is done twice. Each becomes a Completed task "Sent: <email name>",
"Opened: …", "Clicked: …" or "Submitted: <form name>"; WhoId is the Contact (else Lead) with the
recipient's/submitter's email; Assigned To follows the chain with no activity owner (the HubSpot
contact's owner if mapped, else the integration user). Events never change, so there are no updates;
the link table keeps re-reads from creating twice.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import asdict, dataclass
from typing import Any

from connectors.errors import MissingScopeError, NotFoundError
from connectors.hubspot.client import parse_hubspot_time
from sync.activities.context import RunContext
from sync.activities.links import content_hash, hubspot_marker, links_by_hubspot
from sync.activities.models import ActivityFindingReason as Reason
from sync.activities.owners import owner_maps
from sync.activities.reads import TypeRead
from sync.activities.task_writes import (
    CHUNK,
    hubspot_link_pending,
    link_retry_skipped,
    skipped_finding,
    task_owner,
    tasks_create,
)
from sync.activities.types import (
    EMAIL_EVENTS,
    MARKETING_SOURCES,
    marketing_event_fields,
    update_content,
)
from sync.cursors import datetime_from_ms, ms_from_datetime
from sync.models import ActivityFinding, ActivityLink, ActivityTypeSetting


@dataclass(frozen=True)
class MarketingItem:
    """One email event or form submission, as much of it as a task needs."""

    id: str  # the event id or the submission's conversionId
    occurred_ms: int
    email: str  # the recipient or the submitter ("" when the form had no email field)
    name: str  # the email's or the form's name

    def source(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_source(cls, data: dict[str, Any]) -> MarketingItem:
        return cls(str(data["id"]), int(data["occurred_ms"]), data["email"], data["name"])


def marketing_stream(ctx: RunContext, setting: ActivityTypeSetting, backfill_from) -> None:
    """Read one marketing activity type since its cursor (or the backfill date) and write it."""
    read = TypeRead(setting, backfill_from)
    try:
        items = list(_read(ctx, setting.activity_type, read.since))
    except MissingScopeError as error:
        ctx.finding(
            direction=ActivityFinding.Direction.RUN,
            outcome=ActivityFinding.Outcome.FAILED,
            reason=Reason.CONNECTION,
            source_type=setting.activity_type,
            message=f"{setting}: HubSpot refused the read ({error}). Reconnect HubSpot and "
            "approve the `forms` and `content` permissions.",
        )
        return
    unique = {item.id: item for item in items}.values()  # a form listed live and archived
    items = sorted(
        (i for i in unique if read.is_new(i.id, i.occurred_ms)),
        key=lambda i: (i.occurred_ms, i.id),
    )
    for start in range(0, len(items), CHUNK):
        chunk = items[start : start + CHUNK]
        _chunk_write(ctx, setting, chunk, read.bar)
        read.advance((i.id, i.occurred_ms) for i in chunk)
        ctx.findings_flush()


def _read(ctx: RunContext, activity_type: str, since: int) -> Iterator[MarketingItem]:
    source, event_type = MARKETING_SOURCES[activity_type]
    if source == EMAIL_EVENTS:
        names: dict[Any, str] = {}
        for event in ctx.hubspot.email_events(event_type, start_ms=since):
            campaign = event.get("emailCampaignId")
            if campaign not in names:
                found = ctx.hubspot.email_campaign_get(campaign) if campaign else None
                names[campaign] = (found or {}).get("name") or f"marketing email {campaign}"
            yield MarketingItem(
                str(event["id"]),
                int(event["created"]),
                (event.get("recipient") or "").strip().lower(),
                names[campaign],
            )
        return
    # A form archived since the cursor may hold submissions from before it was archived.
    archived = [form for form in ctx.hubspot.forms(archived=True) if _archived_ms(form) >= since]
    for form in [*ctx.hubspot.forms(), *archived]:
        try:
            submissions = list(ctx.hubspot.form_submissions_since(form["id"], since))
        except NotFoundError:
            continue  # [UNVERIFIED] an archived form whose submissions HubSpot no longer lists
        for submission in submissions:
            values = submission.get("values") or []
            email = next(
                (v.get("value") or "" for v in values if (v.get("name") or "").lower() == "email"),
                "",
            )
            yield MarketingItem(
                str(submission["conversionId"]),
                int(submission["submittedAt"]),
                email.strip().lower(),
                form.get("name") or f"form {form['id']}",
            )


def _archived_ms(form: dict[str, Any]) -> int:
    """When the form was archived (`archivedAt`, else its last update)."""
    moments = [parse_hubspot_time(form.get(name)) for name in ("archivedAt", "updatedAt")]
    return max((ms_from_datetime(m) for m in moments if m), default=0)


def _skip(ctx, setting, item: MarketingItem, reason: str, message: str) -> None:
    source_type = MARKETING_SOURCES[setting.activity_type][0]
    skipped_finding(ctx, source_type=source_type, source_id=item.id, reason=reason, message=message)


def _chunk_write(ctx: RunContext, setting, items: list[MarketingItem], bar) -> None:
    object_type = MARKETING_SOURCES[setting.activity_type][0]
    ctx.run.hubspot_read += len(items)
    links = links_by_hubspot(ctx, object_type, [i.id for i in items])
    todo = []
    for item in items:
        if item.id in links:
            continue  # synced before (events do not change), or failed and left to retries
        if not setting.enabled:
            _skip(ctx, setting, item, Reason.TYPE_DISABLED, f"{setting} are not synced")
        elif bar is None or item.occurred_ms < ms_from_datetime(bar):
            _skip(ctx, setting, item, Reason.CREATED_BEFORE_ENABLING, f"at {item.occurred_ms}")
        else:
            todo.append(item)
    marketing_create(ctx, setting, todo)


def marketing_create(
    ctx: RunContext,
    setting,
    items: list[MarketingItem],
    existing: dict[str, ActivityLink] | None = None,
) -> None:
    """Create the tasks of marketing items; `existing` are failed links being retried."""
    if not items:
        return
    existing = existing or {}
    object_type = MARKETING_SOURCES[setting.activity_type][0]
    emails = sorted({i.email for i in items if i.email})
    owners: dict[str, str] = {}
    if emails:
        read = ctx.hubspot.batch_read_contacts(
            emails=emails, properties=["email", "hubspot_owner_id"]
        )
        owners = {
            (row["properties"].get("email") or "").lower(): row["properties"].get(
                "hubspot_owner_id"
            )
            or ""
            for row in read.results
        }
    mapped, _ = owner_maps(ctx.organization)
    ctx.people_prefetch(emails)
    links, tasks = [], []
    for item in items:
        person = ctx.person(item.email) if item.email else None
        if person is None:
            why = f"{item.email} is not in Salesforce" if item.email else "no email address"
            _skip(ctx, setting, item, Reason.NO_MATCHING_CONTACT, why)
            if item.id in existing:
                link_retry_skipped(ctx, existing[item.id])
            continue
        assignment = task_owner(
            ctx,
            activity_owner=None,
            record_owner=owners.get(item.email) or None,
            mapped=mapped,
            source_type=object_type,
            source_id=item.id,
        )
        fields = marketing_event_fields(
            setting.activity_type,
            name=item.name,
            occurred_at=datetime_from_ms(item.occurred_ms),
            task_type=setting.salesforce_task_type,
            marker=hubspot_marker(object_type, item.id),
        )
        tasks.append({**fields, "OwnerId": assignment.user_id, "WhoId": person.id})
        links.append(
            hubspot_link_pending(
                ctx,
                existing.get(item.id),
                object_type=object_type,
                hubspot_id=item.id,
                activity_type=setting.activity_type,
                assignment=f"{assignment.user_id}: {assignment.reason}",
                content_hash=content_hash(update_content(fields)),
                source=item.source(),
            )
        )
    tasks_create(ctx, links, tasks)
