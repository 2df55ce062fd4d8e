"""HubSpot sandbox: CRM objects (contacts, companies, deals, engagements) under
`/crm/v3/objects/{type}`.

Single create/get/patch/archive, list, batch read/create/update/upsert, and search (apis.md
§2.4, §2.7, §2.8). Records live in plain dicts; every property write is validated against the
portal's property definitions (sandbox_schema). Quirks reproduced on purpose:
- matching by `email` (upsert, batch read, get with idProperty) uses the PRIMARY email only;
  secondary addresses in `hs_additional_emails` are only reachable through search CONTAINS_TOKEN;
- archived (deleted) records are invisible to upsert, so upserting an archived contact's email
  creates a new contact;
- batch calls take at most 100 inputs; partial failures answer 207 with `errors[]`/`numErrors`;
- search pages with an offset cursor and refuses to page past `search_result_cap` (10,000).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from connectors.hubspot.sandbox_schema import (
    OBJECT_TYPES,
    created_property,
    iso_ms,
    modified_property,
    properties_validate,
)
from connectors.hubspot.sandbox_search import (
    comparable,
    query_matches,
    record_matches,
    search_request_parse,
)
from connectors.sandbox.core import (
    SandboxError,
    SandboxRequest,
    empty_response,
    json_response,
    route,
)

BATCH_LIMIT = 100  # [PARTIAL] widely documented, not in the spec text (apis.md §2.3)
SEARCH_RESULT_CAP = 10_000
DEFAULT_READ_PROPERTIES = {
    "contacts": [
        "createdate",
        "email",
        "firstname",
        "hs_object_id",
        "lastmodifieddate",
        "lastname",
    ],
    "companies": ["createdate", "domain", "hs_lastmodifieddate", "hs_object_id", "name"],
    "deals": [
        "amount",
        "closedate",
        "createdate",
        "dealname",
        "dealstage",
        "hs_lastmodifieddate",
        "hs_object_id",
        "pipeline",
    ],
}
QUERY_PROPERTIES = {  # what the free-text `query` searches (search guide, default searchable)
    "contacts": ["firstname", "lastname", "email", "phone", "company", "hs_additional_emails"],
    "companies": ["name", "domain", "website", "phone"],
    "deals": ["dealname"],
}


@dataclass
class CrmRecord:
    id: str
    object_type: str
    properties: dict[str, str] = field(default_factory=dict)
    created_ms: int = 0
    updated_ms: int = 0
    archived: bool = False
    archived_ms: int | None = None

    def value(self, name: str) -> str | None:
        """A property's value including the computed ones (id, create and modify dates)."""
        if name == "hs_object_id":
            return self.id
        if name == created_property(self.object_type):
            return iso_ms(self.created_ms)
        if name == modified_property(self.object_type):
            return iso_ms(self.updated_ms)
        return self.properties.get(name)


