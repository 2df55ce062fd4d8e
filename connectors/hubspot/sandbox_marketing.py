"""HubSpot sandbox: marketing events + attendance, timeline events, workflow-action callbacks.

apis.md §2.9 (timeline v3; templates belong to the app, so a test or the seed registers them with
`timeline_template_add`), §2.10 (marketing events v3; attendance by email creates missing contacts)
and §2.11 (automation v4 callbacks; `action_callback_start` plays HubSpot calling our action).
"""

from __future__ import annotations

import uuid
from typing import Any

from connectors.hubspot.sandbox_schema import EMAIL, properties_validate, timestamp_ms
from connectors.sandbox.core import (
    SandboxError,
    SandboxRequest,
    empty_response,
    json_response,
    route,
)

EVENTS = "/marketing/v3/marketing-events"
EVENT_FIELDS = {
    "externalAccountId",
    "externalEventId",
    "eventName",
    "eventOrganizer",
    "customProperties",
    "eventType",
    "startDateTime",
    "endDateTime",
    "eventDescription",
    "eventUrl",
    "eventCancelled",
    "eventCompleted",
}
EVENT_REQUIRED = ("externalAccountId", "externalEventId", "eventName", "eventOrganizer")
SUBSCRIBER_STATES = {"register": "REGISTERED", "attend": "ATTENDED", "cancel": "CANCELLED"}
ATTEND_PROPERTIES = {"joinedAt", "leftAt"}  # apis.md §2.10: duration is derived from these
TIMELINE_FIELDS = {
    "eventTemplateId",
    "email",
    "objectId",
    "utk",
    "domain",
    "tokens",
    "extraData",
    "timestamp",
    "id",
    "timelineIFrame",
}
EXECUTION_STATES = {"SUCCESS", "FAIL_CONTINUE"}


def _bad(message: str) -> SandboxError:
    return SandboxError(400, "VALIDATION_ERROR", message)


