"""HubSpotClient, CRM schema side: properties and groups, owners and users, deals, searches by
a list of values, v4 associations and archived records (apis.md §2.3 to §2.7). Mixed into
`HubSpotClient`; see client.py for the conventions; engagements are in client_engagements.py.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from connectors.errors import ConnectorError
from connectors.http import response_json

if TYPE_CHECKING:
    from connectors.hubspot.client import BatchResult

PRIMARY_CONTACT_TO_COMPANY = 1  # HUBSPOT_DEFINED "Primary" contact → company type (§2.7)
# Values in one IN filter: kept at the batch size, well under what the search accepts
# [UNVERIFIED: HubSpot documents no number].
SEARCH_IN_MAX_VALUES = 100


class CrmClientMixin:
    """Relies on `HubSpotClient._call`, `_batched`, `_get_or_none`, `_all_pages` and `search`."""

    # --- properties ----------------------------------------------------------------------------
    def properties_list(self, object_type: str) -> list[dict[str, Any]]:
        return response_json(
            self._call(
                "GET", "/crm/v3/properties/{object_type}", path_params={"object_type": object_type}
            )
        )["results"]

    def property_get(self, object_type: str, name: str) -> dict[str, Any] | None:
        return self._get_or_none(
            "/crm/v3/properties/{object_type}/{name}",
            path_params={"object_type": object_type, "name": name},
        )

    def property_create(self, object_type: str, definition: Mapping[str, Any]) -> dict[str, Any]:
        """Create a property ({name, label, type, fieldType, groupName, ...}); 409 if it exists."""
        return response_json(
            self._call(
                "POST",
                "/crm/v3/properties/{object_type}",
                path_params={"object_type": object_type},
                json=dict(definition),
            )
        )

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
        return response_json(
            self._call(
                "GET",
                "/crm/v3/properties/{object_type}/groups",
                path_params={"object_type": object_type},
            )
        )["results"]

    def property_group_create(
        self, object_type: str, *, name: str, label: str, display_order: int = -1
    ) -> dict[str, Any]:
        return response_json(
            self._call(
                "POST",
                "/crm/v3/properties/{object_type}/groups",
                path_params={"object_type": object_type},
                json={"name": name, "label": label, "displayOrder": display_order},
            )
        )

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

    # --- search by a list of values ---------------------------------------------------------
    def search_in(
        self,
        object_type: str,
        property_name: str,
        values: Iterable[str],
        *,
        properties: Sequence[str] = (),
    ) -> Iterator[dict[str, Any]]:
        """Every record whose `property_name` is one of `values`, one search (every page) per
        `SEARCH_IN_MAX_VALUES` values instead of one per value. String comparison is
        case-insensitive, and the search guide asks for lower-case values with IN on string
        properties [PARTIAL], so values are sent lower-cased: callers compare case themselves
        when it matters."""
        wanted = sorted({value.lower() for value in values if value})
        for start in range(0, len(wanted), SEARCH_IN_MAX_VALUES):
            chunk = wanted[start : start + SEARCH_IN_MAX_VALUES]
            filters = [{"propertyName": property_name, "operator": "IN", "values": chunk}]
            yield from self.search(
                object_type,
                filter_groups=[{"filters": filters}],
                properties=list(dict.fromkeys([*properties, property_name])),
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
