"""Records in the Salesforce sandbox: describe, single create/read/update, sObject Collections.

Validation imitates the errors Salesforce returns (apis.md §4.4-4.5, §4.8): unknown field →
INVALID_FIELD, read-only field → INVALID_FIELD_FOR_INSERT_UPDATE, bad restricted picklist value
→ INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST, missing/wrong reference → INVALID_CROSS_REFERENCE_KEY /
FIELD_INTEGRITY_EXCEPTION, missing required value → REQUIRED_FIELD_MISSING. The messages are
written from memory of real responses [UNVERIFIED wording]; the codes and `fields` are what
callers rely on.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import TYPE_CHECKING, Any

from connectors.salesforce.sandbox_rest import RecordError, rest_route
from connectors.salesforce.sandbox_schema import (
    ID_TYPES,
    KEY_PREFIXES,
    STRING_TYPES,
    FieldSpec,
    OrgSchema,
    SObjectSpec,
    id_normalise,
    json_value,
)
from connectors.sandbox.core import (
    SandboxError,
    SandboxRequest,
    empty_response,
    json_response,
)

if TYPE_CHECKING:
    from connectors.sandbox.oauth import Grant

COLLECTION_MAX = 200  # sObject Collections take at most 200 records (apis.md §4.5)
_ID = re.compile(r"^[a-zA-Z0-9]{15}(?:[a-zA-Z0-9]{3})?$")
_ROLLED_BACK = {
    "statusCode": "ALL_OR_NONE_OPERATION_ROLLED_BACK",
    "message": "Record rolled back because not all records were valid and the request was "
    "using AllOrNone header",
    "fields": [],
}


class RecordRoutesMixin:
    schema: OrgSchema

    # --- routes ----------------------------------------------------------------------------------
    @rest_route("GET", "/sobjects/{sobject}/describe")
    def sobject_describe(self, request: SandboxRequest, *, version: str, grant: Grant, sobject):
        return json_response(self.schema.describe(self._sobject(sobject), version=version))

    @rest_route("POST", "/sobjects/{sobject}")
    def sobject_create(self, request: SandboxRequest, *, version: str, grant: Grant, sobject):
        spec = self._sobject(sobject)
        body = _json_object(request)
        try:
            record_id = self.record_create(spec, body, grant=grant)
        except RecordError as error:
            raise error.sandbox_error() from None
        return json_response({"id": record_id, "success": True, "errors": []}, 201)

    @rest_route("GET", "/sobjects/{sobject}/{record_id}")
    def sobject_get(self, request: SandboxRequest, *, version, grant, sobject, record_id):
        spec = self._sobject(sobject)
        record = self._existing(spec, record_id)
        names = [n for n in (request.arg("fields") or "").split(",") if n.strip()]
        wanted = [self._field(spec, n.strip()) for n in names] or list(spec.fields.values())
        out = {"attributes": self.attributes(record, version)}
        out.update({f.name: json_value(record.get(f.name)) for f in wanted})
        return json_response(out)

    @rest_route("PATCH", "/sobjects/{sobject}/{record_id}")
    def sobject_update(self, request: SandboxRequest, *, version, grant, sobject, record_id):
        spec = self._sobject(sobject)
        record = self._existing(spec, record_id)
        try:
            self.record_update(spec, record, _json_object(request), grant=grant)
        except RecordError as error:
            raise error.sandbox_error() from None
        return empty_response(204)

    @rest_route("POST", "/composite/sobjects")
    def collection_create(self, request: SandboxRequest, *, version: str, grant: Grant):
        return self._collection(request, grant, creating=True)

    @rest_route("PATCH", "/composite/sobjects")
    def collection_update(self, request: SandboxRequest, *, version: str, grant: Grant):
        return self._collection(request, grant, creating=False)

    # --- sObject Collections ---------------------------------------------------------------------
    def _collection(self, request: SandboxRequest, grant: Grant, *, creating: bool):
        body = _json_object(request)
        records = body.get("records")
        if not isinstance(records, list) or not records:
            raise SandboxError(400, "INVALID_FIELD", "records is required", fields=["records"])
        if len(records) > COLLECTION_MAX:
            raise SandboxError(
                400,
                "EXCEEDED_ID_LIMIT",
                "record limit reached. cannot submit more than 200 records into this call",
            )
        all_or_none = bool(body.get("allOrNone", False))
        # Two phases: check every record, then save. allOrNone saves nothing if one fails.
        checked: list[tuple[Any, ...]] = []
        for raw in records:
            try:
                checked.append(("ok", *self._collection_check(raw, grant, creating=creating)))
            except RecordError as error:
                record_id = raw.get("id") if isinstance(raw, dict) and not creating else None
                checked.append(("error", record_id, error.errors))
        failed = any(entry[0] == "error" for entry in checked)
        results = []
        for entry in checked:
            if entry[0] == "error":
                result = {"success": False, "errors": entry[2]}
                if entry[1]:
                    result = {"id": entry[1], **result}
            elif all_or_none and failed:
                result = {"success": False, "errors": [dict(_ROLLED_BACK)]}
            else:
                _, spec, values, target = entry
                if creating:
                    record_id = self.record_insert(spec, values, grant=grant)
                else:
                    record_id = target["Id"]
                    self._apply(spec, target, values)
                result = {"id": record_id, "success": True, "errors": []}
            results.append(result)
        return json_response(results)

    def _collection_check(self, raw: Any, grant: Grant, *, creating: bool):
        if not isinstance(raw, dict):
            raise RecordError.one("JSON_PARSER_ERROR", "Each record must be a JSON object")
        attributes = raw.get("attributes") or {}
        spec = self.schema.sobject(str(attributes.get("type") or ""))
        if spec is None:
            # [UNVERIFIED] exact error for a record without attributes.type.
            raise RecordError.one("INVALID_TYPE", "sObject type is required in attributes.type")
        fields = {k: v for k, v in raw.items() if k != "attributes"}
        if creating:
            return spec, self.record_values(spec, fields, grant=grant, creating=True), None
        record_id = fields.pop("id", None) or fields.pop("Id", None)
        if not record_id:
            raise RecordError.one("MISSING_ARGUMENT", "Id not specified in an update call")
        target = self.record_get(str(record_id))
        if target is None or target["_type"] != spec.name or target.get("IsDeleted"):
            # [UNVERIFIED] code for an unknown Id in a collection update.
            raise RecordError.one("INVALID_CROSS_REFERENCE_KEY", "invalid cross reference id")
        return spec, self.record_values(spec, fields, grant=grant, creating=False), target

    # --- validation and saving -------------------------------------------------------------------
    def record_create(self, spec: SObjectSpec, fields: dict[str, Any], *, grant: Grant) -> str:
        """Validate and insert one record; returns its Id or raises RecordError."""
        return self.record_insert(
            spec, self.record_values(spec, fields, grant=grant, creating=True), grant=grant
        )

    def record_update(self, spec: SObjectSpec, record: dict, fields: dict, *, grant: Grant):
        self._apply(spec, record, self.record_values(spec, fields, grant=grant, creating=False))

    def record_values(
        self, spec: SObjectSpec, fields: dict[str, Any], *, grant: Grant, creating: bool
    ) -> dict[str, Any]:
        """Field values converted to stored form (with create defaults); raises RecordError."""
        if not spec.createable:
            raise RecordError.one(
                "CANNOT_INSERT_UPDATE_ACTIVATE_ENTITY", f"{spec.name} is read-only in the sandbox"
            )
        errors: list[dict[str, Any]] = []
        values: dict[str, Any] = {}
        readonly: list[str] = []
        for name, raw in fields.items():
            field = spec.field_named(name)
            if field is None:
                message = f"No such column '{name}' on sobject of type {spec.name}"
                raise RecordError.one("INVALID_FIELD", message)
            if name.lower() == "id" and creating:
                raise RecordError.one("INVALID_FIELD", "cannot specify Id in an insert call")
            if not (field.createable if creating else field.updateable):
                readonly.append(field.name)
                continue
            try:
                values[field.name] = self._convert(spec, field, raw)
            except RecordError as error:
                errors.extend(error.errors)
        if readonly:
            message = (
                f"Unable to create/update fields: {', '.join(readonly)}. Please check the "
                "security settings of this field and verify that it is read/write for your "
                "profile or permission set."
            )
            errors.append(
                {
                    "statusCode": "INVALID_FIELD_FOR_INSERT_UPDATE",
                    "message": message,
                    "fields": readonly,
                }
            )
        if creating:
            for field in spec.fields.values():
                if field.name not in values:
                    default = self._default(spec, field, grant)
                    if default is not None:
                        values[field.name] = default
        # Required: every non-nillable field on create; on update, those explicitly blanked.
        missing = [
            f.name
            for f in spec.fields.values()
            if f.createable
            and not f.nillable
            and (creating or f.name in values)
            and values.get(f.name) is None
        ]
        if missing:
            errors.append(
                {
                    "statusCode": "REQUIRED_FIELD_MISSING",
                    "message": f"Required fields are missing: [{', '.join(missing)}]",
                    "fields": missing,
                }
            )
        if errors:
            raise RecordError(errors)
        return values

    def _default(self, spec: SObjectSpec, field: FieldSpec, grant: Grant) -> Any:
        if field.name == "OwnerId":
            return grant.user_id  # records belong to the running user unless told otherwise
        if field.type == "picklist":
            return self.schema.picklist_default(spec.name, field.name)
        return field.default

    def _convert(self, spec: SObjectSpec, field: FieldSpec, raw: Any) -> Any:
        label = field.label
        if raw is None or raw == "":
            return None  # required-ness is checked once all fields are known
        if field.type in ID_TYPES:
            return self._reference(field, raw)
        if field.type == "boolean":
            if not isinstance(raw, bool):
                raise _parser_error("boolean", raw)
            return raw
        if field.type == "date":
            try:
                return dt.date.fromisoformat(str(raw)[:10])
            except ValueError:
                raise _parser_error("date", raw) from None
        if field.type == "datetime":
            try:
                return dt.datetime.fromisoformat(str(raw).replace("Z", "+00:00"))
            except ValueError:
                raise _parser_error("datetime", raw) from None
        if field.type in STRING_TYPES:
            value = str(raw)
            if field.length and len(value) > field.length:
                raise RecordError.one(
                    "STRING_TOO_LONG",
                    f"{label}: data value too large: {value[:40]} (max length={field.length})",
                    [field.name],
                )
            if field.restricted and value not in self.schema.picklist_values(spec.name, field.name):
                raise RecordError.one(
                    "INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST",
                    f"{label}: bad value for restricted picklist field: {value}",
                    [field.name],
                )
            return value
        return raw

    def _reference(self, field: FieldSpec, raw: Any) -> str:
        if not isinstance(raw, str) or not _ID.match(raw):
            raise RecordError.one(
                "MALFORMED_ID", f"{field.label}: id value of incorrect type: {raw}", [field.name]
            )
        record_id = id_normalise(raw)
        if KEY_PREFIXES.get(record_id[:3]) not in field.reference_to:
            raise RecordError.one(
                "FIELD_INTEGRITY_EXCEPTION",
                f"{field.label}: id value of incorrect type: {raw}",
                [field.name],
            )
        target = self.record_get(record_id)
        if target is None or target.get("IsDeleted"):
            raise RecordError.one(
                "INVALID_CROSS_REFERENCE_KEY", "invalid cross reference id", [field.name]
            )
        if target["_type"] == "User" and not target.get("IsActive"):
            raise RecordError.one(
                "INACTIVE_OWNER_OR_USER",
                f"operation performed with inactive user [{record_id}] as owner",
                [field.name],
            )
        return record_id

    # --- helpers ---------------------------------------------------------------------------------
    def _sobject(self, name: str) -> SObjectSpec:
        spec = self.schema.sobject(name)
        if spec is None:
            raise SandboxError(404, "NOT_FOUND", "The requested resource does not exist")
        return spec

    @staticmethod
    def _field(spec: SObjectSpec, name: str) -> FieldSpec:
        field = spec.field_named(name)
        if field is None:
            message = f"No such column '{name}' on sobject of type {spec.name}"
            raise SandboxError(400, "INVALID_FIELD", message)
        return field

    def _existing(self, spec: SObjectSpec, record_id: str) -> dict[str, Any]:
        record = self.record_get(record_id)
        if record is None or record["_type"] != spec.name or record.get("IsDeleted"):
            raise SandboxError(404, "NOT_FOUND", "The requested resource does not exist")
        return record


def _json_object(request: SandboxRequest) -> dict[str, Any]:
    try:
        body = request.json()
    except SandboxError:
        raise SandboxError(400, "JSON_PARSER_ERROR", "The request body is not valid JSON") from None
    if not isinstance(body, dict):
        raise SandboxError(400, "JSON_PARSER_ERROR", "Expected a JSON object")
    return body


def _parser_error(kind: str, raw: Any) -> RecordError:
    return RecordError.one(
        "JSON_PARSER_ERROR", f"Cannot deserialize instance of {kind} from value {raw!r}"
    )
