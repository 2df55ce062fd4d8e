"""The sandbox org's schema: the sObjects and fields the fake knows, their types and picklists.

Field names, types and defaults follow the Salesforce Object Reference (Task, User, Contact,
Lead, Account, Opportunity); only the fields Meetbridge reads or writes are modelled. Picklist
values are per org (admins customise Task Status and Type), so `OrgSchema` holds a mutable copy.
"""

from __future__ import annotations

import copy
import datetime as dt
from dataclasses import dataclass, field
from typing import Any

STRING_TYPES = {"string", "textarea", "picklist", "combobox", "email", "phone", "url"}
ID_TYPES = {"id", "reference"}
# SOQL type names used in Salesforce's "must be of type ..." messages.
SOQL_TYPE_NAMES = {"datetime": "dateTime", "date": "date", "boolean": "boolean", "double": "double"}


@dataclass(frozen=True)
class FieldSpec:
    name: str
    type: str  # id, reference, string, textarea, picklist, combobox, email, boolean, date, ...
    label: str = ""
    length: int = 0
    nillable: bool = True
    createable: bool = True
    updateable: bool = True
    reference_to: tuple[str, ...] = ()
    relationship_name: str | None = None
    restricted: bool = False  # restricted picklist: values outside the list are refused
    default: Any = None  # applied on create when the field is absent


@dataclass(frozen=True)
class SObjectSpec:
    name: str
    label: str
    key_prefix: str
    fields: dict[str, FieldSpec]
    createable: bool = True

    def field_named(self, name: str) -> FieldSpec | None:
        """Field names are case-insensitive in SOQL and in REST bodies."""
        spec = self.fields.get(name)
        if spec is not None:
            return spec
        lowered = name.lower()
        return next((f for n, f in self.fields.items() if n.lower() == lowered), None)

    def relationship(self, name: str) -> FieldSpec | None:
        lowered = name.lower()
        return next(
            (f for f in self.fields.values() if (f.relationship_name or "").lower() == lowered),
            None,
        )


def _ro(name: str, type_: str, label: str = "", **kw: Any) -> FieldSpec:
    return FieldSpec(name, type_, label or name, createable=False, updateable=False, **kw)


def _ref(name: str, targets: tuple[str, ...], relationship: str, label: str, **kw: Any):
    return FieldSpec(
        name, "reference", label, 18, reference_to=targets, relationship_name=relationship, **kw
    )


def _system_fields() -> list[FieldSpec]:
    return [
        _ro("Id", "id", "Record ID", length=18, nillable=False),
        _ro("IsDeleted", "boolean", "Deleted", nillable=False),
        _ro("CreatedDate", "datetime", "Created Date", nillable=False),
        _ro(
            "CreatedById",
            "reference",
            "Created By ID",
            length=18,
            reference_to=("User",),
            relationship_name="CreatedBy",
        ),
        _ro("LastModifiedDate", "datetime", "Last Modified Date", nillable=False),
        _ro("SystemModstamp", "datetime", "System Modstamp", nillable=False),
    ]


def _owner() -> FieldSpec:
    return _ref("OwnerId", ("User",), "Owner", "Owner ID", nillable=False)


def _sobject(name: str, label: str, prefix: str, fields: list[FieldSpec], **kw: Any):
    return SObjectSpec(name, label, prefix, {f.name: f for f in _system_fields() + fields}, **kw)


