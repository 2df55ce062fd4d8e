"""Which HubSpot properties an organisation syncs: name checks, existence checks, "Test sync".

Nothing here writes locally except `crm_sync_settings_save`; checks only read HubSpot's property
definitions (one `GET /crm/v3/properties/{type}` per object type, apis.md §2.5).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from django.db import transaction

from accounts.models import Organization
from connectors.errors import ConnectionUnavailableError, ConnectorError
from connectors.installations import installation_get
from sync.models import CrmRecord, CrmSyncSettings

# HubSpot internal names: a letter, then letters, digits and underscores (the "Internal name"
# column of Settings → Properties). Custom ones are lowercase; some legacy ones are not.
PROPERTY_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_]{0,99}$")

# CrmRecord.ObjectType -> HubSpot object type, settings field and cursor fields.
HUBSPOT_TYPES = {
    CrmRecord.ObjectType.CONTACT: "contacts",
    CrmRecord.ObjectType.COMPANY: "companies",
}
PROPERTIES_FIELD = {
    CrmRecord.ObjectType.CONTACT: "contact_properties",
    CrmRecord.ObjectType.COMPANY: "company_properties",
}
CURSOR_FIELDS = {
    CrmRecord.ObjectType.CONTACT: ("contact_cursor_ms", "contact_cursor_ids"),
    CrmRecord.ObjectType.COMPANY: ("company_cursor_ms", "company_cursor_ids"),
}


class CrmSyncUnavailableError(Exception):
    """HubSpot cannot be asked: not connected, or the call failed. The message is for people."""


@dataclass
class PropertyCheck:
    """The outcome of checking property names against HubSpot, per object type."""

    checked: dict[str, list[str]] = field(default_factory=dict)  # object type -> names
    missing: dict[str, list[str]] = field(default_factory=dict)  # object type -> names

    @property
    def ok(self) -> bool:
        return not any(self.missing.values())

    def summary(self) -> str:
        if self.ok:
            total = sum(len(names) for names in self.checked.values())
            return f"All {total} properties exist in HubSpot."
        parts = [
            f"{CrmRecord.ObjectType(kind).label.lower()} properties {', '.join(names)}"
            for kind, names in self.missing.items()
            if names
        ]
        return "Not found in HubSpot: " + "; ".join(parts) + "."


def property_names_clean(raw: str | list[str]) -> tuple[list[str], list[str]]:
    """(names, malformed) from a comma/space/newline separated text or a list; deduplicated,
    order kept."""
    parts = re.split(r"[\s,;]+", raw) if isinstance(raw, str) else [str(p) for p in raw]
    names = list(dict.fromkeys(p.strip() for p in parts if p and p.strip()))
    return names, [name for name in names if not PROPERTY_NAME.match(name)]


def crm_properties_check(
    *, organization: Organization, names_by_type: dict[str, list[str]]
) -> PropertyCheck:
    """Check that every name exists in HubSpot for its object type (CrmRecord.ObjectType keys).

    One properties-list call per object type with names to check; none when all lists are
    empty. Raises CrmSyncUnavailableError when HubSpot is not connected or does not answer.
    Writes nothing locally (the HTTP layer's call log aside).
    """
    check = PropertyCheck(checked={kind: list(names) for kind, names in names_by_type.items()})
    wanted = {kind: names for kind, names in names_by_type.items() if names}
    if not wanted:
        return check
    try:
        installation = installation_get(organization_id=organization.pk, provider="hubspot")
    except ConnectionUnavailableError as error:
        raise CrmSyncUnavailableError(error.message) from error
    client = installation.client(context=f"crm-property-check:{organization.pk}")
    for kind, names in wanted.items():
        try:
            existing = {p["name"] for p in client.properties_list(HUBSPOT_TYPES[kind])}
        except ConnectorError as error:
            raise CrmSyncUnavailableError(f"HubSpot did not answer: {error}") from error
        check.missing[kind] = [name for name in names if name not in existing]
    return check


def crm_test_sync(*, organization: Organization) -> PropertyCheck:
    """ "Test sync": check the saved property names against HubSpot; writes nothing locally."""
    settings = CrmSyncSettings.objects.filter(organization=organization).first()
    if settings is None:
        return PropertyCheck()
    return crm_properties_check(
        organization=organization,
        names_by_type={
            kind: list(getattr(settings, field_name))
            for kind, field_name in PROPERTIES_FIELD.items()
        },
    )


def crm_sync_settings_save(*, settings: CrmSyncSettings) -> CrmSyncSettings:
    """Save the property lists (already validated) without touching the sync's cursors, except:
    a type whose list changed starts again from the beginning, so that every stored record gets
    the new set of properties at the next run."""
    fields = ["contact_properties", "company_properties", "updated_at"]
    with transaction.atomic():
        if settings.pk is None:
            settings.save()
            return settings
        stored = CrmSyncSettings.objects.select_for_update().get(pk=settings.pk)
        for kind, field_name in PROPERTIES_FIELD.items():
            if list(getattr(stored, field_name)) != list(getattr(settings, field_name)):
                ms_field, ids_field = CURSOR_FIELDS[kind]
                setattr(settings, ms_field, 0)
                setattr(settings, ids_field, [])
                fields += [ms_field, ids_field]
        settings.save(update_fields=fields)
    return settings