class MarketingMixin:
    marketing_events: dict[tuple[str, str], dict[str, Any]]
    # (externalAccountId, externalEventId, contact id, subscriber state) -> participation
    participations: dict[tuple[str, str, str, str], dict[str, Any]]
    timeline_templates: dict[str, dict[str, Any]]
    timeline_events: dict[str, dict[str, Any]]
    action_callbacks: dict[str, dict[str, Any] | None]  # callbackId -> outputFields once done

    # --- marketing events --------------------------------------------------------------------
    def _event_write(self, body: Any, *, external_event_id: str | None = None) -> dict:
        if not isinstance(body, dict):
            raise _bad("Request body must be a JSON object")
        if external_event_id is not None:
            body = {**body, "externalEventId": body.get("externalEventId", external_event_id)}
            if body["externalEventId"] != external_event_id:
                raise _bad("externalEventId in the body does not match the path")
        unknown = set(body) - EVENT_FIELDS
        if unknown:
            raise _bad(f"Unrecognized field(s): {sorted(unknown)}")
        missing = [name for name in EVENT_REQUIRED if not body.get(name)]
        if not isinstance(body.get("customProperties"), list):  # required, may be []
            missing.append("customProperties")
        if missing:
            raise _bad(f"Missing required field(s): {missing}")
        for name in ("startDateTime", "endDateTime"):
            if body.get(name) is not None and timestamp_ms(body[name]) is None:
                raise _bad(f"{name} must be an ISO 8601 date-time")
        key = (str(body["externalAccountId"]), str(body["externalEventId"]))
        now = self.now_iso()
        event = self.marketing_events.get(key) or {
            "id": self.next_object_id(),
            "createdAt": now,
            "eventCancelled": False,
            "eventCompleted": False,
        }
        event.update({name: body[name] for name in EVENT_FIELDS if name in body}, updatedAt=now)
        self.marketing_events[key] = event
        return event

    def _event(self, request: SandboxRequest, external_event_id: str) -> dict:
        account = request.arg("externalAccountId")
        if not account:
            raise _bad("externalAccountId is required")
        event = self.marketing_events.get((account, external_event_id))
        if event is None:
            raise SandboxError(
                404,
                "OBJECT_NOT_FOUND",
                f"Marketing event {external_event_id} not found for externalAccountId {account}",
            )
        return event

    @route("POST", f"{EVENTS}/events")
    def marketing_event_create(self, request: SandboxRequest):
        self._authorize(request, "crm.objects.marketing_events.write")
        body = request.json()
        key = (
            (str(body.get("externalAccountId")), str(body.get("externalEventId")))
            if isinstance(body, dict)
            else None
        )
        if key in self.marketing_events:
            # [UNVERIFIED] HubSpot's answer to creating an existing event; upsert with PUT instead.
            raise SandboxError(409, "CONFLICT", f"Marketing event {key[1]} already exists")
        return json_response(self._event_write(body), 200)

    @route("PUT", f"{EVENTS}/events/{{external_event_id}}")
    def marketing_event_upsert(self, request: SandboxRequest, external_event_id: str):
        self._authorize(request, "crm.objects.marketing_events.write")
        return json_response(self._event_write(request.json(), external_event_id=external_event_id))

    @route("GET", f"{EVENTS}/events/{{external_event_id}}")
    def marketing_event_get(self, request: SandboxRequest, external_event_id: str):
        self._authorize(request, "crm.objects.marketing_events.read")
        return json_response(self._event(request, external_event_id))

    @route("POST", f"{EVENTS}/events/{{external_event_id}}/complete")
    def marketing_event_complete(self, request: SandboxRequest, external_event_id: str):
        self._authorize(request, "crm.objects.marketing_events.write")
        event = self._event(request, external_event_id)
        body = request.json()
        if not isinstance(body, dict) or set(body) != {"startDateTime", "endDateTime"}:
            raise _bad("Body must be {startDateTime, endDateTime}")
        if any(timestamp_ms(body[name]) is None for name in body):
            raise _bad("startDateTime and endDateTime must be ISO 8601 date-times")
        event.update(body, eventCompleted=True, updatedAt=self.now_iso())
        return json_response(event)

    @route("POST", f"{EVENTS}/events/{{external_event_id}}/cancel")
    def marketing_event_cancel(self, request: SandboxRequest, external_event_id: str):
        self._authorize(request, "crm.objects.marketing_events.write")
        event = self._event(request, external_event_id)
        event.update(eventCancelled=True, updatedAt=self.now_iso())
        return json_response(event)

    @route("POST", f"{EVENTS}/attendance/{{external_event_id}}/{{state}}/email-create")
    def marketing_event_attendance(self, request: SandboxRequest, external_event_id, state):
        self._authorize(request, "crm.objects.marketing_events.write")
        if state not in SUBSCRIBER_STATES:
            raise _bad(f"subscriberState must be one of {sorted(SUBSCRIBER_STATES)}")
        event = self._event(request, external_event_id)
        account = request.arg("externalAccountId") or ""
        prepared = []
        for item in self.batch_inputs(request.json()):
            if not isinstance(item, dict) or set(item) - {
                "email",
                "interactionDateTime",
                "properties",
                "contactProperties",
            }:
                raise _bad(
                    "Each input must be {email, interactionDateTime, properties, contactProperties}"
                )
            extra = set(item.get("properties") or {}) - ATTEND_PROPERTIES
            if state == "attend" and extra:
                raise _bad(
                    f"Unsupported attendance properties {sorted(extra)}; use joinedAt, leftAt"
                )
            contact_values = properties_validate(
                self.properties["contacts"], item.get("contactProperties") or {}
            )
            prepared.append((item, contact_values))
        results, errors = [], []
        for item, contact_values in prepared:
            email = str(item.get("email") or "")
            if not EMAIL.match(email):
                errors.append(
                    {
                        "status": "error",
                        "category": "VALIDATION_ERROR",
                        "message": f"Invalid email address: {email!r}",
                        "context": {"emails": [email]},
                    }
                )
                continue
            contact = self.record_find_by("contacts", "email", email)
            if contact is None:  # email-create makes the contact (apis.md §0.5)
                contact = self.record_create("contacts", {**contact_values, "email": email})
            occurred = item.get("interactionDateTime") or self.now_ms()
            self.participations[(account, external_event_id, contact.id, state)] = {
                "contactId": contact.id,
                "state": SUBSCRIBER_STATES[state],
                "occurredAt": occurred,
                "properties": dict(item.get("properties") or {}),
                "eventId": event["id"],
                "createdAt": self.now_iso(),
            }
            results.append({"vid": int(contact.id), "email": email})
        return self.batch_response(results, errors)

    @route("GET", f"{EVENTS}/participations/{{external_account_id}}/{{external_event_id}}")
    def marketing_event_participation_counters(
        self, request, external_account_id, external_event_id
    ):
        self._authorize(request, "crm.objects.marketing_events.read")
        rows = self._participations(external_account_id, external_event_id)
        by_state = {
            s: {r["contactId"] for r in rows if r["state"] == s} for s in SUBSCRIBER_STATES.values()
        }
        no_shows = by_state["REGISTERED"] - by_state["ATTENDED"] - by_state["CANCELLED"]
        return json_response(
            {
                "attended": len(by_state["ATTENDED"]),
                "registered": len(by_state["REGISTERED"]),
                "cancelled": len(by_state["CANCELLED"]),
                "noShows": len(no_shows),
            }
        )

    @route(
        "GET", f"{EVENTS}/participations/{{external_account_id}}/{{external_event_id}}/breakdown"
    )
    def marketing_event_participation_breakdown(
        self, request, external_account_id, external_event_id
    ):
        self._authorize(request, "crm.objects.marketing_events.read")
        rows = self._participations(external_account_id, external_event_id)
        if request.arg("state"):
            rows = [r for r in rows if r["state"] == request.arg("state")]
        limit = request.int_arg("limit", 10, maximum=100)
        offset = request.int_arg("after", 0, minimum=0)
        event = self.marketing_events[(external_account_id, external_event_id)]
        results = []
        for row in rows[offset : offset + limit]:
            contact = self.objects["contacts"][row["contactId"]]
            results.append(
                {
                    "id": f"{row['eventId']}-{row['contactId']}-{row['state']}",
                    "createdAt": row["createdAt"],
                    "associations": {
                        "contact": {
                            "contactId": row["contactId"],
                            "email": contact.value("email"),
                            "firstname": contact.value("firstname"),
                            "lastname": contact.value("lastname"),
                        },
                        "marketingEvent": {
                            "externalAccountId": external_account_id,
                            "externalEventId": external_event_id,
                            "marketingEventId": event["id"],
                            "name": event["eventName"],
                        },
                    },
                    "properties": {
                        "attendanceState": row["state"],
                        "occurredAt": row["occurredAt"],
                        **row["properties"],
                    },
                }
            )
        body: dict[str, Any] = {"total": len(rows), "results": results}
        if offset + limit < len(rows):
            body["paging"] = {"next": {"after": str(offset + limit)}}
        return json_response(body)

    def _participations(self, account: str, external_event_id: str) -> list[dict]:
        if (account, external_event_id) not in self.marketing_events:
            raise SandboxError(
                404, "OBJECT_NOT_FOUND", f"Marketing event {external_event_id} not found"
            )
        return [
            row
            for (acc, ev, _contact, _state), row in self.participations.items()
            if (acc, ev) == (account, external_event_id)
        ]

    # --- timeline events ---------------------------------------------------------------------
    def timeline_template_add(
        self, *, name: str, tokens: list[dict], object_type: str = "contacts", template_id=None
    ) -> str:
        """Register an app event template (developer API in reality); returns its id."""
        template_id = str(template_id or 1_000_000 + len(self.timeline_templates) + 1)
        self.timeline_templates[template_id] = {
            "id": template_id,
            "name": name,
            "objectType": object_type,
            "tokens": tokens,
        }
        return template_id

    def _timeline_event_create(self, item: Any) -> dict:
        if not isinstance(item, dict):
            raise _bad("A timeline event must be a JSON object")
        unknown = set(item) - TIMELINE_FIELDS
        if unknown:
            raise _bad(f"Unrecognized field(s): {sorted(unknown)}")
        template = self.timeline_templates.get(str(item.get("eventTemplateId")))
        if template is None:
            # [UNVERIFIED] wording; the status follows apis.md §2.9 (unknown template → 404).
            raise SandboxError(
                404, "OBJECT_NOT_FOUND", f"Event template {item.get('eventTemplateId')} not found"
            )
        tokens = item.get("tokens")
        if not isinstance(tokens, dict):
            raise _bad("tokens is required and must be an object")
        known = {token["name"]: token for token in template["tokens"]}
        unknown_tokens = set(tokens) - set(known)
        if unknown_tokens:
            raise _bad(f"Unknown token(s) for template {template['id']}: {sorted(unknown_tokens)}")
        for name, value in tokens.items():
            kind = known[name].get("type", "string")
            if kind == "number" and not str(value).lstrip("-").replace(".", "", 1).isdigit():
                raise _bad(f"Token {name} must be a number")
            if kind == "date" and timestamp_ms(value) is None:
                raise _bad(f"Token {name} must be a date")
        object_type = template["objectType"]
        if item.get("objectId") is not None:
            target = self.record_get(object_type, str(item["objectId"]))
            if target is None:
                raise SandboxError(404, "OBJECT_NOT_FOUND", f"No {object_type} {item['objectId']}")
        elif item.get("email") and object_type == "contacts":
            if not EMAIL.match(str(item["email"])):
                raise _bad(f"Invalid email address: {item['email']!r}")
            target = self.record_find_by("contacts", "email", item["email"]) or self.record_create(
                "contacts", {"email": str(item["email"])}
            )
        else:
            raise _bad("One of objectId or email (contact templates) is required")
        event_id = str(item.get("id") or uuid.uuid4())
        if event_id in self.timeline_events:
            raise SandboxError(
                409, "CONFLICT", f"A timeline event with id {event_id} already exists"
            )
        event = {
            "id": event_id,
            "eventTemplateId": template["id"],
            "objectId": target.id,
            "email": target.value("email") if object_type == "contacts" else None,
            "objectType": object_type,
            "tokens": tokens,
            "extraData": item.get("extraData"),
            "timestamp": item.get("timestamp") or self.now_iso(),
            "createdAt": self.now_iso(),
        }
        self.timeline_events[event_id] = event
        return event

    @route("POST", "/integrators/timeline/v3/events")
    def timeline_event_create(self, request: SandboxRequest):
        self._authorize(request, "timeline")
        return json_response(self._timeline_event_create(request.json()), 201)

    @route("POST", "/integrators/timeline/v3/events/batch/create")
    def timeline_events_batch_create(self, request: SandboxRequest):
        self._authorize(request, "timeline")
        results, errors = [], []
        for index, item in enumerate(self.batch_inputs(request.json())):
            try:
                results.append(self._timeline_event_create(item))
            except SandboxError as error:
                errors.append(
                    {
                        "status": "error",
                        "category": str(error.code),
                        "message": error.message,
                        "context": {"index": [str(index)]},
                    }
                )
        return self.batch_response(results, errors, status=201)

    # --- workflow action callbacks -----------------------------------------------------------
    def action_callback_start(self, callback_id: str | None = None) -> str:
        """HubSpot executed our custom action and waits (BLOCK) on this callbackId."""
        callback_id = callback_id or f"ap-{uuid.uuid4().hex[:12]}-{len(self.action_callbacks)}"
        self.action_callbacks[callback_id] = None
        return callback_id

    def _callback_complete(self, callback_id: str, body: Any) -> None:
        if not isinstance(body, dict) or not isinstance(body.get("outputFields"), dict):
            raise _bad("Body must be {outputFields: {...}}")
        state = body["outputFields"].get("hs_execution_state")
        if state is not None and state not in EXECUTION_STATES:
            raise _bad(f"hs_execution_state must be one of {sorted(EXECUTION_STATES)}")
        if callback_id not in self.action_callbacks:
            # [UNVERIFIED] HubSpot's answer for an unknown or expired callbackId.
            raise SandboxError(404, "OBJECT_NOT_FOUND", f"Callback {callback_id} not found")
        if self.action_callbacks[callback_id] is not None:
            raise _bad(f"Callback {callback_id} was already completed")

    @route("POST", "/automation/v4/actions/callbacks/{callback_id}/complete")
    def action_callback_complete(self, request: SandboxRequest, callback_id: str):
        self._authorize(request, "automation")
        body = request.json()
        self._callback_complete(callback_id, body)
        self.action_callbacks[callback_id] = body["outputFields"]
        return empty_response(204)

    @route("POST", "/automation/v4/actions/callbacks/complete")
    def action_callbacks_complete(self, request: SandboxRequest):
        self._authorize(request, "automation")
        inputs = self.batch_inputs(request.json())
        for item in inputs:  # all validated before any is completed
            if not isinstance(item, dict) or "callbackId" not in item:
                raise _bad("Each input must be {callbackId, outputFields}")
            self._callback_complete(str(item["callbackId"]), item)
        for item in inputs:
            self.action_callbacks[str(item["callbackId"])] = item["outputFields"]
        return empty_response(204)