class CrmObjectsMixin:
    objects: dict[str, dict[str, CrmRecord]]
    email_index: dict[tuple[str, str], set[str]]
    search_result_cap: int

    # --- state helpers (also used by seed and tests) -----------------------------------------
    def record_create(self, object_type: str, properties: dict[str, str], *, at_ms=None):
        """Store a new record (properties already validated); returns it."""
        now = self.now_ms() if at_ms is None else at_ms
        record = CrmRecord(self.next_object_id(), object_type, dict(properties), now, now)
        self.objects[object_type][record.id] = record
        self._email_index_add(record)
        return record

    def record_update(self, record: CrmRecord, properties: dict[str, str]) -> None:
        record.properties.update(properties)
        record.updated_ms = max(self.now_ms(), record.updated_ms)
        self._email_index_add(record)

    def _email_index_add(self, record: CrmRecord) -> None:
        # Lookups by email are what the product does most (batch read/upsert of thousands of
        # contacts); an index keeps the fake fast enough for benchmarks. Entries are verified on
        # use, so a stale one (email changed, record removed) is harmless.
        email = (record.properties.get("email") or "").casefold()
        if email:
            self.email_index.setdefault((record.object_type, email), set()).add(record.id)

    def record_get(self, object_type: str, object_id: str, *, archived: bool = False):
        record = self.objects.get(object_type, {}).get(str(object_id))
        if record is None or record.archived != archived:
            return None
        return record

    def record_archive(self, object_type: str, object_id: str) -> None:
        record = self.objects[object_type][str(object_id)]
        record.archived, record.archived_ms = True, self.now_ms()

    def record_find_by(self, object_type: str, id_property: str, value: str, *, archived=False):
        """The record whose `id_property` equals `value` (case-insensitive for strings)."""
        wanted = str(value).casefold()
        if id_property == "email":
            for record_id in self.email_index.get((object_type, wanted), ()):
                record = self.objects[object_type].get(record_id)
                if (
                    record is not None
                    and record.archived == archived
                    and (record.value("email") or "").casefold() == wanted
                ):
                    return record
            return None
        for record in self.objects[object_type].values():
            if (
                record.archived == archived
                and (record.value(id_property) or "").casefold() == wanted
            ):
                return record
        return None

    def record_render(self, record: CrmRecord, names: list[str] | None = None) -> dict[str, Any]:
        if names is None:
            names = DEFAULT_READ_PROPERTIES.get(
                record.object_type,
                [
                    created_property(record.object_type),
                    modified_property(record.object_type),
                    "hs_object_id",
                ],
            )
        schema = self.properties[record.object_type]
        rendered = {
            "id": record.id,
            "properties": {name: record.value(name) for name in names if name in schema},
            "createdAt": iso_ms(record.created_ms),
            "updatedAt": iso_ms(record.updated_ms),
            "archived": record.archived,
        }
        if record.archived:
            rendered["archivedAt"] = iso_ms(record.archived_ms or record.updated_ms)
        return rendered

    def record_render_written(self, record: CrmRecord) -> dict[str, Any]:
        """After a write HubSpot echoes the defaults plus every property that has a value."""
        names = DEFAULT_READ_PROPERTIES.get(record.object_type, [])
        extra = [n for n in record.properties if n not in names]
        computed = [created_property(record.object_type), modified_property(record.object_type)]
        return self.record_render(record, [*names, *extra, *computed, "hs_object_id"])

    # --- request helpers ----------------------------------------------------------------------
    def _object_type(self, object_type: str) -> str:
        if object_type not in OBJECT_TYPES:
            raise SandboxError(
                400, "VALIDATION_ERROR", f"Unable to infer object type from: {object_type}"
            )
        return object_type

    def _scopes(self, object_type: str, write: bool) -> tuple[str, ...]:
        kind = object_type if object_type in ("companies", "deals") else "contacts"
        return (f"crm.objects.{kind}.{'write' if write else 'read'}",)

    def batch_inputs(self, body: Any) -> list:
        if not isinstance(body, dict) or not isinstance(body.get("inputs"), list):
            raise SandboxError(400, "VALIDATION_ERROR", "Request body needs an 'inputs' list")
        inputs = body["inputs"]
        if len(inputs) > BATCH_LIMIT:
            # [UNVERIFIED] wording of the batch-size error.
            raise SandboxError(
                400,
                "VALIDATION_ERROR",
                f"Too many inputs: {len(inputs)}. The maximum batch size is {BATCH_LIMIT}.",
            )
        return inputs

    def batch_response(self, results: list, errors: list, status: int = 200):
        now = self.now_iso()
        body: dict[str, Any] = {
            "status": "COMPLETE",
            "results": results,
            "startedAt": now,
            "completedAt": now,
        }
        if errors:
            body.update(numErrors=len(errors), errors=errors)
            status = 207
        return json_response(body, status)

    def _property_names(self, request: SandboxRequest) -> list[str] | None:
        values = request.query.get("properties")
        if not values:
            return None
        return [name for value in values for name in value.split(",") if name]

    def _lookup(self, request: SandboxRequest, object_type: str, object_id: str) -> CrmRecord:
        id_property = request.arg("idProperty")
        archived = request.arg("archived") == "true"
        if id_property:
            record = self.record_find_by(object_type, id_property, object_id, archived=archived)
        else:
            record = self.record_get(object_type, object_id, archived=archived)
        if record is None:
            # Message and context as HubSpot answers (HubSpot/hubspot-api-nodejs#669).
            raise SandboxError(
                404,
                "OBJECT_NOT_FOUND",
                "Object not found.  objectId are usually numeric.",
                context={"id": [object_id]},
            )
        return record

    def _contact_email_conflict(self, object_type: str, values: dict, own_id: str | None = None):
        email = values.get("email")
        if object_type != "contacts" or not email:
            return
        existing = self.record_find_by("contacts", "email", email)
        if existing is not None and existing.id != own_id:
            # Real body: HubSpot/hubspot-api-python#51.
            raise SandboxError(
                409, "CONFLICT", f"Contact already exists. Existing ID: {existing.id}"
            )

    # --- single objects -----------------------------------------------------------------------
    @route("POST", "/crm/v3/objects/{object_type}")
    def object_create(self, request: SandboxRequest, object_type: str):
        self._authorize(request, *self._scopes(self._object_type(object_type), write=True))
        body = request.json()
        if not isinstance(body, dict) or set(body) - {"properties", "associations"}:
            raise SandboxError(400, "VALIDATION_ERROR", "Body must be {properties, associations}")
        values = properties_validate(self.properties[object_type], body.get("properties") or {})
        self._contact_email_conflict(object_type, values)
        links = self.associations_parse(object_type, body.get("associations"))
        record = self.record_create(object_type, values)
        for to_type, to_id, type_id in links:
            self.associate(object_type, record.id, to_type, to_id, type_id)
        return json_response(self.record_render_written(record), 201)

    @route("GET", "/crm/v3/objects/{object_type}")
    def objects_list(self, request: SandboxRequest, object_type: str):
        self._authorize(request, *self._scopes(self._object_type(object_type), write=False))
        limit = request.int_arg("limit", 10, maximum=100)
        offset = request.int_arg("after", 0, minimum=0)
        archived = request.arg("archived") == "true"
        rows = [r for r in self.objects[object_type].values() if r.archived == archived]
        rows.sort(key=lambda r: int(r.id))
        names = self._property_names(request)
        body: dict[str, Any] = {
            "results": [self.record_render(r, names) for r in rows[offset : offset + limit]]
        }
        if offset + limit < len(rows):
            link = f"{request.root_url}/crm/v3/objects/{object_type}?after={offset + limit}"
            body["paging"] = {"next": {"after": str(offset + limit), "link": link}}
        return json_response(body)

    @route("GET", "/crm/v3/objects/{object_type}/{object_id}")
    def object_get(self, request: SandboxRequest, object_type: str, object_id: str):
        self._authorize(request, *self._scopes(self._object_type(object_type), write=False))
        record = self._lookup(request, object_type, object_id)
        rendered = self.record_render(record, self._property_names(request))
        wanted = [t for value in request.query.get("associations", []) for t in value.split(",")]
        links = {}
        for to_type in wanted:
            found = self.associations_of(object_type, record.id, to_type)
            if found:
                links[to_type] = {
                    "results": [
                        {
                            "id": str(row["toObjectId"]),
                            "type": f"{object_type[:-1]}_to_{to_type[:-1]}",
                        }
                        for row in found
                    ]
                }
        if links:
            rendered["associations"] = links
        return json_response(rendered)

    @route("PATCH", "/crm/v3/objects/{object_type}/{object_id}")
    def object_update(self, request: SandboxRequest, object_type: str, object_id: str):
        self._authorize(request, *self._scopes(self._object_type(object_type), write=True))
        record = self._lookup(request, object_type, object_id)
        body = request.json()
        if not isinstance(body, dict) or set(body) != {"properties"}:
            raise SandboxError(400, "VALIDATION_ERROR", "Body must be {properties}")
        values = properties_validate(self.properties[object_type], body["properties"])
        self._contact_email_conflict(object_type, values, own_id=record.id)
        self.record_update(record, values)
        return json_response(self.record_render_written(record))

    @route("DELETE", "/crm/v3/objects/{object_type}/{object_id}")
    def object_archive(self, request: SandboxRequest, object_type: str, object_id: str):
        self._authorize(request, *self._scopes(self._object_type(object_type), write=True))
        if self.record_get(object_type, object_id) is not None:
            self.record_archive(object_type, object_id)
        return empty_response(204)  # HubSpot answers 204 even for unknown ids

    # --- batch --------------------------------------------------------------------------------
    @route("POST", "/crm/v3/objects/{object_type}/batch/create")
    def objects_batch_create(self, request: SandboxRequest, object_type: str):
        self._authorize(request, *self._scopes(self._object_type(object_type), write=True))
        schema = self.properties[object_type]
        prepared = []
        for item in self.batch_inputs(request.json()):
            if not isinstance(item, dict) or set(item) - {
                "properties",
                "associations",
                "objectWriteTraceId",
            }:
                raise SandboxError(
                    400, "VALIDATION_ERROR", "Each input must be {properties, associations}"
                )
            values = properties_validate(schema, item.get("properties") or {})
            self._contact_email_conflict(object_type, values)
            prepared.append(
                (values, self.associations_parse(object_type, item.get("associations")))
            )
        results = []
        for values, links in prepared:  # all-or-nothing: validated above before any write
            record = self.record_create(object_type, values)
            for to_type, to_id, type_id in links:
                self.associate(object_type, record.id, to_type, to_id, type_id)
            results.append(self.record_render_written(record))
        return self.batch_response(results, [], status=201)

    @route("POST", "/crm/v3/objects/{object_type}/batch/read")
    def objects_batch_read(self, request: SandboxRequest, object_type: str):
        self._authorize(request, *self._scopes(self._object_type(object_type), write=False))
        body = request.json()
        inputs = self.batch_inputs(body)
        unknown = set(body) - {"inputs", "properties", "propertiesWithHistory", "idProperty"}
        if unknown:
            raise SandboxError(400, "VALIDATION_ERROR", f"Unrecognized field(s): {sorted(unknown)}")
        if body.get("propertiesWithHistory") and len(inputs) > 50:
            # Real message, quoted in PipedreamHQ/pipedream#8462 and activepieces#9359.
            raise SandboxError(
                400,
                "VALIDATION_ERROR",
                "The maximum number of inputs supported in a batch request for property "
                "histories is 50. Please reduce the number of items and try again",
            )
        id_property = body.get("idProperty")
        archived = request.arg("archived") == "true"
        names = body.get("properties") or None
        results, missing = [], []
        for item in inputs:
            wanted = str(item.get("id", "")) if isinstance(item, dict) else ""
            if id_property:
                record = self.record_find_by(object_type, id_property, wanted, archived=archived)
            else:
                record = self.record_get(object_type, wanted, archived=archived)
            if record is None:
                missing.append(wanted)
            else:
                results.append(self.record_render(record, names))
        errors = []
        if missing:
            singular = object_type[:-1].upper() if object_type != "companies" else "COMPANY"
            # [PARTIAL] wording as commonly reported for batch read misses.
            errors.append(
                {
                    "status": "error",
                    "category": "OBJECT_NOT_FOUND",
                    "message": f"Could not get some {singular} objects, they may be deleted or not "
                    "exist. Check that ids are valid.",
                    "context": {"ids": missing},
                }
            )
        return self.batch_response(results, errors)

    @route("POST", "/crm/v3/objects/{object_type}/batch/update")
    def objects_batch_update(self, request: SandboxRequest, object_type: str):
        """Inputs [{id, properties}]: an invalid input or value refuses the whole call (400);
        unknown ids are left out and named in a 207 OBJECT_NOT_FOUND error."""
        self._authorize(request, *self._scopes(self._object_type(object_type), write=True))
        schema = self.properties[object_type]
        prepared, missing = [], []
        for item in self.batch_inputs(request.json()):
            if (
                not isinstance(item, dict)
                or "id" not in item
                or set(item)
                - {
                    "id",
                    "properties",
                    "objectWriteTraceId",
                }
            ):
                raise SandboxError(400, "VALIDATION_ERROR", "Each input must be {id, properties}")
            values = properties_validate(schema, item.get("properties") or {})
            record = self.record_get(object_type, str(item["id"]))
            if record is None:
                missing.append(str(item["id"]))
                continue
            self._contact_email_conflict(object_type, values, own_id=record.id)
            prepared.append((record, values))
        results = []
        for record, values in prepared:  # validated above before any write
            self.record_update(record, values)
            results.append(self.record_render_written(record))
        errors = []
        if missing:
            # [PARTIAL] shape as batch read's misses; HubSpot answers 207 for per-input errors.
            errors.append(
                {
                    "status": "error",
                    "category": "OBJECT_NOT_FOUND",
                    "message": "Object not found.  objectId are usually numeric.",
                    "context": {"ids": missing},
                }
            )
        return self.batch_response(results, errors)

    @route("POST", "/crm/v3/objects/{object_type}/batch/upsert")
    def objects_batch_upsert(self, request: SandboxRequest, object_type: str):
        self._authorize(request, *self._scopes(self._object_type(object_type), write=True))
        schema = self.properties[object_type]
        inputs = self.batch_inputs(request.json())
        prepared, seen = [], set()
        for item in inputs:
            if not isinstance(item, dict) or set(item) - {
                "idProperty",
                "id",
                "properties",
                "objectWriteTraceId",
            }:
                raise SandboxError(
                    400, "VALIDATION_ERROR", "Each input must be {idProperty, id, properties}"
                )
            id_property, wanted = item.get("idProperty"), str(item.get("id") or "")
            unique = id_property == "email" and object_type == "contacts"
            if not unique and not schema.get(id_property or "", {}).get("hasUniqueValue"):
                raise SandboxError(
                    400,
                    "VALIDATION_ERROR",
                    f"idProperty {id_property!r} must be a unique-value property of {object_type}",
                )
            if wanted.casefold() in seen:
                # [PARTIAL] wording.
                raise SandboxError(
                    400, "VALIDATION_ERROR", f"Duplicate IDs found in batch input: [{wanted}]"
                )
            seen.add(wanted.casefold())
            values = properties_validate(schema, item.get("properties") or {})
            prepared.append((id_property, wanted, values))
        results, errors = [], []
        for id_property, wanted, values in prepared:
            try:
                properties_validate(schema, {id_property: wanted})
            except SandboxError as error:  # a bad id fails that input only [UNVERIFIED]
                errors.append(
                    {
                        "status": "error",
                        "category": "VALIDATION_ERROR",
                        "message": error.message,
                        "context": {"ids": [wanted]},
                    }
                )
                continue
            record = self.record_find_by(object_type, id_property, wanted)
            if record is None:  # archived records never match: a new one is created
                record = self.record_create(object_type, {**values, id_property: wanted})
                created = True
            else:
                self.record_update(record, values)
                created = False
            results.append({**self.record_render_written(record), "new": created})
        return self.batch_response(results, errors)

    # --- search -------------------------------------------------------------------------------
    @route("POST", "/crm/v3/objects/{object_type}/search")
    def objects_search(self, request: SandboxRequest, object_type: str):
        self._authorize(request, *self._scopes(self._object_type(object_type), write=False))
        schema = self.properties[object_type]
        search = search_request_parse(request.json(), schema)
        if search["after"] >= self.search_result_cap:
            # HubSpot refuses to page past 10,000 results with a 400 (search guide,
            # "Limitations"); [UNVERIFIED] exact message.
            raise SandboxError(
                400,
                "VALIDATION_ERROR",
                f"Paging past {self.search_result_cap} results is not supported; narrow the "
                "search with filters (for example on the last modified date) instead.",
            )
        query_names = QUERY_PROPERTIES.get(object_type, [])
        matches = [
            record
            for record in self.objects[object_type].values()
            if not record.archived
            and record_matches(search["groups"], record.value, schema)
            and (
                not search["query"]
                or query_matches(search["query"], map(record.value, query_names))
            )
        ]
        matches.sort(key=lambda r: int(r.id))
        if search["sort"]:
            definition = schema[search["sort"]]
            present = [r for r in matches if r.value(search["sort"]) not in (None, "")]
            absent = [r for r in matches if r.value(search["sort"]) in (None, "")]
            present.sort(
                key=lambda r: comparable(definition, r.value(search["sort"])),
                reverse=search["descending"],
            )
            matches = present + absent
        start = search["after"]
        end = min(start + search["limit"], self.search_result_cap)
        body: dict[str, Any] = {
            "total": len(matches),
            "results": [self.record_render(r, search["properties"]) for r in matches[start:end]],
        }
        if end < len(matches):  # at the cap this cursor is one HubSpot will refuse
            body["paging"] = {"next": {"after": str(end)}}
        return json_response(body)