SOBJECTS: dict[str, SObjectSpec] = {
    spec.name: spec
    for spec in [
        _sobject(
            "User",
            "User",
            "005",
            [
                FieldSpec("Username", "string", "Username", 80, nillable=False),
                FieldSpec("FirstName", "string", "First Name", 40),
                FieldSpec("LastName", "string", "Last Name", 80, nillable=False),
                _ro("Name", "string", "Full Name", length=121),
                FieldSpec("Email", "email", "Email", 128, nillable=False),
                FieldSpec("IsActive", "boolean", "Active", nillable=False, default=True),
            ],
            createable=False,
        ),
        _sobject(
            "Account",
            "Account",
            "001",
            [FieldSpec("Name", "string", "Account Name", 255, nillable=False), _owner()],
        ),
        _sobject(
            "Contact",
            "Contact",
            "003",
            [
                FieldSpec("FirstName", "string", "First Name", 40),
                FieldSpec("LastName", "string", "Last Name", 80, nillable=False),
                _ro("Name", "string", "Full Name", length=121),
                FieldSpec("Email", "email", "Email", 80),
                _ref("AccountId", ("Account",), "Account", "Account ID"),
                _owner(),
            ],
        ),
        _sobject(
            "Lead",
            "Lead",
            "00Q",
            [
                FieldSpec("FirstName", "string", "First Name", 40),
                FieldSpec("LastName", "string", "Last Name", 80, nillable=False),
                _ro("Name", "string", "Full Name", length=121),
                FieldSpec("Email", "email", "Email", 80),
                FieldSpec("Company", "string", "Company", 255, nillable=False),
                _ro("IsConverted", "boolean", "Converted", nillable=False),
                _owner(),
            ],
        ),
        _sobject(
            "Opportunity",
            "Opportunity",
            "006",
            [
                FieldSpec("Name", "string", "Name", 120, nillable=False),
                FieldSpec("StageName", "picklist", "Stage", 255, nillable=False, restricted=True),
                FieldSpec("CloseDate", "date", "Close Date", nillable=False),
                _ref("AccountId", ("Account",), "Account", "Account ID"),
                _owner(),
            ],
        ),
        _sobject(
            "Task",
            "Task",
            "00T",
            [
                FieldSpec("Subject", "combobox", "Subject", 255),
                FieldSpec("Description", "textarea", "Description", 32000),
                FieldSpec("ActivityDate", "date", "Due Date Only"),
                # Status and Priority are required but defaulted on create (Task reference).
                FieldSpec("Status", "picklist", "Status", 255, nillable=False, restricted=True),
                FieldSpec("Priority", "picklist", "Priority", 40, nillable=False, restricted=True),
                # [UNVERIFIED] Type and TaskSubtype treated as restricted like Status/Priority.
                FieldSpec("Type", "picklist", "Type", 40, restricted=True),
                # TaskSubtype can be set on create only (Task object reference).
                FieldSpec(
                    "TaskSubtype", "picklist", "Task Subtype", 40, updateable=False, restricted=True
                ),
                _ro("IsClosed", "boolean", "Closed", nillable=False),
                _ref("OwnerId", ("User",), "Owner", "Assigned To ID", nillable=False),
                _ref("WhoId", ("Contact", "Lead"), "Who", "Name ID"),
                _ref("WhatId", ("Account", "Opportunity"), "What", "Related To ID"),
            ],
        ),
    ]
}
KEY_PREFIXES = {spec.key_prefix: name for name, spec in SOBJECTS.items()}

# Default picklists of a new org (Task reference; apis.md §4.4). (value, is_default)
DEFAULT_PICKLISTS: dict[tuple[str, str], list[tuple[str, bool]]] = {
    ("Task", "Status"): [
        ("Not Started", True),
        ("In Progress", False),
        ("Completed", False),
        ("Waiting on someone else", False),
        ("Deferred", False),
    ],
    ("Task", "Priority"): [("High", False), ("Normal", True), ("Low", False)],
    ("Task", "Type"): [("Call", False), ("Email", False), ("Meeting", False), ("Other", False)],
    ("Task", "TaskSubtype"): [
        ("Task", True),
        ("Email", False),
        ("ListEmail", False),
        ("Cadence", False),
        ("Call", False),
        ("LinkedIn", False),
    ],
    ("Opportunity", "StageName"): [
        ("Prospecting", True),
        ("Qualification", False),
        ("Negotiation/Review", False),
        ("Closed Won", False),
        ("Closed Lost", False),
    ],
}
# Task statuses whose TaskStatus.IsClosed is true in a new org.
DEFAULT_CLOSED_STATUSES = {"Completed"}


