"""What each HubSpot activity type looks like as a Salesforce task (issue 7, help article 004).

Pure data and functions: which HubSpot object and properties an activity type is read from, and
how one activity becomes Task fields (Subject, Description, Status, Priority, Type, ActivityDate,
TaskSubtype). Attachments (`hs_attachment_ids`) are never read nor written.
"""

from __future__ import annotations

import datetime as dt
import html
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from connectors.hubspot.client import parse_hubspot_time
from sync.activities.models import ActivityType

COMPLETED = "Completed"
SUBJECT_MAX = 255
DESCRIPTION_MAX = 32_000


@dataclass(frozen=True)
class HubSpotKind:
    """How an activity type is read from HubSpot: an engagement object and its properties."""

    object_type: str  # CRM object (tasks, notes, ...); "" when not a CRM object
    title_property: str = ""
    body_property: str = ""
    subtype: str = "Task"  # Salesforce TaskSubtype (create only)


KINDS: dict[str, HubSpotKind] = {
    ActivityType.SALES_EMAIL: HubSpotKind("emails", "hs_email_subject", "hs_email_text", "Email"),
    ActivityType.NOTE: HubSpotKind("notes", "", "hs_note_body"),
    ActivityType.CALL: HubSpotKind("calls", "hs_call_title", "hs_call_body", "Call"),
    ActivityType.MEETING: HubSpotKind("meetings", "hs_meeting_title", "hs_meeting_body"),
    ActivityType.HUBSPOT_TASK: HubSpotKind("tasks", "hs_task_subject", "hs_task_body"),
    # Marketing events are not CRM objects: email events come from the email events API and
    # form submissions from the forms API (apis.md §2.8); see `marketing_event_fields`.
    ActivityType.MARKETING_EMAIL_SENT: HubSpotKind(""),
    ActivityType.MARKETING_EMAIL_OPENED: HubSpotKind(""),
    ActivityType.MARKETING_EMAIL_CLICKED: HubSpotKind(""),
    ActivityType.FORM_SUBMISSION: HubSpotKind(""),
}
ENGAGEMENT_TYPES = {kind.object_type: key for key, kind in KINDS.items() if kind.object_type}

# Where marketing events are read from (apis.md §2.8): (link object type, email event type).
EMAIL_EVENTS, FORM_SUBMISSIONS = "email_events", "form_submissions"
MARKETING_SOURCES: dict[str, tuple[str, str]] = {
    ActivityType.MARKETING_EMAIL_SENT: (EMAIL_EVENTS, "SENT"),
    ActivityType.MARKETING_EMAIL_OPENED: (EMAIL_EVENTS, "OPEN"),
    ActivityType.MARKETING_EMAIL_CLICKED: (EMAIL_EVENTS, "CLICK"),
    ActivityType.FORM_SUBMISSION: (FORM_SUBMISSIONS, ""),
}

# Task fields an update carries over (HubSpot → Salesforce). TaskSubtype is create-only; Type
# follows the settings at create time; WhoId is decided once; OwnerId follows the activity's
# owner when it is mapped (`to_salesforce._carried`).
UPDATE_FIELDS = ("Subject", "Description", "Status", "Priority", "ActivityDate")


def update_content(fields: Mapping[str, Any]) -> dict[str, Any]:
    """The part of a task's fields whose change is carried over as an update."""
    return {name: fields[name] for name in UPDATE_FIELDS if name in fields}


# Subject prefixes of marketing events, as HubSpot writes them ("Opened: <email name>").
MARKETING_PREFIX = {
    ActivityType.MARKETING_EMAIL_SENT: "Sent",
    ActivityType.MARKETING_EMAIL_OPENED: "Opened",
    ActivityType.MARKETING_EMAIL_CLICKED: "Clicked",
    ActivityType.FORM_SUBMISSION: "Submitted",
}

