"""HubSpot sandbox: property definitions, property groups, and validation of property values.

Mirrors `/crm/v3/properties/{objectType}` (apis.md §2.5, spec
`CRM/Properties/.../v3/properties.json`).
The default properties are the subset of HubSpot's built-in ones that Meetbridge reads or writes;
every write to a CRM object is validated against these definitions, as HubSpot does.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from typing import Any

from connectors.sandbox.core import SandboxError, SandboxRequest, json_response, route

OBJECT_TYPES = ("contacts", "companies", "deals", "meetings", "tasks", "notes", "calls", "emails")
ENGAGEMENT_TYPES = ("meetings", "tasks", "notes", "calls", "emails")

# Valid `type` → `fieldType` pairs (HubSpot docs "Properties API", property type table).
FIELD_TYPES_BY_TYPE: dict[str, set[str]] = {
    "bool": {"booleancheckbox", "calculation_equation"},
    "enumeration": {"booleancheckbox", "checkbox", "radio", "select", "calculation_equation"},
    "date": {"date"},
    "datetime": {"date"},
    "string": {"file", "text", "textarea", "calculation_equation", "html", "phonenumber"},
    "number": {"number", "calculation_equation"},
    "phone_number": {"phonenumber"},
}
PROPERTY_CREATE_FIELDS = {
    "name",
    "label",
    "type",
    "fieldType",
    "groupName",
    "description",
    "options",
    "displayOrder",
    "hasUniqueValue",
    "hidden",
    "formField",
    "calculationFormula",
    "dataSensitivity",
    "externalOptions",
    "referencedObjectType",
    "showCurrencySymbol",
    "currencyPropertyName",
    "numberDisplayHint",
}
PROPERTY_NAME = re.compile(r"^[a-z][a-z0-9_]*$")
EMAIL = re.compile(r"^[^@\s;]+@[^@\s;]+\.[^@\s;]+$")

# Which computed timestamps each object type carries (apis.md §2.4: contacts use
# `lastmodifieddate`, companies and engagements `hs_lastmodifieddate`).
CREATED_PROPERTY = {"contacts": "createdate", "companies": "createdate", "deals": "createdate"}
MODIFIED_PROPERTY = {"contacts": "lastmodifieddate"}


def created_property(object_type: str) -> str:
    return CREATED_PROPERTY.get(object_type, "hs_createdate")


def modified_property(object_type: str) -> str:
    return MODIFIED_PROPERTY.get(object_type, "hs_lastmodifieddate")


def _options(*values: str) -> list[dict[str, Any]]:
    return [
        {"label": v.replace("_", " ").title(), "value": v, "displayOrder": i, "hidden": False}
        for i, v in enumerate(values)
    ]


_OWNER = ("hubspot_owner_id", "enumeration", "select")
_DEFAULTS: dict[str, list[tuple]] = {
    # (name, type, fieldType[, options]) — group is the object's default group.
    "contacts": [
        ("email", "string", "text"),
        ("firstname", "string", "text"),
        ("lastname", "string", "text"),
        ("hs_additional_emails", "enumeration", "checkbox"),
        ("company", "string", "text"),
        ("phone", "string", "phonenumber"),
        ("jobtitle", "string", "text"),
        ("website", "string", "text"),
        ("city", "string", "text"),
        ("country", "string", "text"),
        (
            "lifecyclestage",
            "enumeration",
            "radio",
            _options(
                "subscriber",
                "lead",
                "marketingqualifiedlead",
                "salesqualifiedlead",
                "opportunity",
                "customer",
                "evangelist",
                "other",
            ),
        ),
        _OWNER,
    ],
    "companies": [
        ("name", "string", "text"),
        ("domain", "string", "text"),
        ("industry", "string", "text"),
        ("city", "string", "text"),
        ("country", "string", "text"),
        ("phone", "string", "phonenumber"),
        ("numberofemployees", "number", "number"),
        _OWNER,
    ],
    "deals": [
        ("dealname", "string", "text"),
        ("amount", "number", "number"),
        ("closedate", "datetime", "date"),
        ("dealstage", "enumeration", "radio"),
        ("pipeline", "enumeration", "select"),
        _OWNER,
    ],
    "meetings": [
        ("hs_timestamp", "datetime", "date"),
        ("hs_meeting_title", "string", "text"),
        ("hs_meeting_body", "string", "html"),
        ("hs_internal_meeting_notes", "string", "html"),
        ("hs_meeting_external_url", "string", "text"),
        ("hs_meeting_location", "string", "text"),
        ("hs_meeting_start_time", "datetime", "date"),
        ("hs_meeting_end_time", "datetime", "date"),
        # Outcome values are [UNVERIFIED] (apis.md §2.7).
        (
            "hs_meeting_outcome",
            "enumeration",
            "select",
            _options("SCHEDULED", "COMPLETED", "RESCHEDULED", "NO_SHOW", "CANCELED"),
        ),
        ("hs_activity_type", "enumeration", "select"),
        ("hs_attachment_ids", "enumeration", "checkbox"),
        ("hs_attendee_owner_ids", "enumeration", "checkbox"),
        _OWNER,
    ],
    "tasks": [
        ("hs_timestamp", "datetime", "date"),
        ("hs_task_subject", "string", "text"),
        ("hs_task_body", "string", "html"),
        # Statuses beyond NOT_STARTED/COMPLETED are [UNVERIFIED] (apis.md §2.8).
        (
            "hs_task_status",
            "enumeration",
            "select",
            _options("NOT_STARTED", "IN_PROGRESS", "WAITING", "DEFERRED", "COMPLETED"),
        ),
        ("hs_task_priority", "enumeration", "select", _options("NONE", "LOW", "MEDIUM", "HIGH")),
        ("hs_task_type", "enumeration", "select", _options("EMAIL", "CALL", "TODO")),
        ("hs_task_reminders", "enumeration", "checkbox"),
        _OWNER,
    ],
    "notes": [
        ("hs_timestamp", "datetime", "date"),
        ("hs_note_body", "string", "html"),
        ("hs_attachment_ids", "enumeration", "checkbox"),
        _OWNER,
    ],
    "calls": [
        ("hs_timestamp", "datetime", "date"),
        ("hs_call_title", "string", "text"),
        ("hs_call_body", "string", "html"),
        ("hs_call_duration", "number", "number"),
        ("hs_call_direction", "enumeration", "select", _options("INBOUND", "OUTBOUND")),
        ("hs_call_status", "enumeration", "select"),
        _OWNER,
    ],
    "emails": [
        ("hs_timestamp", "datetime", "date"),
        ("hs_email_subject", "string", "text"),
        ("hs_email_text", "string", "textarea"),
        ("hs_email_html", "string", "html"),
        (
            "hs_email_direction",
            "enumeration",
            "select",
            _options("EMAIL", "INCOMING_EMAIL", "FORWARDED_EMAIL"),
        ),
        ("hs_email_status", "enumeration", "select"),
        _OWNER,
    ],
}
DEFAULT_GROUP = {
    "contacts": "contactinformation",
    "companies": "companyinformation",
    "deals": "dealinformation",
    "meetings": "meeting",
    "tasks": "task",
    "notes": "note",
    "calls": "call",
    "emails": "email",
}
# Properties with free-form enumeration values (owner ids, attachment ids): no option check.
_OPEN_ENUMERATIONS = {
    "hubspot_owner_id",
    "hs_additional_emails",
    "hs_attachment_ids",
    "hs_attendee_owner_ids",
    "hs_activity_type",
    "hs_call_status",
    "hs_email_status",
    "hs_task_reminders",
    "dealstage",  # pipeline stages are per portal
    "pipeline",
}


def property_definition(
    name: str, type_: str, field_type: str, *, group: str, options=None, read_only=False, now=""
) -> dict[str, Any]:
    """A `Property` object as the properties API returns it."""
    return {
        "name": name,
        "label": name.replace("hs_", "").replace("_", " ").title(),
        "type": type_,
        "fieldType": field_type,
        "groupName": group,
        "description": "",
        "options": options or [],
        "displayOrder": -1,
        "calculated": False,
        "externalOptions": name == "hubspot_owner_id",
        "hasUniqueValue": False,
        "hidden": False,
        "formField": not read_only,
        "hubspotDefined": True,
        "archived": False,
        "createdAt": now,
        "updatedAt": now,
        "modificationMetadata": {
            "archivable": False,
            "readOnlyDefinition": True,
            "readOnlyValue": read_only,
        },
    }


def default_schema(now_iso: str) -> tuple[dict[str, dict], dict[str, dict]]:
    """(properties by object type by name, groups by object type by name) for a fresh portal."""
    properties: dict[str, dict] = {}
    groups: dict[str, dict] = {}
    for object_type in OBJECT_TYPES:
        group = DEFAULT_GROUP[object_type]
        groups[object_type] = {
            group: {"name": group, "label": group.title(), "displayOrder": 0, "archived": False}
        }
        defs = {}
        for name, type_, field_type, *rest in _DEFAULTS[object_type]:
            defs[name] = property_definition(
                name, type_, field_type, group=group, options=rest[0] if rest else None, now=now_iso
            )
        for name in ("hs_object_id", created_property(object_type), modified_property(object_type)):
            type_, field_type = (
                ("number", "number") if name == "hs_object_id" else ("datetime", "date")
            )
            defs[name] = property_definition(
                name, type_, field_type, group=group, read_only=True, now=now_iso
            )
        properties[object_type] = defs
    return properties, groups


# --- value validation --------------------------------------------------------------------------


def property_errors_raise(problems: list[tuple[str, str, str]]) -> None:
    """Raise HubSpot's 400 for invalid property values; `problems` are (name, code, message).

    Shape: "Property values were not valid: [...]" with the JSON list inside the message, plus
    `errors[]` (issue hubspot-net/HubSpot.NET#50 shows the message form) [PARTIAL: errors[] shape].
    """
    if not problems:
        return
    listed = [
        {
            "isValid": False,
            "message": message,
            "error": code,
            "name": name,
            "localizedErrorMessage": message,
        }
        for name, code, message in problems
    ]
    raise SandboxError(
        400,
        "VALIDATION_ERROR",
        "Property values were not valid: " + json.dumps(listed, separators=(",", ":")),
        errors=[
            {"message": message, "code": code, "context": {"propertyName": [name]}}
            for name, code, message in problems
        ],
    )


def timestamp_ms(value: Any) -> int | None:
    """ms epoch from an int/str of digits or an ISO 8601 string; None when unparseable."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return int(value)
    text = str(value).strip()
    if re.fullmatch(r"-?\d+", text):
        return int(text)
    try:
        parsed = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=dt.UTC)
    return int(parsed.timestamp() * 1000)