@dataclass
class OrgSchema:
    """One org's view of the schema: shared field specs plus its own picklist values."""

    picklists: dict[tuple[str, str], list[tuple[str, bool]]] = field(
        default_factory=lambda: copy.deepcopy(DEFAULT_PICKLISTS)
    )
    closed_statuses: set[str] = field(default_factory=lambda: set(DEFAULT_CLOSED_STATUSES))

    def sobject(self, name: str) -> SObjectSpec | None:
        spec = SOBJECTS.get(name)
        if spec is None:
            spec = next((s for n, s in SOBJECTS.items() if n.lower() == name.lower()), None)
        return spec

    def picklist_values(self, sobject: str, field_name: str) -> list[str]:
        return [value for value, _ in self.picklists.get((sobject, field_name), [])]

    def picklist_default(self, sobject: str, field_name: str) -> str | None:
        entries = self.picklists.get((sobject, field_name), [])
        return next((value for value, default in entries if default), None)

    def describe(self, sobject: SObjectSpec, *, version: str) -> dict[str, Any]:
        """The `GET /sobjects/{type}/describe` body (the fields Meetbridge and SDKs read)."""
        base = f"/services/data/{version}/sobjects/{sobject.name}"
        return {
            "name": sobject.name,
            "label": sobject.label,
            "labelPlural": sobject.label + "s",
            "keyPrefix": sobject.key_prefix,
            "custom": False,
            "createable": sobject.createable,
            "updateable": sobject.createable,
            "deletable": sobject.createable,
            "queryable": True,
            "searchable": True,
            "fields": [self._describe_field(sobject, spec) for spec in sobject.fields.values()],
            "urls": {
                "sobject": base,
                "describe": f"{base}/describe",
                "rowTemplate": f"{base}/{{ID}}",
            },
        }

    def _describe_field(self, sobject: SObjectSpec, spec: FieldSpec) -> dict[str, Any]:
        has_default = spec.default is not None or self.picklist_default(sobject.name, spec.name)
        return {
            "name": spec.name,
            "label": spec.label,
            "type": spec.type,
            "length": spec.length,
            "nillable": spec.nillable,
            "createable": spec.createable,
            "updateable": spec.updateable,
            "defaultedOnCreate": bool(has_default) or spec.name == "OwnerId",
            "custom": False,
            "referenceTo": list(spec.reference_to),
            "relationshipName": spec.relationship_name,
            "polymorphicForeignKey": len(spec.reference_to) > 1,
            "restrictedPicklist": spec.restricted,
            "picklistValues": [
                {
                    "active": True,
                    "defaultValue": default,
                    "label": value,
                    "validFor": None,
                    "value": value,
                }
                for value, default in self.picklists.get((sobject.name, spec.name), [])
            ],
        }


def id_with_checksum(id15: str) -> str:
    """The 18-character form of a 15-character Salesforce Id (case-safe suffix).

    Each 5-character chunk contributes one suffix character whose bits mark its upper-case
    letters (documented algorithm behind CASESAFEID()).
    """
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ012345"
    suffix = ""
    for chunk in range(3):
        bits = 0
        for index, char in enumerate(id15[chunk * 5 : chunk * 5 + 5]):
            if "A" <= char <= "Z":
                bits |= 1 << index
        suffix += alphabet[bits]
    return id15 + suffix


def id_normalise(value: str) -> str:
    """An Id in its 18-character form (15-character Ids are accepted as Salesforce does)."""
    return id_with_checksum(value) if len(value) == 15 else value


def format_datetime(value: dt.datetime) -> str:
    """REST JSON form of a datetime: 2026-01-01T09:30:00.000+0000."""
    return value.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.000+0000")


def json_value(value: Any) -> Any:
    if isinstance(value, dt.datetime):
        return format_datetime(value)
    if isinstance(value, dt.date):
        return value.isoformat()
    return value
