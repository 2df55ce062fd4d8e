"""Zoom webhook events → webinar sync runs: parse, resolve the account, dedupe, enqueue.

Called by the view in `sync.webinars.webhooks` after the signature has been verified. Nothing
here calls a vendor: an event only records itself and asks for (coalesced) sync runs, so the
view answers well within Zoom's 3 s (apis.md §3.6). The runs re-read Zoom; an event's payload
is a hint about *which* webinar changed, never the data that is synced.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
from dataclasses import dataclass
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts.models import Organization
from connectors.installations import installations_for_account
from sync.models import SyncRun, Webinar, ZoomWebhookEvent
from sync.webinars.runs import webinar_ensure, webinar_sync_request

REGISTRATION_EVENTS = frozenset(
    {
        "webinar.registration_created",
        "webinar.registration_approved",
        "webinar.registration_denied",
        "webinar.registration_cancelled",
    }
)
WEBINAR_EVENTS = REGISTRATION_EVENTS | {
    "webinar.participant_joined",
    "webinar.participant_left",
    "webinar.started",
    "webinar.updated",
    "webinar.created",
    "webinar.deleted",
    "webinar.ended",
}
# Recording events are sent for meetings too; only webinar recordings concern us.
RECORDING_EVENTS = frozenset({"recording.completed", "recording.transcript_completed"})
HANDLED_EVENTS = WEBINAR_EVENTS | RECORDING_EVENTS

# Zoom's recording `type`: 5 webinar, 6 recurring webinar without, 9 with a fixed time.
WEBINAR_TYPES = frozenset({5, 6, 9})

# Zoom publishes the participants report some time after a webinar ends (minutes, sometimes
# hours), so `webinar.ended` asks for follow-up runs besides the immediate one.
ENDED_FOLLOW_UP_DELAYS = (
    dt.timedelta(minutes=10),
    dt.timedelta(hours=1),
    dt.timedelta(hours=6),
)

_WEBINAR_ID = re.compile(r"[0-9]{1,32}")
_MAX_EVENT_TS = 2**53  # anything larger is not a millisecond timestamp (and overflows a column)


class MalformedEvent(ValueError):
    """The (authentic) body is not a Zoom event we can read; answer 400."""


@dataclass(frozen=True)
class ZoomEvent:
    """The parts of an event envelope that decide what to do."""

    name: str
    event_ts: int | None
    account_id: str
    zoom_webinar_id: str
    host_id: str
    zoom_type: int | None
    occurrence_only: bool
    dedupe_key: str


def zoom_event_parse(envelope: Any) -> ZoomEvent:
    """Read a handled event's envelope {event, event_ts, payload{account_id, object}}.

    Raises MalformedEvent when a field we rely on is missing or of the wrong type.
    """
    if not isinstance(envelope, dict):
        raise MalformedEvent("body is not a JSON object")
    name = _text(envelope.get("event"), "event", max_length=64)
    payload = envelope.get("payload")
    if not isinstance(payload, dict):
        raise MalformedEvent("payload is not an object")
    obj = payload.get("object")
    if not isinstance(obj, dict):
        raise MalformedEvent("payload.object is not an object")
    webinar_id = obj.get("id")
    if isinstance(webinar_id, bool) or not isinstance(webinar_id, int | str):
        raise MalformedEvent("payload.object.id is missing")
    webinar_id = str(webinar_id)
    if not _WEBINAR_ID.fullmatch(webinar_id):
        raise MalformedEvent("payload.object.id is not a Zoom id")
    host_id = obj.get("host_id")
    zoom_type = obj.get("type")
    occurrences = obj.get("occurrences")
    return ZoomEvent(
        name=name,
        event_ts=_event_ts(envelope.get("event_ts")),
        account_id=_text(payload.get("account_id"), "payload.account_id", max_length=128),
        zoom_webinar_id=webinar_id,
        host_id="" if host_id in (None, "") else _text(host_id, "host_id", max_length=64),
        zoom_type=zoom_type
        if isinstance(zoom_type, int) and not isinstance(zoom_type, bool)
        else None,
        # Deleting one occurrence of a recurring webinar names it (`operation` "single" and the
        # `occurrences` deleted); the webinar itself lives on.
        occurrence_only=payload.get("operation") == "single" or bool(occurrences),
        dedupe_key=zoom_event_dedupe_key(envelope),
    )


def zoom_event_dedupe_key(envelope: dict) -> str:
    """A stable key for one event, the same on every delivery of it.

    Zoom documents no delivery id: `x-zm-trackingid` is sent but not documented as stable
    across retries, so the key is the event's own identity: name, `event_ts` (milliseconds)
    and the ids of the webinar, its instance, and the registrant or participant concerned.
    Without `event_ts` the whole envelope is the identity.
    """
    payload = envelope.get("payload") if isinstance(envelope.get("payload"), dict) else {}
    obj = payload.get("object") if isinstance(payload.get("object"), dict) else {}
    person = obj.get("registrant") or obj.get("participant") or {}
    person = person if isinstance(person, dict) else {"value": person}
    identity: Any = [
        envelope.get("event"),
        envelope.get("event_ts"),
        payload.get("account_id"),
        obj.get("id"),
        obj.get("uuid"),
        [person.get(key) for key in ("id", "user_id", "participant_uuid", "email")],
        [person.get(key) for key in ("join_time", "leave_time")],
    ]
    if _event_ts(envelope.get("event_ts")) is None:
        identity = envelope
    canonical = json.dumps(identity, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()


def zoom_account_organizations(*, account_id: str) -> list[Organization]:
    """The organisations whose active Zoom connection is to this Zoom account."""
    # One connection per organisation and provider: no organisation comes twice.
    installations = installations_for_account(provider="zoom", external_account_id=account_id)
    return [installation.connection.organization for installation in installations]


def zoom_webhook_receive(*, envelope: Any, tracking_id: str = "") -> dict[str, Any]:
    """Act on one verified Zoom event; return the JSON body to answer Zoom with (HTTP 200).

    For each organisation connected to the event's account: record the event (once: a
    redelivery finds the record and does nothing), make sure the webinar is in the ledger and
    ask for a sync run, coalesced with one already queued. Raises MalformedEvent (answer 400).
    Each organisation's record and runs commit together, so a failure leaves nothing behind
    and Zoom's retry starts afresh.
    """
    if not isinstance(envelope, dict):
        raise MalformedEvent("body is not a JSON object")
    name = _text(envelope.get("event"), "event", max_length=64)
    if name not in HANDLED_EVENTS:
        return {"ignored": name}
    event = zoom_event_parse(envelope)
    organizations = zoom_account_organizations(account_id=event.account_id)
    if not organizations:
        return {"ignored": "unknown account"}
    accepted = duplicates = 0
    for organization in organizations:
        if not _concerns(organization, event):
            continue
        with transaction.atomic():
            record = _record(organization, event, tracking_id)
            if record is None:
                duplicates += 1
                continue
            _act(organization, event, record)
            accepted += 1
    if accepted:
        return {"accepted": name, "organizations": accepted}
    if duplicates:
        return {"duplicate": True}
    return {"ignored": "not a webinar"}


def _concerns(organization: Organization, event: ZoomEvent) -> bool:
    if event.name not in RECORDING_EVENTS or event.zoom_type in WEBINAR_TYPES:
        return True
    # A recording without a webinar type: only act for a webinar we already know.
    return Webinar.objects.filter(
        organization=organization, zoom_webinar_id=event.zoom_webinar_id
    ).exists()


def _record(
    organization: Organization, event: ZoomEvent, tracking_id: str
) -> ZoomWebhookEvent | None:
    """The new record of this event for the organisation, or None when it was seen before."""
    try:
        with transaction.atomic():
            return ZoomWebhookEvent.objects.create(
                organization=organization,
                event=event.name,
                event_ts=event.event_ts,
                dedupe_key=event.dedupe_key,
                tracking_id=tracking_id,
                zoom_webinar_id=event.zoom_webinar_id,
            )
    except IntegrityError:
        return None


def _act(organization: Organization, event: ZoomEvent, record: ZoomWebhookEvent) -> None:
    webinar = webinar_ensure(
        organization=organization,
        zoom_webinar_id=event.zoom_webinar_id,
        host_zoom_user_id=event.host_id or None,
    )
    outcome = ["sync requested"]
    if event.name == "webinar.deleted" and not event.occurrence_only:
        # The run sees the status and cancels the HubSpot marketing event.
        if webinar.status != Webinar.Status.CANCELLED:
            webinar.status = Webinar.Status.CANCELLED
            webinar.save(update_fields=["status"])
        outcome.insert(0, "webinar cancelled")
    run = webinar_sync_request(webinar=webinar, trigger=SyncRun.Trigger.WEBHOOK)
    if event.name == "webinar.ended":
        now = timezone.now()
        for delay in ENDED_FOLLOW_UP_DELAYS:
            webinar_sync_request(
                webinar=webinar, trigger=SyncRun.Trigger.WEBHOOK, not_before=now + delay
            )
        outcome.append(f"{len(ENDED_FOLLOW_UP_DELAYS)} delayed runs for the report")
    record.webinar = webinar
    record.run = run
    record.outcome = "; ".join(outcome)
    record.save(update_fields=["webinar", "run", "outcome"])


def _text(value: Any, field: str, *, max_length: int) -> str:
    if not isinstance(value, str) or not value or len(value) > max_length:
        raise MalformedEvent(f"{field} is missing or too long")
    if not value.isprintable():
        raise MalformedEvent(f"{field} contains control characters")
    return value


def _event_ts(value: Any) -> int | None:
    if isinstance(value, str) and value.isascii() and value.isdigit() and len(value) <= 16:
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value < _MAX_EVENT_TS:
        return None
    return value
