"""HubSpotClient, engagements: create, read, update and incrementally list meetings, tasks,
notes, calls and emails, one at a time or in batches, with their associations (apis.md §2.7,
§2.8). Mixed into `HubSpotClient`; see client.py for the conventions.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from connectors.http import response_json

if TYPE_CHECKING:
    from connectors.hubspot.client import BatchResult

ENGAGEMENT_TYPES = ("meetings", "tasks", "notes", "calls", "emails")


@dataclass(frozen=True)
class EngagementInput:
    """Properties of one engagement to create and the records to associate it with."""

    properties: Mapping[str, Any]
    contact_ids: Sequence[str] = ()
    company_ids: Sequence[str] = ()
    deal_ids: Sequence[str] = ()


def engagement_associations(
    contact_ids: Iterable[str], company_ids: Iterable[str], kind: str, deal_ids: Iterable[str] = ()
):
    """The `associations` of a create request, with default HUBSPOT_DEFINED type ids
    engagement -> contact / company / deal (apis.md §2.7) [PARTIAL]."""
    to_contact = {"meetings": 200, "tasks": 204, "notes": 202, "calls": 194, "emails": 198}
    to_company = {"meetings": 188, "tasks": 192, "notes": 190, "calls": 182, "emails": 186}
    to_deal = {"meetings": 212, "tasks": 216, "notes": 214, "calls": 206, "emails": 210}
    links = [(i, to_contact[kind]) for i in contact_ids]
    links += [(i, to_company[kind]) for i in company_ids]
    links += [(i, to_deal[kind]) for i in deal_ids]
    return [
        {
            "to": {"id": str(object_id)},
            "types": [{"associationCategory": "HUBSPOT_DEFINED", "associationTypeId": type_id}],
        }
        for object_id, type_id in links
    ]


class EngagementsClientMixin:
    """Relies on `HubSpotClient._call`, `_batched`, `_get_or_none` and `modified_since`."""

    # --- engagements ---------------------------------------------------------------------------
    def engagement_create(
        self, object_type: str, engagement: EngagementInput, *, idempotent: bool = True
    ) -> dict[str, Any]:
        """Create a meeting/task/note/call/email associated with contacts and companies.
        `idempotent=False`: not resent after a timeout or 5xx (see `HttpClient.request`)."""
        body = {
            "properties": dict(engagement.properties),
            "associations": engagement_associations(
                engagement.contact_ids, engagement.company_ids, object_type, engagement.deal_ids
            ),
        }
        return response_json(
            self._call(
                "POST",
                "/crm/v3/objects/{object_type}",
                path_params={"object_type": object_type},
                json=body,
                idempotent=idempotent,
            )
        )

    def engagement_update(
        self, object_type: str, engagement_id: str, properties: Mapping[str, Any]
    ) -> dict[str, Any]:
        return response_json(
            self._call(
                "PATCH",
                "/crm/v3/objects/{object_type}/{engagement_id}",
                path_params={"object_type": object_type, "engagement_id": engagement_id},
                json={"properties": dict(properties)},
            )
        )

    def engagement_get(
        self, object_type: str, engagement_id: str, *, properties: Sequence[str] = ()
    ) -> dict[str, Any] | None:
        params = {"properties": ",".join(properties)} if properties else {}
        return self._get_or_none(
            "/crm/v3/objects/{object_type}/{engagement_id}",
            path_params={"object_type": object_type, "engagement_id": engagement_id},
            params=params,
        )

    def meeting_create(
        self,
        properties: Mapping[str, Any],
        *,
        contact_ids: Sequence[str] = (),
        company_ids: Sequence[str] = (),
    ) -> dict[str, Any]:
        """A meeting (`hs_timestamp` required) linked to contacts (type 200) and companies.
        Not resent after a timeout: the caller looks for it before creating again."""
        return self.engagement_create(
            "meetings", EngagementInput(properties, contact_ids, company_ids), idempotent=False
        )

    def meeting_update(self, meeting_id: str, properties: Mapping[str, Any]) -> dict[str, Any]:
        return self.engagement_update("meetings", meeting_id, properties)

    def task_create(
        self,
        properties: Mapping[str, Any],
        *,
        contact_ids: Sequence[str] = (),
        company_ids: Sequence[str] = (),
        deal_ids: Sequence[str] = (),
    ) -> dict[str, Any]:
        """A task (`hs_timestamp` = due date, required) linked to contacts (type 204), companies
        (192) and deals (216)."""
        return self.engagement_create(
            "tasks", EngagementInput(properties, contact_ids, company_ids, deal_ids)
        )

    def task_update(self, task_id: str, properties: Mapping[str, Any]) -> dict[str, Any]:
        return self.engagement_update("tasks", task_id, properties)

    def batch_create_tasks(self, tasks: Sequence[EngagementInput]) -> BatchResult:
        """Create tasks 100 per call; results come back in input order."""
        return self.batch_create_engagements("tasks", tasks)

    def batch_create_engagements(
        self, object_type: str, engagements: Sequence[EngagementInput]
    ) -> BatchResult:
        """Create notes/tasks/... 100 per call, each associated with its contacts and companies
        (e.g. a note per contact: `hs_timestamp` and `hs_note_body`, apis.md §2.7/§2.8)."""
        if object_type not in ENGAGEMENT_TYPES:
            raise ValueError(f"not an engagement type: {object_type}")
        inputs = [
            {
                "properties": dict(e.properties),
                "associations": engagement_associations(
                    e.contact_ids, e.company_ids, object_type, e.deal_ids
                ),
            }
            for e in engagements
        ]
        return self._batched(
            "POST",
            "/crm/v3/objects/{object_type}/batch/create",
            inputs,
            path_params={"object_type": object_type},
        )

    def batch_update_tasks(self, updates: Sequence[tuple[str, Mapping[str, Any]]]) -> BatchResult:
        """Change tasks' properties: (task id, properties) pairs, 100 per call."""
        return self.batch_update_engagements("tasks", updates)

    def batch_update_engagements(
        self, object_type: str, updates: Sequence[tuple[str, Mapping[str, Any]]]
    ) -> BatchResult:
        """Change properties of many engagements, `POST .../batch/update` with inputs
        [{id, properties}], 100 per call (apis.md §2.4). `results` are the updated records (in
        no promised order); ids HubSpot cannot update are 207 `errors` (OBJECT_NOT_FOUND names
        them in `context.ids`). An invalid property value refuses a whole call (PermanentError).
        """
        if object_type not in ENGAGEMENT_TYPES:
            raise ValueError(f"not an engagement type: {object_type}")
        inputs = [{"id": str(i), "properties": dict(p)} for i, p in updates]
        return self._batched(
            "POST",
            "/crm/v3/objects/{object_type}/batch/update",
            inputs,
            path_params={"object_type": object_type},
        )

    def engagements_modified_since(
        self, object_type: str, since: dt.datetime | int, *, properties: Sequence[str] = ()
    ) -> Iterator[dict[str, Any]]:
        """Engagements changed at or after `since` (see `modified_since`)."""
        if object_type not in ENGAGEMENT_TYPES:
            raise ValueError(f"not an engagement type: {object_type}")
        return self.modified_since(object_type, since, properties=properties)

    def batch_read_engagements(
        self, object_type: str, ids: Sequence[str], *, properties: Sequence[str] = ()
    ) -> BatchResult:
        """Engagements by id (100 per call); unknown or deleted ones are in `errors`."""
        if object_type not in ENGAGEMENT_TYPES:
            raise ValueError(f"not an engagement type: {object_type}")
        return self._batched(
            "POST",
            "/crm/v3/objects/{object_type}/batch/read",
            [{"id": str(i)} for i in ids],
            path_params={"object_type": object_type},
            extra={"properties": list(properties)},
        )
