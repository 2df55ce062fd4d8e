"""HubSpot sandbox: associations between CRM records (v4 API) and their HUBSPOT_DEFINED type ids.

Routes: `PUT /crm/v4/objects/{from}/{fromId}/associations/default/{to}/{toId}`,
`GET /crm/v4/objects/{from}/{id}/associations/{to}`,
`POST /crm/v4/associations/{from}/{to}/batch/read`
(apis.md §2.7, spec `CRM/Associations/Rollouts/130902/v4/associations.json`).
"""

from __future__ import annotations

from typing import Any

from connectors.sandbox.core import SandboxError, SandboxRequest, json_response, route

# Default ("unlabeled") association type ids, HUBSPOT_DEFINED. [PARTIAL] per apis.md §2.7/§6:
# 194/202/279 appear in HubSpot's examples, the others in community code.
DEFAULT_ASSOCIATION_TYPES: dict[tuple[str, str], int] = {
    ("contacts", "companies"): 279,
    ("companies", "contacts"): 280,
    ("calls", "contacts"): 194,
    ("contacts", "calls"): 193,
    ("emails", "contacts"): 198,
    ("contacts", "emails"): 197,
    ("meetings", "contacts"): 200,
    ("contacts", "meetings"): 199,
    ("notes", "contacts"): 202,
    ("contacts", "notes"): 201,
    ("tasks", "contacts"): 204,
    ("contacts", "tasks"): 203,
    ("calls", "companies"): 182,
    ("companies", "calls"): 181,
    ("emails", "companies"): 186,
    ("companies", "emails"): 185,
    ("meetings", "companies"): 188,
    ("companies", "meetings"): 187,
    ("notes", "companies"): 190,
    ("companies", "notes"): 189,
    ("tasks", "companies"): 192,
    ("companies", "tasks"): 191,
    # Deals (apis.md §2.7): deal→contact 3, deal→company 5, engagement→deal 206/210/212/214/216.
    ("deals", "contacts"): 3,
    ("contacts", "deals"): 4,
    ("deals", "companies"): 5,
    ("companies", "deals"): 6,
    ("calls", "deals"): 206,
    ("deals", "calls"): 205,
    ("emails", "deals"): 210,
    ("deals", "emails"): 209,
    ("meetings", "deals"): 212,
    ("deals", "meetings"): 211,
    ("notes", "deals"): 214,
    ("deals", "notes"): 213,
    ("tasks", "deals"): 216,
    ("deals", "tasks"): 215,
}
# contact → company "Primary" (1) and its inverse (2) are also HUBSPOT_DEFINED.
PRIMARY_ASSOCIATION_TYPES = {("contacts", "companies"): 1, ("companies", "contacts"): 2}


def association_target(from_type: str, type_id: int) -> str | None:
    """The object type a HUBSPOT_DEFINED type id points at, from `from_type`."""
    for table in (DEFAULT_ASSOCIATION_TYPES, PRIMARY_ASSOCIATION_TYPES):
        for (source, target), known in table.items():
            if source == from_type and known == type_id:
                return target
    return None


def _inverse_type(from_type: str, to_type: str, type_id: int) -> int:
    if PRIMARY_ASSOCIATION_TYPES.get((from_type, to_type)) == type_id:
        return PRIMARY_ASSOCIATION_TYPES[(to_type, from_type)]
    return DEFAULT_ASSOCIATION_TYPES[(to_type, from_type)]