def iso_ms(ms: int) -> str:
    """HubSpot's datetime rendering: ISO 8601 UTC with milliseconds and Z."""
    moment = dt.datetime.fromtimestamp(ms / 1000, tz=dt.UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{ms % 1000:03d}Z"


def value_normalize(definition: dict, value: Any) -> tuple[str | None, str | None]:
    """(stored string, None) or (None, error code) for one value of a property."""
    if value is None or value == "":
        return "", None
    type_ = definition["type"]
    name = definition["name"]
    if type_ == "number":
        try:
            float(str(value))
        except ValueError:
            return None, "INVALID_INTEGER"
        return str(value), None
    if type_ in ("datetime", "date"):
        ms = timestamp_ms(value)
        if ms is None:
            return None, "INVALID_DATE"
        return (iso_ms(ms) if type_ == "datetime" else iso_ms(ms)[:10]), None
    if type_ == "bool":
        text = str(value).lower()
        return (text, None) if text in ("true", "false") else (None, "INVALID_OPTION")
    if type_ == "enumeration" and definition["options"] and name not in _OPEN_ENUMERATIONS:
        allowed = {option["value"] for option in definition["options"]}
        chosen = str(value).split(";")
        if any(choice not in allowed for choice in chosen):
            return None, "INVALID_OPTION"
    parts = [part for part in str(value).split(";") if part]
    if name in ("email", "hs_additional_emails") and not all(map(EMAIL.match, parts)):
        return None, "INVALID_EMAIL"
    return str(value), None


_MESSAGES = {
    "PROPERTY_DOESNT_EXIST": 'Property "{name}" does not exist',
    "READ_ONLY_VALUE": '"{name}" is a read only property; its value cannot be set.',
    "INVALID_INTEGER": '{value!r} is not a valid number for property "{name}"',
    "INVALID_DATE": '{value!r} is not a valid date for property "{name}"',
    "INVALID_OPTION": '{value!r} was not one of the allowed options for property "{name}"',
    "INVALID_EMAIL": 'Email address {value} is invalid for property "{name}"',
}


def properties_validate(schema: dict[str, dict], values: Any) -> dict[str, str]:
    """Validate and normalise a `properties` map against one object type's definitions."""
    if not isinstance(values, dict):
        raise SandboxError(400, "VALIDATION_ERROR", "properties must be an object of strings")
    clean: dict[str, str] = {}
    problems: list[tuple[str, str, str]] = []
    for name, value in values.items():
        definition = schema.get(name)
        if definition is None:
            code = "PROPERTY_DOESNT_EXIST"
        elif definition["modificationMetadata"]["readOnlyValue"]:
            code = "READ_ONLY_VALUE"
        else:
            stored, code = value_normalize(definition, value)
            if code is None:
                clean[name] = stored or ""
                continue
        problems.append((name, code, _MESSAGES[code].format(name=name, value=value)))
    property_errors_raise(problems)
    return clean


# --- routes ------------------------------------------------------------------------------------


class PropertiesMixin:
    """`/crm/v3/properties/{objectType}` and its groups."""

    properties: dict[str, dict[str, dict]]
    property_groups: dict[str, dict[str, dict]]

    def _schema(self, object_type: str) -> dict[str, dict]:
        if object_type not in self.properties:
            raise SandboxError(
                400, "VALIDATION_ERROR", f"Unable to infer object type from: {object_type}"
            )
        return self.properties[object_type]

    @route("GET", "/crm/v3/properties/{object_type}")
    def properties_list(self, request: SandboxRequest, object_type: str):
        self._authorize(request, "crm.objects.contacts.read", "crm.schemas.contacts.read")
        archived = request.arg("archived") == "true"
        return json_response(
            {
                "results": [
                    p for p in self._schema(object_type).values() if p["archived"] == archived
                ]
            }
        )

    @route("GET", "/crm/v3/properties/{object_type}/groups")
    def property_groups_list(self, request: SandboxRequest, object_type: str):
        self._authorize(request, "crm.objects.contacts.read", "crm.schemas.contacts.read")
        self._schema(object_type)
        return json_response({"results": list(self.property_groups[object_type].values())})

    @route("GET", "/crm/v3/properties/{object_type}/{name}")
    def property_get(self, request: SandboxRequest, object_type: str, name: str):
        self._authorize(request, "crm.objects.contacts.read", "crm.schemas.contacts.read")
        found = self._schema(object_type).get(name)
        if found is None:
            # [UNVERIFIED] exact wording of the 404 message.
            raise SandboxError(404, "OBJECT_NOT_FOUND", f'Property "{name}" does not exist')
        return json_response(found)

    @route("POST", "/crm/v3/properties/{object_type}/groups")
    def property_group_create(self, request: SandboxRequest, object_type: str):
        self._authorize(request, "crm.schemas.contacts.write")
        self._schema(object_type)
        body = _object_body(request)
        unknown = set(body) - {"name", "label", "displayOrder"}
        if unknown:
            raise SandboxError(400, "VALIDATION_ERROR", f"Unrecognized field(s): {sorted(unknown)}")
        for field in ("name", "label"):
            if not isinstance(body.get(field), str) or not body[field]:
                raise SandboxError(400, "VALIDATION_ERROR", f"{field} is required")
        groups = self.property_groups[object_type]
        if body["name"] in groups:
            raise SandboxError(
                409, "CONFLICT", f"A property group named '{body['name']}' already exists."
            )
        group = {
            "name": body["name"],
            "label": body["label"],
            "displayOrder": int(body.get("displayOrder", -1)),
            "archived": False,
        }
        groups[group["name"]] = group
        return json_response(group, 201)

    @route("POST", "/crm/v3/properties/{object_type}")
    def property_create(self, request: SandboxRequest, object_type: str):
        self._authorize(request, "crm.schemas.contacts.write")
        schema = self._schema(object_type)
        body = _object_body(request)
        unknown = set(body) - PROPERTY_CREATE_FIELDS
        if unknown:
            raise SandboxError(400, "VALIDATION_ERROR", f"Unrecognized field(s): {sorted(unknown)}")
        missing = [
            f for f in ("name", "label", "type", "fieldType", "groupName") if not body.get(f)
        ]
        if missing:
            raise SandboxError(400, "VALIDATION_ERROR", f"Missing required field(s): {missing}")
        name, type_, field_type = body["name"], body["type"], body["fieldType"]
        if not PROPERTY_NAME.match(name) or name.startswith("hs_"):
            raise SandboxError(
                400,
                "VALIDATION_ERROR",
                f"Property name '{name}' must be lowercase letters, digits and underscores, "
                "start with a letter and not use the reserved prefix 'hs_'",
            )
        if type_ not in FIELD_TYPES_BY_TYPE:
            raise SandboxError(400, "VALIDATION_ERROR", f"Invalid type '{type_}'")
        if field_type not in FIELD_TYPES_BY_TYPE[type_]:
            raise SandboxError(
                400,
                "VALIDATION_ERROR",
                f"fieldType '{field_type}' is not valid for type '{type_}'; "
                f"use one of {sorted(FIELD_TYPES_BY_TYPE[type_])}",
            )
        if type_ == "enumeration" and field_type != "booleancheckbox" and not body.get("options"):
            raise SandboxError(400, "VALIDATION_ERROR", "enumeration properties need options")
        if body["groupName"] not in self.property_groups[object_type]:
            raise SandboxError(
                400, "VALIDATION_ERROR", f"Property group '{body['groupName']}' does not exist"
            )
        if name in schema:
            raise SandboxError(
                409, "OBJECT_ALREADY_EXISTS", f"A property named '{name}' already exists."
            )
        definition = property_definition(
            name,
            type_,
            field_type,
            group=body["groupName"],
            options=body.get("options"),
            now=iso_ms(self.now_ms()),
        )
        definition.update(
            label=body["label"],
            description=body.get("description", ""),
            hubspotDefined=False,
            hasUniqueValue=bool(body.get("hasUniqueValue")),
            hidden=bool(body.get("hidden")),
            formField=bool(body.get("formField", False)),
            displayOrder=int(body.get("displayOrder", -1)),
        )
        definition["modificationMetadata"].update(archivable=True, readOnlyDefinition=False)
        schema[name] = definition
        return json_response(definition, 201)


def _object_body(request: SandboxRequest) -> dict:
    body = request.json()
    if not isinstance(body, dict):
        raise SandboxError(400, "VALIDATION_ERROR", "Request body must be a JSON object")
    return body
