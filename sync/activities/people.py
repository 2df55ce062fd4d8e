"""Which Salesforce person a HubSpot activity goes to (WhoId), and which HubSpot records a
Salesforce task is related to.

WhoId (help article 004): an engagement associated with several contacts goes to the most
recently created of those contacts that is synced to Salesforce; on equal creation times, the
one with the highest HubSpot object id. "Synced to Salesforce" is kept simple and documented:
a Contact (else an unconverted Lead) with the contact's email exists in Salesforce. We compare
full `createdate` timestamps (ms); the article's "same date" is read as the same timestamp.

Related To of a Salesforce task (kept simple): WhoId → the HubSpot contact with the
Contact's/Lead's email; WhatId Account → the HubSpot company with exactly the Account's name;
WhatId Opportunity → the company of the Opportunity's Account and the HubSpot deal with exactly
the Opportunity's name (sync.activities.deals).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from connectors.hubspot.client import parse_hubspot_time
from sync.activities.deals import hubspot_deals_by_name


@dataclass(frozen=True)
class ContactCandidate:
    hubspot_id: str
    created_ms: int
    email: str
    owner_id: str


def contact_candidates(rows: Iterable[dict[str, Any]]) -> dict[str, ContactCandidate]:
    """HubSpot contact reads (with createdate, email, hubspot_owner_id) by id."""
    found = {}
    for row in rows:
        props = row.get("properties") or {}
        created = parse_hubspot_time(props.get("createdate") or row.get("createdAt"))
        found[str(row["id"])] = ContactCandidate(
            hubspot_id=str(row["id"]),
            created_ms=int(created.timestamp() * 1000) if created else 0,
            email=(props.get("email") or "").strip().lower(),
            owner_id=props.get("hubspot_owner_id") or "",
        )
    return found


def who_choose(
    candidates: Iterable[ContactCandidate], resolve: Callable[[str], Any]
) -> tuple[ContactCandidate, Any] | None:
    """The newest candidate (ties: highest id) that `resolve` finds in Salesforce, with its
    match; None when none is synced. Resolves lazily, newest first, to spare API calls."""
    ordered = sorted(candidates, key=lambda c: (c.created_ms, int(c.hubspot_id)), reverse=True)
    for candidate in ordered:
        match = resolve(candidate.email) if candidate.email else None
        if match is not None:
            return candidate, match
    return None


def related_hubspot_ids(
    ctx, tasks: list[dict[str, Any]]
) -> dict[str, tuple[list[str], list[str], list[str]]]:
    """Salesforce task id → (HubSpot contact, company, deal ids) it should be linked to."""
    sf = ctx.salesforce
    who = {t["WhoId"] for t in tasks if t.get("WhoId")}
    what = {t["WhatId"] for t in tasks if t.get("WhatId")}
    emails: dict[str, str] = {}
    for sobject in ("Contact", "Lead"):
        ids = [i for i in who if i.startswith("003" if sobject == "Contact" else "00Q")]
        template = f"SELECT Id, Email FROM {sobject} WHERE Id IN ({{in_list}})"  # noqa: S608
        emails.update({r["Id"]: (r.get("Email") or "").lower() for r in sf.query_in(template, ids)})
    opportunity_ids = [i for i in what if i.startswith("006")]
    account_of: dict[str, str] = {i: i for i in what if i.startswith("001")}
    opportunity_names: dict[str, str] = {}
    if opportunity_ids:
        template = "SELECT Id, Name, AccountId FROM Opportunity WHERE Id IN ({in_list})"
        for row in sf.query_in(template, opportunity_ids):
            opportunity_names[row["Id"]] = row.get("Name") or ""
            if row.get("AccountId"):
                account_of[row["Id"]] = row["AccountId"]
    names: dict[str, str] = {}
    if account_of:
        template = "SELECT Id, Name FROM Account WHERE Id IN ({in_list})"
        names = {r["Id"]: r.get("Name") or "" for r in sf.query_in(template, account_of.values())}
    contact_ids = _hubspot_contacts_by_email(ctx, {e for e in emails.values() if e})
    company_ids = hubspot_companies_by_name(ctx, {n for n in names.values() if n})
    deal_ids = hubspot_deals_by_name(ctx, {n for n in opportunity_names.values() if n})
    related = {}
    for task in tasks:
        contact = contact_ids.get(emails.get(task.get("WhoId") or "", ""))
        account = account_of.get(task.get("WhatId") or "")
        company = company_ids.get(names.get(account or "", ""))
        deal = deal_ids.get(opportunity_names.get(task.get("WhatId") or "", ""))
        related[task["Id"]] = (
            [contact] if contact else [],
            [company] if company else [],
            [deal] if deal else [],
        )
    return related


def _hubspot_contacts_by_email(ctx, emails: set[str]) -> dict[str, str]:
    if not emails:
        return {}
    result = ctx.hubspot.batch_read_contacts(emails=sorted(emails), properties=["email"])
    return {
        (row["properties"].get("email") or "").lower(): str(row["id"]) for row in result.results
    }


def hubspot_companies_by_name(ctx, names: set[str]) -> dict[str, str | None]:
    """Account name → the first HubSpot company with that name (compared as the search does,
    ignoring case), or None; one search per 100 names not looked up before in this run."""
    missing = sorted(names - set(ctx.companies))
    if missing:
        first: dict[str, str] = {}
        for row in ctx.hubspot.search_in("companies", "name", missing, properties=["name"]):
            first.setdefault((row["properties"].get("name") or "").casefold(), str(row["id"]))
        ctx.companies.update({name: first.get(name.casefold()) for name in missing})
    return {name: ctx.companies[name] for name in names}