# HubSpot task status → Salesforce Task Status (default picklist, apis.md §4.4) and back.
STATUS_TO_SALESFORCE = {
    "NOT_STARTED": "Not Started",
    "IN_PROGRESS": "In Progress",
    "WAITING": "Waiting on someone else",
    "DEFERRED": "Deferred",
    "COMPLETED": COMPLETED,
}
STATUS_TO_HUBSPOT = {value: key for key, value in STATUS_TO_SALESFORCE.items()}
PRIORITY_TO_SALESFORCE = {"HIGH": "High", "MEDIUM": "Normal", "LOW": "Low", "NONE": "Normal"}
PRIORITY_TO_HUBSPOT = {"High": "HIGH", "Normal": "MEDIUM", "Low": "LOW"}


def properties_to_read(activity_type: str) -> list[str]:
    kind = KINDS[activity_type]
    names = ["hs_timestamp", "hs_createdate", "hubspot_owner_id", kind.title_property]
    names.append(kind.body_property)
    if activity_type == ActivityType.HUBSPOT_TASK:
        names += ["hs_task_status", "hs_task_priority"]
    return [name for name in names if name]


def text_of(value: str | None) -> str:
    """HubSpot rich text as plain text for a Salesforce textarea."""
    text = re.sub(r"<br\s*/?>|</p>", "\n", value or "", flags=re.IGNORECASE)
    return html.unescape(re.sub(r"<[^>]+>", "", text)).strip()


def engagement_subject(activity_type: str, properties: Mapping[str, Any]) -> str:
    """An email's subject; meetings, calls and tasks their title; notes their first line."""
    kind = KINDS[activity_type]
    title = (properties.get(kind.title_property) or "").strip() if kind.title_property else ""
    if not title:
        first_line = text_of(properties.get(kind.body_property)).split("\n", 1)[0]
        title = first_line or ActivityType(activity_type).label.rstrip("s")
    return title[:SUBJECT_MAX]


def marketing_event_subject(activity_type: str, name: str) -> str:
    """ "Opened: <email name>", "Clicked: …", "Sent: …", "Submitted: <form name>"."""
    return f"{MARKETING_PREFIX[activity_type]}: {name}"[:SUBJECT_MAX]


def activity_date(timestamp: str | None) -> str | None:
    """The UTC calendar day of a HubSpot timestamp (ISO or ms), as a Salesforce date."""
    moment = parse_hubspot_time(timestamp)
    return moment.date().isoformat() if moment else None


def task_fields(
    activity_type: str,
    properties: Mapping[str, Any],
    *,
    task_type: str,
    marker: str,
    subject: str | None = None,
) -> dict[str, Any]:
    """The Salesforce Task fields of one HubSpot activity (without OwnerId and WhoId).

    Marketing events are Completed (they happened); engagements too, except HubSpot tasks, which
    keep their status. `marker` ends the Description: it names the source so that a run killed
    after the create can find the task instead of creating it twice (sync.activities.links).
    """
    kind = KINDS[activity_type]
    body = text_of(properties.get(kind.body_property)) if kind.body_property else ""
    room = DESCRIPTION_MAX - len(marker) - 2
    fields: dict[str, Any] = {
        "Subject": subject or engagement_subject(activity_type, properties),
        "Description": f"{body[:room]}\n\n{marker}" if body else marker,
        "Status": COMPLETED,
        "ActivityDate": activity_date(properties.get("hs_timestamp")),
        "TaskSubtype": kind.subtype,
    }
    if activity_type == ActivityType.HUBSPOT_TASK:
        fields["Status"] = STATUS_TO_SALESFORCE.get(properties.get("hs_task_status") or "", "")
        fields["Status"] = fields["Status"] or "Not Started"
        fields["Priority"] = PRIORITY_TO_SALESFORCE.get(properties.get("hs_task_priority") or "")
        fields["Priority"] = fields["Priority"] or "Normal"
    if task_type:
        fields["Type"] = task_type
    return {key: value for key, value in fields.items() if value is not None}


def marketing_event_fields(
    activity_type: str, *, name: str, occurred_at: dt.datetime, task_type: str, marker: str
) -> dict[str, Any]:
    """A marketing email event or form submission as a Completed task."""
    fields: dict[str, Any] = {
        "Subject": marketing_event_subject(activity_type, name),
        "Description": marker,
        "Status": COMPLETED,
        "ActivityDate": occurred_at.astimezone(dt.UTC).date().isoformat(),
        "TaskSubtype": "Task",
    }
    if task_type:
        fields["Type"] = task_type
    return fields