class AssociationsMixin:
    # (from type, from id, to type) -> {to id: {type ids}}
    associations: dict[tuple[str, str, str], dict[str, set[int]]]

    def associate(self, from_type: str, from_id: str, to_type: str, to_id: str, type_id=None):
        """Link two records in both directions (default type unless `type_id` is given)."""
        if (from_type, to_type) not in DEFAULT_ASSOCIATION_TYPES:
            raise SandboxError(
                400, "VALIDATION_ERROR", f"{from_type} cannot be associated with {to_type}"
            )
        type_id = type_id or DEFAULT_ASSOCIATION_TYPES[(from_type, to_type)]
        forward = self.associations.setdefault((from_type, str(from_id), to_type), {})
        forward.setdefault(str(to_id), set()).add(type_id)
        inverse = _inverse_type(from_type, to_type, type_id)
        backward = self.associations.setdefault((to_type, str(to_id), from_type), {})
        backward.setdefault(str(from_id), set()).add(inverse)

    def associations_of(self, from_type: str, from_id: str, to_type: str) -> list[dict[str, Any]]:
        linked = self.associations.get((from_type, str(from_id), to_type), {})
        return [
            {
                "toObjectId": int(to_id),
                "associationTypes": [
                    {
                        "category": "HUBSPOT_DEFINED",
                        "typeId": type_id,
                        "label": "Primary" if type_id in (1, 2) else None,
                    }
                    for type_id in sorted(types)
                ],
            }
            for to_id, types in sorted(linked.items(), key=lambda item: int(item[0]))
        ]

    def associations_create_from_input(self, from_type: str, from_id: str, items: Any) -> None:
        """Apply the `associations` list of a create request (validated before any write)."""
        for to_type, to_id, type_id in self.associations_parse(from_type, items):
            self.associate(from_type, from_id, to_type, to_id, type_id)

    def associations_parse(self, from_type: str, items: Any) -> list[tuple[str, str, int]]:
        if items in (None, []):
            return []
        if not isinstance(items, list):
            raise SandboxError(400, "VALIDATION_ERROR", "associations must be a list")
        parsed = []
        for item in items:
            try:
                to_id = str(item["to"]["id"])
                types = item["types"]
                assert isinstance(types, list) and types
            except (KeyError, TypeError, AssertionError):
                raise SandboxError(
                    400,
                    "VALIDATION_ERROR",
                    "Each association needs to.id and a non-empty types list",
                ) from None
            for spec in types:
                type_id = spec.get("associationTypeId") if isinstance(spec, dict) else None
                category = spec.get("associationCategory") if isinstance(spec, dict) else None
                to_type = (
                    association_target(from_type, type_id)
                    if category == "HUBSPOT_DEFINED"
                    else None
                )
                if to_type is None:
                    raise SandboxError(
                        400,
                        "VALIDATION_ERROR",
                        f"Invalid association type {category}/{type_id} from {from_type}",
                    )
                if self.record_get(to_type, to_id) is None:
                    raise SandboxError(
                        400,
                        "VALIDATION_ERROR",
                        f"Association target {to_type} {to_id} does not exist",
                    )
                parsed.append((to_type, to_id, type_id))
        return parsed

    # --- routes ------------------------------------------------------------------------------
    @route("PUT", "/crm/v4/objects/{from_type}/{from_id}/associations/default/{to_type}/{to_id}")
    def association_default_create(
        self, request: SandboxRequest, from_type, from_id, to_type, to_id
    ):
        self._authorize(request, "crm.objects.contacts.write")
        for object_type, object_id in ((from_type, from_id), (to_type, to_id)):
            if self.record_get(object_type, object_id) is None:
                raise SandboxError(
                    404, "OBJECT_NOT_FOUND", f"No {object_type} with id {object_id} exists"
                )
        self.associate(from_type, from_id, to_type, to_id)
        now = self.now_iso()
        spec = {
            "associationCategory": "HUBSPOT_DEFINED",
            "associationTypeId": DEFAULT_ASSOCIATION_TYPES[(from_type, to_type)],
        }
        return json_response(
            {
                "status": "COMPLETE",
                "results": [
                    {"from": {"id": from_id}, "to": {"id": to_id}, "associationSpec": spec}
                ],
                "startedAt": now,
                "completedAt": now,
            }
        )

    @route("GET", "/crm/v4/objects/{from_type}/{from_id}/associations/{to_type}")
    def associations_list(self, request: SandboxRequest, from_type, from_id, to_type):
        self._authorize(request, "crm.objects.contacts.read")
        if self.record_get(from_type, from_id) is None:
            raise SandboxError(404, "OBJECT_NOT_FOUND", f"No {from_type} with id {from_id} exists")
        limit = request.int_arg("limit", 500, maximum=500)
        offset = request.int_arg("after", 0, minimum=0)
        rows = self.associations_of(from_type, from_id, to_type)
        body: dict[str, Any] = {"results": rows[offset : offset + limit]}
        if offset + limit < len(rows):
            body["paging"] = {"next": {"after": str(offset + limit)}}
        return json_response(body)

    @route("POST", "/crm/v4/associations/{from_type}/{to_type}/batch/read")
    def associations_batch_read(self, request: SandboxRequest, from_type, to_type):
        self._authorize(request, "crm.objects.contacts.read")
        inputs = self.batch_inputs(request.json())
        results, missing = [], []
        for item in inputs:
            from_id = str(item.get("id", "")) if isinstance(item, dict) else ""
            if self.record_get(from_type, from_id) is None:
                missing.append(from_id)
                continue
            results.append(
                {"from": {"id": from_id}, "to": self.associations_of(from_type, from_id, to_type)}
            )
        errors = []
        if missing:
            # [UNVERIFIED] wording; the shape follows the batch error schema.
            errors.append(
                {
                    "status": "error",
                    "category": "OBJECT_NOT_FOUND",
                    "message": f"No {from_type} exist for some ids",
                    "context": {"ids": missing},
                }
            )
        return self.batch_response(results, errors)
