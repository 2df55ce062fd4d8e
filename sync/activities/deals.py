"""HubSpot deal ↔ Salesforce Opportunity, for a task's Related To (WhatId) and a HubSpot task's
deal association.

Matching is kept as simple as the company ↔ Account rule in `people` and documented there: the
same exact name, used only when it is unambiguous.
- Salesforce → HubSpot: an Opportunity (WhatId 006…) goes to the one HubSpot deal whose
  `dealname` equals the Opportunity's Name; none when no deal or several deals have that name.
- HubSpot → Salesforce: of the deals an activity is associated with, the most recently created
  (ties: highest id, as for contacts) that matches an Opportunity by name; when several
  Opportunities share that name, the one on the WhoId contact's Account, else none. A Lead's task
  gets no WhatId (Salesforce allows WhatId only with a Contact or no WhoId).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from connectors.errors import MissingScopeError
from connectors.hubspot.client import parse_hubspot_time
from connectors.salesforce.client import PersonMatch
from sync.activities.models import ActivityFindingReason as Reason

MISSING_SCOPE = (
    "HubSpot refused reading deals ({error}). Reconnect HubSpot and approve the deals "
    "permission; until then tasks are synced without deal / Opportunity links."
)


def _deals_refused(ctx, error: MissingScopeError) -> None:
    ctx.finding_once("deals", reason=Reason.CONNECTION, message=MISSING_SCOPE.format(error=error))


def hubspot_deals_by_name(ctx, names: set[str]) -> dict[str, str | None]:
    """Opportunity name → the id of the only HubSpot deal named exactly so, else None; one
    search per 100 names not looked up before in this run. A deal counts as the match only
    when no other deal has the name in another case (the search compares ignoring case)."""
    missing = sorted(names - set(ctx.deals))
    if missing:
        try:
            found = list(ctx.hubspot.search_in("deals", "dealname", missing))
        except MissingScopeError as error:
            _deals_refused(ctx, error)
            found = []
        same: dict[str, list[dict[str, Any]]] = {}
        for row in found:
            same.setdefault((row["properties"].get("dealname") or "").casefold(), []).append(row)
        for name in missing:
            rows = same.get(name.casefold(), [])
            exact = [row for row in rows if (row["properties"].get("dealname") or "") == name]
            ctx.deals[name] = str(exact[0]["id"]) if len(exact) == 1 and len(rows) == 1 else None
    return {name: ctx.deals[name] for name in names}


def opportunities_for_deals(
    ctx,
    object_type: str,
    record_ids: Sequence[str],
    people: Mapping[str, PersonMatch],
) -> dict[str, str]:
    """HubSpot activity id → Opportunity Id, for activities associated with a matching deal.

    `people` maps activity id → the chosen WhoId match (only Contacts get a WhatId).
    """
    wanted = [i for i in record_ids if i in people and people[i].sobject_type == "Contact"]
    if not wanted:
        return {}
    try:
        deals_of = ctx.hubspot.batch_read_associations(object_type, "deals", wanted)
        deal_ids = sorted({d for ids in deals_of.values() for d in ids})
        if not deal_ids:
            return {}
        deals = ctx.hubspot.batch_read_deals(deal_ids, properties=["dealname", "createdate"])
    except MissingScopeError as error:
        _deals_refused(ctx, error)
        return {}
    deals = deals.results
    newest_first = sorted(deals, key=_deal_age, reverse=True)
    names = {str(d["id"]): (d["properties"].get("dealname") or "").strip() for d in deals}
    opportunities = _opportunities_named(ctx, {n for n in names.values() if n})
    chosen = {}
    for record_id in wanted:
        linked = set(deals_of.get(record_id, []))
        for deal in (d for d in newest_first if str(d["id"]) in linked):
            match = _pick(opportunities.get(names[str(deal["id"])], []), people[record_id])
            if match:
                chosen[record_id] = match
                break
    return chosen


def _deal_age(deal: dict[str, Any]) -> tuple[int, int]:
    created = parse_hubspot_time(deal["properties"].get("createdate") or deal.get("createdAt"))
    return (int(created.timestamp() * 1000) if created else 0, int(deal["id"]))


def _opportunities_named(ctx, names: set[str]) -> dict[str, list[dict[str, Any]]]:
    if not names:
        return {}
    template = (
        "SELECT Id, Name, AccountId FROM Opportunity WHERE Name IN ({in_list}) "
        "ORDER BY CreatedDate ASC, Id ASC"
    )
    found: dict[str, list[dict[str, Any]]] = {}
    for row in ctx.salesforce.query_in(template, names):
        found.setdefault(row.get("Name") or "", []).append(row)
    return found


def _pick(candidates: list[dict[str, Any]], person: PersonMatch) -> str | None:
    if len(candidates) == 1:
        return candidates[0]["Id"]
    on_account = [
        c for c in candidates if person.account_id and c.get("AccountId") == person.account_id
    ]
    return on_account[0]["Id"] if len(on_account) == 1 else None
