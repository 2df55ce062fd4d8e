"""HubSpotClient, marketing side: marketing events and attendance, timeline events, workflow-action
callbacks (apis.md §2.9 to §2.11). Mixed into `HubSpotClient`; see client.py for the conventions.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

from connectors.http import response_json

if TYPE_CHECKING:
    from connectors.hubspot.client import BatchResult

EVENTS = "/marketing/v3/marketing-events"
SubscriberState = Literal["register", "attend", "cancel"]


def iso(value: dt.datetime | str) -> str:
    """ISO 8601 in UTC for HubSpot (naive datetimes are taken as UTC)."""
    if isinstance(value, str):
        return value
    if value.tzinfo is None:
        value = value.replace(tzinfo=dt.UTC)
    return value.astimezone(dt.UTC).isoformat().replace("+00:00", "Z")


def epoch_ms(value: dt.datetime | int) -> int:
    if isinstance(value, int):
        return value
    if value.tzinfo is None:
        value = value.replace(tzinfo=dt.UTC)
    return round(value.timestamp() * 1000)


@dataclass(frozen=True)
class Attendance:
    """One person's registration/attendance/cancellation to report by email.

    `joined_at`/`left_at` are only sent for "attend" (HubSpot derives the duration from them).
    `contact_properties` are used when HubSpot creates the contact.
    """

    email: str
    occurred_at: dt.datetime | int
    joined_at: dt.datetime | int | None = None
    left_at: dt.datetime | int | None = None
    contact_properties: Mapping[str, str] = field(default_factory=dict)

    def as_input(self, state: SubscriberState) -> dict[str, Any]:
        item: dict[str, Any] = {
            "email": self.email,
            "interactionDateTime": epoch_ms(self.occurred_at),
        }
        if state == "attend":
            times = {"joinedAt": self.joined_at, "leftAt": self.left_at}
            item["properties"] = {k: str(epoch_ms(v)) for k, v in times.items() if v is not None}
        if self.contact_properties:
            item["contactProperties"] = dict(self.contact_properties)
        return item


class MarketingClientMixin:
    """Marketing events v3, timeline v3 and automation v4 callbacks.

    Relies on `HubSpotClient._call` (one request with the rate limits) and `_batched` (chunks of
    100, results and 207 errors merged).
    """

    # --- marketing events --------------------------------------------------------------------
    def marketing_event_upsert(
        self,
        *,
        external_account_id: str,
        external_event_id: str,
        event_name: str,
        event_organizer: str,
        start: dt.datetime | str | None = None,
        end: dt.datetime | str | None = None,
        event_type: str = "WEBINAR",
        description: str | None = None,
        url: str | None = None,
        custom_properties: Sequence[Mapping[str, str]] = (),
    ) -> dict[str, Any]:
        """Create or update our event (PUT /events/{externalEventId}); returns the event."""
        body: dict[str, Any] = {
            "externalAccountId": external_account_id,
            "externalEventId": external_event_id,
            "eventName": event_name,
            "eventOrganizer": event_organizer,
            "eventType": event_type,
            "customProperties": [dict(p) for p in custom_properties],
        }
        optional = {"startDateTime": start, "endDateTime": end}
        body.update({k: iso(v) for k, v in optional.items() if v is not None})
        if description is not None:
            body["eventDescription"] = description
        if url is not None:
            body["eventUrl"] = url
        return response_json(
            self._call(
                "PUT",
                f"{EVENTS}/events/{{event_id}}",
                path_params={"event_id": external_event_id},
                json=body,
            )
        )

    def marketing_event_get(
        self, *, external_account_id: str, external_event_id: str
    ) -> dict[str, Any] | None:
        """The event, or None when HubSpot does not know it (404)."""
        response = self._call(
            "GET",
            f"{EVENTS}/events/{{event_id}}",
            path_params={"event_id": external_event_id},
            params={"externalAccountId": external_account_id},
            ok_statuses=(404,),
        )
        return None if response.status_code == 404 else response_json(response)

    def marketing_event_complete(
        self,
        *,
        external_account_id: str,
        external_event_id: str,
        start: dt.datetime | str,
        end: dt.datetime | str,
    ) -> dict[str, Any]:
        """Mark the event completed with its real start and end."""
        return response_json(
            self._call(
                "POST",
                f"{EVENTS}/events/{{event_id}}/complete",
                path_params={"event_id": external_event_id},
                params={"externalAccountId": external_account_id},
                json={"startDateTime": iso(start), "endDateTime": iso(end)},
            )
        )

    def marketing_event_cancel(
        self, *, external_account_id: str, external_event_id: str
    ) -> dict[str, Any]:
        return response_json(
            self._call(
                "POST",
                f"{EVENTS}/events/{{event_id}}/cancel",
                path_params={"event_id": external_event_id},
                params={"externalAccountId": external_account_id},
            )
        )

    def marketing_event_attendance(
        self,
        *,
        external_account_id: str,
        external_event_id: str,
        state: SubscriberState,
        attendances: Sequence[Attendance],
    ) -> BatchResult:
        """Record register/attend/cancel by email, creating missing contacts (email-create).

        Sent in chunks of 100; per-email failures come back in `errors` (207), not raised.
        """
        return self._batched(
            "POST",
            f"{EVENTS}/attendance/{{event_id}}/{{state}}/email-create",
            [a.as_input(state) for a in attendances],
            path_params={"event_id": external_event_id, "state": state},
            params={"externalAccountId": external_account_id},
        )

    def marketing_event_participations(
        self, *, external_account_id: str, external_event_id: str, state: str | None = None
    ) -> Iterator[dict[str, Any]]:
        """Every participation row (breakdown), following the `after` cursor."""
        params: dict[str, Any] = {"limit": 100}
        if state:
            params["state"] = state
        path = f"{EVENTS}/participations/{{account_id}}/{{event_id}}/breakdown"
        ids = {"account_id": external_account_id, "event_id": external_event_id}
        while True:
            page = response_json(self._call("GET", path, path_params=ids, params=params))
            yield from page.get("results", [])
            after = page.get("paging", {}).get("next", {}).get("after")
            if not after:
                return
            params["after"] = after

    def marketing_event_participation_counters(
        self, *, external_account_id: str, external_event_id: str
    ) -> dict[str, int]:
        """{attended, registered, cancelled, noShows} for the event."""
        return response_json(
            self._call(
                "GET",
                f"{EVENTS}/participations/{{account_id}}/{{event_id}}",
                path_params={"account_id": external_account_id, "event_id": external_event_id},
            )
        )

    # --- timeline events ---------------------------------------------------------------------
    def timeline_event_create(self, event: Mapping[str, Any]) -> dict[str, Any]:
        """Send one timeline event ({eventTemplateId, email|objectId, tokens, ...}); 404 raises
        NotFoundError when the template does not exist in the portal."""
        return response_json(
            self._call("POST", "/integrators/timeline/v3/events", json=dict(event))
        )

    def batch_create_timeline_events(self, events: Sequence[Mapping[str, Any]]) -> BatchResult:
        """Send events in chunks of 100; failures per event are in `errors` (207)."""
        return self._batched(
            "POST", "/integrators/timeline/v3/events/batch/create", [dict(e) for e in events]
        )

    # --- workflow action callbacks -----------------------------------------------------------
    def action_callback_complete(self, callback_id: str, output_fields: Mapping[str, Any]) -> None:
        """Finish a BLOCKed custom-action execution (204)."""
        self._call(
            "POST",
            "/automation/v4/actions/callbacks/{callback_id}/complete",
            path_params={"callback_id": callback_id},
            json={"outputFields": dict(output_fields)},
        )

    def batch_complete_action_callbacks(self, outputs: Mapping[str, Mapping[str, Any]]) -> None:
        """Complete many executions: callbackId -> outputFields, in chunks of 100."""
        inputs = [{"callbackId": k, "outputFields": dict(v)} for k, v in outputs.items()]
        self._batched("POST", "/automation/v4/actions/callbacks/complete", inputs)
