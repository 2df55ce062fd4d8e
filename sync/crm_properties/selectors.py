"""What booking routing reads from the CRM property sync.

Usage (meetings' routing rules)::

    from sync.crm_properties.selectors import crm_snapshot_for_email

    snapshot = crm_snapshot_for_email(organization=org, email=invitee_email)
    if snapshot and snapshot.company.get("industry") == "Software": ...
    if snapshot and snapshot.hubspot_owner_id: ...  # the contact's HubSpot owner (owner id)

Local reads only: never calls HubSpot, so it is safe inside a request. Data is as fresh as the
last sync (nightly, or "Sync with HubSpot" in the admin).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from accounts.models import Organization
from sync.models import CrmRecord, CrmSyncSettings


@dataclass(frozen=True)
class CrmSnapshot:
    """A contact and its primary company as last synced from HubSpot.

    - `contact`: the organisation's chosen contact properties (every chosen name is a key; ""
      when HubSpot has no value), plus `email` and `hubspot_owner_id`. Empty when no contact
      has this email but a company has the email's domain.
    - `company`: the chosen company properties of the contact's primary company (or, without a
      contact, of the company whose domain is the email's domain), plus `domain` and
      `hubspot_owner_id`; empty when there is none.
    - `hubspot_owner_id`: the contact's HubSpot owner id (owner `id`, not `userId`; match it to a
      host through the owners list), "" when none.
    - `contact_hubspot_id` / `company_hubspot_id`: HubSpot record ids, "" when absent.
    """

    contact: dict[str, str] = field(default_factory=dict)
    company: dict[str, str] = field(default_factory=dict)
    hubspot_owner_id: str = ""
    contact_hubspot_id: str = ""
    company_hubspot_id: str = ""


def crm_snapshot_for_email(*, organization: Organization, email: str) -> CrmSnapshot | None:
    """The synced contact with this primary email (case-insensitive) and its primary company.

    Without such a contact, the synced company whose domain is the email's domain (contact
    empty). Returns None when neither is stored. Only the properties chosen in the
    organisation's settings are returned (a name removed from the settings disappears at once).
    """
    email = (email or "").strip().lower()
    if "@" not in email:
        return None
    settings = CrmSyncSettings.objects.filter(organization=organization).first()
    contact_names = list(settings.contact_properties) if settings else []
    company_names = list(settings.company_properties) if settings else []
    records = CrmRecord.objects.filter(organization=organization)
    contact = (
        records.filter(object_type=CrmRecord.ObjectType.CONTACT, email=email)
        .order_by("-modified_at", "-pk")
        .first()
    )
    if contact is not None and contact.company_hubspot_id:
        company = records.filter(
            object_type=CrmRecord.ObjectType.COMPANY, hubspot_id=contact.company_hubspot_id
        ).first()
    elif contact is None:
        domain = email.rsplit("@", 1)[1]
        company = (
            records.filter(object_type=CrmRecord.ObjectType.COMPANY, domain=domain)
            .order_by("-modified_at", "-pk")
            .first()
        )
    else:
        company = None
    if contact is None and company is None:
        return None
    return CrmSnapshot(
        contact=_values(contact, contact_names, email=contact.email) if contact else {},
        company=_values(company, company_names, domain=company.domain) if company else {},
        hubspot_owner_id=contact.hubspot_owner_id if contact else "",
        contact_hubspot_id=contact.hubspot_id if contact else "",
        company_hubspot_id=company.hubspot_id if company else "",
    )


def _values(record: CrmRecord, names: list[str], **identity: str) -> dict[str, str]:
    stored = record.properties or {}
    values = {name: str(stored.get(name) or "") for name in names}
    return {**values, **identity, "hubspot_owner_id": record.hubspot_owner_id}
