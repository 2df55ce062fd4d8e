"""HubSpotClient, CRM schema and activity side: properties and groups, owners and users,
engagements (meetings, tasks, ...) and v4 associations (apis.md §2.5 to §2.8). Mixed into
`HubSpotClient`; see client.py for the conventions.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from connectors.errors import ConnectorError

if TYPE_CHECKING:
    from connectors.hubspot.client import BatchResult

ENGAGEMENT_TYPES = ("meetings", "tasks", "notes", "calls", "emails")
PRIMARY_CONTACT_TO_COMPANY = 1  # HUBSPOT_DEFINED "Primary" contact → company type (§2.7)


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


class CrmClientMixin:
    """Relies on `HubSpotClient._call`, `_batched`, `_get_or_none`, `_all_pages` and
    `modified_since`."""

    # --- properties ----------------------------------------------------------------------------
    def properties_list(self, object_type: str) -> list[dict[str, Any]]:
        return self._call(
            "GET", "/crm/v3/properties/{object_type}", path_params={"object_type": object_type}
        ).json()["results"]

    def property_get(self, object_type: str, name: str) -> dict[str, Any] | None:
        return self._get_or_none(
            "/crm/v3/properties/{object_type}/{name}",
            path_params={"object_type": object_type, "name": name},
        )

    def property_create(self, object_type: str, definition: Mapping[str, Any]) -> dict[str, Any]:
        """Create a property ({name, label, type, fieldType, groupName, ...}); 409 if it exists."""
        return self._call(
            "POST",
            "/crm/v3/properties/{object_type}",
            path_params={"object_type": object_type},
            json=dict(definition),
        ).json()

    def property_ensure(self, object_type: str, definition: Mapping[str, Any]) -> dict[str, Any]:
        """The property named in `definition`, created if missing (an existing one is kept)."""
        existing = self.property_get(object_type, definition["name"])
        if existing is not None:
            return existing
        try:
            return self.property_create(object_type, definition)
        except ConnectorError as error:
            if error.status != 409:  # 409: created concurrently, read it back
                raise
        return self.property_get(object_type, definition["name"]) or {}

    def property_groups_list(self, object_type: str) -> list[dict[str, Any]]:
        return self._call(
            "GET",
            "/crm/v3/properties/{object_type}/groups",
            path_params={"object_type": object_type},
        ).json()["results"]

    def property_group_create(
        self, object_type: str, *, name: str, label: str, display_order: int = -1
    ) -> dict[str, Any]:
        return self._call(
            "POST",
            "/crm/v3/properties/{object_type}/groups",
            path_params={"object_type": object_type},
            json={"name": name, "label": label, "displayOrder": display_order},
        ).json()

    def property_group_ensure(self, object_type: str, *, name: str, label: str) -> dict[str, Any]:
        """The group `name`, created if missing."""
        for group in self.property_groups_list(object_type):
            if group["name"] == name:
                return group
        try:
            return self.property_group_create(object_type, name=name, label=label)
        except ConnectorError as error:
            if error.status != 409:
                raise
        return next(g for g in self.property_groups_list(object_type) if g["name"] == name)

    # --- owners and users ----------------------------------------------------------------------
    def owners(self, *, email: str | None = None) -> list[dict[str, Any]]:
        """All active owners (every page); `hubspot_owner_id` values are owner `id`s."""
        params: dict[str, Any] = {"limit": 100}
        if email:
            params["email"] = email
        return list(self._all_pages("/crm/v3/owners", params))

    def owner_by_email(self, email: str) -> dict[str, Any] | None:
        found = self.owners(email=email)
        return found[0] if found else None

    def users(self) -> list[dict[str, Any]]:
        return list(self._all_pages("/settings/users/v3", {"limit": 100}))

    # --- engagements ---------------------------------------------------------------------------
    def engagement_create(self, object_type: str, engagement: EngagementInput) -> dict[str, Any]:
        """Create a meeting/task/note/call/email associated with contacts and companies."""
        body = {
            "properties": dict(engagement.properties),
            "associations": engagement_associations(
                engagement.contact_ids, engagement.company_ids, object_type, engagement.deal_ids
            ),
        }
        return self._call(
            "POST",
            "/crm/v3/objects/{object_type}",
            path_params={"object_type": object_type},
            json=body,
        ).json()

    def engagement_update(
        self, object_type: str, engagement_id: str, properties: Mapping[str, Any]
    ) -> dict[str, Any]:
        return self._call(
            "PATCH",
            "/crm/v3/objects/{object_type}/{engagement_id}",
            path_params={"object_type": object_type, "engagement_id": engagement_id},
            json={"properties": dict(properties)},
        ).json()

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
        """A meeting (`hs_timestamp` required) linked to contacts (type 200) and companies."""
        return self.engagement_create(
            "meetings", EngagementInput(properties, contact_ids, company_ids)
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

    # --- deals -----------------------------------------------------------------------------------
    def batch_read_deals(
        self, ids: Sequence[str], *, properties: Sequence[str] = ()
    ) -> BatchResult:
        """Deals by id, 100 per call (scope `crm.objects.deals.read`)."""
        return self._batched(
            "POST",
            "/crm/v3/objects/deals/batch/read",
            [{"id": str(i)} for i in ids],
            extra={"properties": list(properties)},
        )

    # --- associations (v4) ---------------------------------------------------------------------
    def associate_default(self, from_type: str, from_id: str, to_type: str, to_id: str) -> None:
        """Link two records with the default (unlabeled) association, both directions."""
        self._call(
            "PUT",
            "/crm/v4/objects/{from_type}/{from_id}/associations/default/{to_type}/{to_id}",
            path_params={
                "from_type": from_type,
                "from_id": from_id,
                "to_type": to_type,
                "to_id": to_id,
            },
        )

    def associated_ids(self, from_type: str, from_id: str, to_type: str) -> list[str]:
        """Ids of the `to_type` records linked to one record (every page)."""
        rows = self._all_pages(
            "/crm/v4/objects/{from_type}/{from_id}/associations/{to_type}",
            {"limit": 500},
            path_params={"from_type": from_type, "from_id": from_id, "to_type": to_type},
        )
        return [str(row["toObjectId"]) for row in rows]

    def batch_read_associations(
        self, from_type: str, to_type: str, ids: Sequence[str]
    ) -> dict[str, list[str]]:
        """from id -> linked `to_type` ids, for many records (100 per call; unknown ids → [])."""
        result = self._batched(
            "POST",
            "/crm/v4/associations/{from_type}/{to_type}/batch/read",
            [{"id": str(i)} for i in ids],
            path_params={"from_type": from_type, "to_type": to_type},
        )
        linked = {str(i): [] for i in ids}
        for row in result.results:
            linked[str(row["from"]["id"])] = [str(to["toObjectId"]) for to in row.get("to", [])]
        return linked

    def primary_company_ids(self, contact_ids: Sequence[str]) -> dict[str, str]:
        """contact id -> its primary company id ("" without company), 100 contacts per call.

        The primary company is the link with the HUBSPOT_DEFINED "Primary" type (contact →
        company type 1, apis.md §2.7); a contact linked without one gets its first (lowest id)
        company, which is what HubSpot shows as primary for records created before labels.
        """
        result = self._batched(
            "POST",
            "/crm/v4/associations/{from_type}/{to_type}/batch/read",
            [{"id": str(i)} for i in contact_ids],
            path_params={"from_type": "contacts", "to_type": "companies"},
        )
        primary = {str(i): "" for i in contact_ids}
        for row in result.results:
            links = row.get("to", [])
            chosen = next(
                (
                    link
                    for link in links
                    if any(
                        t.get("typeId") == PRIMARY_CONTACT_TO_COMPANY
                        for t in link.get("associationTypes", [])
                    )
                ),
                links[0] if links else None,
            )
            primary[str(row["from"]["id"])] = str(chosen["toObjectId"]) if chosen else ""
        return primary

    # --- archived records ----------------------------------------------------------------------
    def archived_ids(self, object_type: str) -> Iterator[str]:
        """Ids of the archived (deleted, restorable for 90 days) records of a type, every page.

        The search API never returns archived records; the list endpoint does with
        `archived=true` (apis.md §2.4). Records purged for good (GDPR delete) are not listed.
        """
        rows = self._all_pages(
            "/crm/v3/objects/{object_type}",
            {"archived": "true", "limit": 100, "properties": "hs_object_id"},
            path_params={"object_type": object_type},
        )
        for row in rows:
            yield str(row["id"])
