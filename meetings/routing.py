"""Choosing the host of a booking: routing rules on the invitee's synced CRM data, then fallback.

Reads only the local database (`sync.models.CrmRecord`, synced nightly or on demand, and the
`HubSpotOwner` cache), never HubSpot: it runs inside the booking request.

The contact is the CrmRecord contact with the invitee's email; its company is the CrmRecord
company with the contact's `company_hubspot_id`, or else the company whose domain is the
invitee's email domain. Rules are tried in order; the first that matches and names an eligible
host wins. The remaining hosts follow, least recently booked first (a cheap round robin), so a
busy rule host falls back to the next free one. Each candidate carries the reason stored on the
booking.
"""

from __future__ import annotations

from dataclasses import dataclass

from meetings.booking_context import BookingContext
from meetings.models import HubSpotOwner, RoutingRule
from sync.models import CrmRecord


@dataclass(frozen=True)
class Candidate:
    host: object
    reason: str


@dataclass(frozen=True)
class Invitee:
    contact: CrmRecord | None
    company: CrmRecord | None


def invitee_records(*, organization_id: int, email: str) -> Invitee:
    records = CrmRecord.objects.filter(organization_id=organization_id)
    contact = (
        records.filter(object_type=CrmRecord.ObjectType.CONTACT, email__iexact=email)
        .order_by("pk")
        .first()
    )
    company = None
    if contact is not None and contact.company_hubspot_id:
        company = records.filter(
            object_type=CrmRecord.ObjectType.COMPANY, hubspot_id=contact.company_hubspot_id
        ).first()
    if company is None and "@" in email:
        domain = email.rsplit("@", 1)[1].lower()
        company = (
            records.filter(object_type=CrmRecord.ObjectType.COMPANY, domain__iexact=domain)
            .order_by("pk")
            .first()
        )
    return Invitee(contact, company)


def rule_value(rule: RoutingRule, invitee: Invitee) -> str:
    scope, _, name = rule.field.partition(".")
    record = invitee.contact if scope == "contact" else invitee.company
    if record is None:
        return ""
    if rule.field == "contact.hubspot_owner":
        return record.hubspot_owner_id or ""
    value = (record.properties or {}).get(name)
    return "" if value is None else str(value)


def rule_matches(rule: RoutingRule, value: str) -> bool:
    actual, wanted = value.strip().casefold(), rule.value.strip().casefold()
    if rule.operator == RoutingRule.Operator.IS_SET:
        return bool(actual)
    if rule.operator == RoutingRule.Operator.CONTAINS:
        return bool(wanted) and wanted in actual
    return actual == wanted


def host_candidates(
    *, context: BookingContext, invitee_email: str, round_robin: list[int]
) -> list[Candidate]:
    """Every host of the type, best first, each with the reason it would be chosen.

    `round_robin` is the hosts' ids least recently booked first: the order of the fallbacks."""
    hosts = context.hosts
    if not hosts:
        return []
    by_id = {host.pk: host for host in hosts}
    organization_id = context.meeting_type.organization_id
    chosen: list[Candidate] = []
    if context.rules:
        invitee = invitee_records(organization_id=organization_id, email=invitee_email)
        for position, rule in enumerate(context.rules, start=1):
            value = rule_value(rule, invitee)
            if not rule_matches(rule, value):
                continue
            host = _rule_host(rule, value, by_id, organization_id)
            if host is None:
                continue
            label = f"rule {position} ({rule.field} {rule.get_operator_display()}"
            label += f" {rule.value!r})" if rule.operator != RoutingRule.Operator.IS_SET else ")"
            chosen.append(Candidate(host, f"{label} matched {value!r}: host {host.email}"))
            break
    first = chosen[0].host.pk if chosen else None
    prefix = f"{chosen[0].reason} was busy; " if chosen else "no routing rule matched; "
    for host_id in round_robin:
        if host_id != first and host_id in by_id:
            host = by_id[host_id]
            chosen.append(Candidate(host, prefix + f"least recently booked host {host.email}"))
    return chosen


def _rule_host(rule: RoutingRule, value: str, by_id: dict, organization_id: int):
    if not rule.routes_to_owner:
        return by_id.get(rule.host_id)
    email = (
        HubSpotOwner.objects.filter(organization_id=organization_id, owner_id=value)
        .values_list("email", flat=True)
        .first()
    )
    if not email:
        return None
    return next((h for h in by_id.values() if h.email.casefold() == email.casefold()), None)
