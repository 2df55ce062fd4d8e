"""HubSpot owner ↔ Salesforce user mapping, and the Assigned To decision.

Assigned To of a task made from a HubSpot activity (help article 004): the activity's owner if
mapped to a Salesforce user; else the record (contact) owner if mapped; else the integration
user (the connecting Salesforce user). The decision and its reason are kept on the link.
"""

from __future__ import annotations

from dataclasses import dataclass

from accounts.models import Organization
from sync.models import ActivityUserMapping

MANUAL = ActivityUserMapping.Source.MANUAL


@dataclass(frozen=True)
class Assignment:
    user_id: str
    reason: str
    fell_back: bool  # an owner was there but not mapped


def user_mappings_suggest(*, organization: Organization, hubspot, salesforce) -> int:
    """Suggest a Salesforce user for every HubSpot owner by email; returns how many were set.

    Mappings set by hand are never changed; suggestions are refreshed (a user may appear later).
    One Salesforce query for every owner's email (`find_users_by_email`), not one per owner.
    """
    owners = [
        (str(owner["id"]), (owner.get("email") or "").strip().lower()) for owner in hubspot.owners()
    ]
    mappings = {
        row.hubspot_owner_id: row
        for row in ActivityUserMapping.objects.filter(organization=organization)
    }
    manual = {key for key, row in mappings.items() if row.source == MANUAL}
    users = salesforce.find_users_by_email(e for key, e in owners if e and key not in manual)
    changed = 0
    for owner_id, email in owners:
        if owner_id in manual:
            continue
        mapping = mappings.get(owner_id)
        user = users.get(email) if email else None
        values = {
            "hubspot_email": email,
            "salesforce_user_id": user["Id"] if user else "",
            "salesforce_email": (user.get("Email") or "") if user else "",
            "source": ActivityUserMapping.Source.SUGGESTED,
        }
        if mapping is None:
            mappings[owner_id] = ActivityUserMapping.objects.create(
                organization=organization, hubspot_owner_id=owner_id, **values
            )
            changed += 1
        elif any(getattr(mapping, key) != value for key, value in values.items()):
            ActivityUserMapping.objects.filter(pk=mapping.pk).update(**values)
            changed += 1
    return changed


def owner_maps(organization: Organization) -> tuple[dict[str, str], dict[str, str]]:
    """(HubSpot owner id → Salesforce user id, Salesforce user id → HubSpot owner id)."""
    rows = ActivityUserMapping.objects.filter(organization=organization).exclude(
        salesforce_user_id=""
    )
    to_salesforce = {row.hubspot_owner_id: row.salesforce_user_id for row in rows}
    to_hubspot: dict[str, str] = {}
    for row in rows.order_by("pk"):  # several owners on one user: the first mapping wins
        to_hubspot.setdefault(row.salesforce_user_id[:15], row.hubspot_owner_id)
    return to_salesforce, to_hubspot


def assigned_to(
    *,
    activity_owner: str | None,
    record_owner: str | None,
    mapped: dict[str, str],
    integration_user_id: str,
) -> Assignment:
    """Who the Salesforce task is assigned to, and why."""
    if activity_owner and activity_owner in mapped:
        return Assignment(
            mapped[activity_owner], f"activity owner {activity_owner} is mapped", False
        )
    if record_owner and record_owner in mapped:
        why = (
            f"activity owner {activity_owner} is not mapped"
            if activity_owner
            else "the activity has no owner"
        )
        return Assignment(
            mapped[record_owner],
            f"{why}; record owner {record_owner} is mapped",
            bool(activity_owner),
        )
    owners = ", ".join(
        f"{label} {value}"
        for label, value in (("activity owner", activity_owner), ("record owner", record_owner))
        if value
    )
    reason = f"not mapped ({owners}): integration user" if owners else "no owner: integration user"
    return Assignment(integration_user_id, reason, bool(owners))
