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

from django.db.models import Max

from meetings.models import Booking, HubSpotOwner, MeetingType, RoutingRule
from sync.models import CrmRecord


@dataclass(frozen=True)
class Candidate:
    host: object
    reason: str
    # Fallback hosts are interchangeable: one being booked right now may be passed over.
    interchangeable: bool = False


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


def host_candidates(*, meeting_type: MeetingType, invitee_email: str, hosts: list) -> list:
    """Every host of the type, best first, each with the reason it would be chosen."""
    if not hosts:
        return []
    by_id = {host.pk: host for host in hosts}
    chosen: list[Candidate] = []
    # `has_rules` (annotated by the booking service) spares a query for types without rules.
    has_rules = getattr(meeting_type, "has_rules", True)
    rules = list(meeting_type.routing_rules.all()) if has_rules else []
    if rules:
        invitee = invitee_records(organization_id=meeting_type.organization_id, email=invitee_email)
        for position, rule in enumerate(rules, start=1):
            value = rule_value(rule, invitee)
            if not rule_matches(rule, value):
                continue
            host = _rule_host(rule, value, by_id, meeting_type.organization_id)
            if host is None:
                continue
            label = f"rule {position} ({rule.field} {rule.get_operator_display()}"
            label += f" {rule.value!r})" if rule.operator != RoutingRule.Operator.IS_SET else ")"
            chosen.append(Candidate(host, f"{label} matched {value!r}: host {host.email}"))
            break
    first = chosen[0].host.pk if chosen else None
    for host in _least_recently_booked(meeting_type.organization_id, hosts):
        if host.pk == first:
            continue
        prefix = f"{chosen[0].reason} was busy; " if chosen else "no routing rule matched; "
        reason = prefix + f"least recently booked host {host.email}"
        chosen.append(Candidate(host, reason, interchangeable=True))
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


def _least_recently_booked(organization_id: int, hosts: list) -> list:
    if hosts and all(hasattr(h, "last_booked_at") for h in hosts):
        last = {h.pk: h.last_booked_at for h in hosts}  # annotated by the booking service
    else:
        last = dict(
            Booking.objects.filter(organization_id=organization_id, host__in=hosts)
            .values("host")
            .annotate(last=Max("created_at"))
            .values_list("host", "last")
        )
    return sorted(hosts, key=lambda h: (last.get(h.pk) is not None, last.get(h.pk) or 0, h.pk))
