"""The typed HubSpot API client: every HubSpot call Meetbridge makes, through `HttpClient`.

Conventions: every call carries the burst limit (100 requests / 10 s per portal, apis.md §2.3) and
search calls also the search limit (4 / s); batch methods chunk their inputs by 100 and return a
`BatchResult` that merges the chunks' results and their 207 `errors`; listing methods follow the
`after` cursor to the end; "get" methods return None for 404; other failures raise the
`connectors.errors` family (the HTTP layer maps them).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from connectors.errors import PermanentError
from connectors.http import response_json
from connectors.hubspot.client_crm import CrmClientMixin
from connectors.hubspot.client_engagements import EngagementInput, EngagementsClientMixin
from connectors.hubspot.client_events import EventsClientMixin
from connectors.hubspot.client_marketing import Attendance, MarketingClientMixin, epoch_ms
from connectors.ratelimit import RateLimit

if TYPE_CHECKING:
    import requests

    from connectors.http import HttpClient

__all__ = ["Attendance", "BatchResult", "EngagementInput", "HubSpotClient"]

BURST_LIMIT = RateLimit("burst", 100, 10.0)  # TEN_SECONDLY_ROLLING per portal (apis.md §2.3)
SEARCH_LIMIT = RateLimit("search", 4, 1.0)  # 4/s per token; newer docs say 5 [UNVERIFIED]
BATCH_SIZE = 100
SEARCH_PAGE_SIZE = 200
SEARCH_RESULT_CAP = 10_000  # the search API refuses to page past this many results


def modified_property(object_type: str) -> str:
    """Contacts use `lastmodifieddate`; companies and engagements `hs_lastmodifieddate` (§2.4)."""
    return "lastmodifieddate" if object_type == "contacts" else "hs_lastmodifieddate"


@dataclass
class BatchResult:
    """What a (chunked) batch call produced: the records and the per-input errors of 207s."""

    results: list[dict[str, Any]] = field(default_factory=list)
    errors: list[dict[str, Any]] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors

    def missing_ids(self) -> list[str]:
        """Ids named by OBJECT_NOT_FOUND errors (batch read of records that do not exist)."""
        return [
            str(value)
            for error in self.errors
            if error.get("category") == "OBJECT_NOT_FOUND"
            for value in error.get("context", {}).get("ids", [])
        ]


class HubSpotClient(
    CrmClientMixin, EngagementsClientMixin, MarketingClientMixin, EventsClientMixin
):
    def __init__(self, http: HttpClient) -> None:
        self.http = http
        self.search_result_cap = SEARCH_RESULT_CAP

    # --- plumbing ------------------------------------------------------------------------------
    def _call(self, method: str, path: str, *, search: bool = False, **kwargs) -> requests.Response:
        limits = [BURST_LIMIT, SEARCH_LIMIT] if search else [BURST_LIMIT]
        return self.http.request(method, path, limits=limits, **kwargs)

    def _batched(self, method: str, path: str, inputs: Sequence, **kwargs) -> BatchResult:
        """POST `inputs` in chunks of 100 (`extra` body fields repeated on each chunk)."""
        extra = kwargs.pop("extra", {})
        merged = BatchResult()
        for start in range(0, len(inputs), BATCH_SIZE):
            chunk = list(inputs[start : start + BATCH_SIZE])
            response = self._call(method, path, json={**extra, "inputs": chunk}, **kwargs)
            if response.content:
                body = response_json(response)
                merged.results.extend(body.get("results", []))
                merged.errors.extend(body.get("errors", []))
        return merged

    def _get_or_none(self, path: str, **kwargs) -> dict[str, Any] | None:
        response = self._call("GET", path, ok_statuses=(404,), **kwargs)
        return None if response.status_code == 404 else response_json(response)

    def _search_page(self, object_type: str, body: dict[str, Any]) -> dict[str, Any]:
        """One page of a CRM search (the search rate limit applies)."""
        return response_json(
            self._call(
                "POST",
                "/crm/v3/objects/{object_type}/search",
                path_params={"object_type": object_type},
                json=body,
                search=True,
            )
        )

    def _all_pages(self, path: str, params: dict[str, Any], **kwargs) -> Iterator[dict[str, Any]]:
        params = dict(params)
        while True:
            page = response_json(self._call("GET", path, params=params, **kwargs))
            yield from page.get("results", [])
            after = page.get("paging", {}).get("next", {}).get("after")
            if not after:
                return
            params["after"] = after

    # --- account -------------------------------------------------------------------------------
    def account_details(self) -> dict[str, Any]:
        """portalId, timeZone, uiDomain, companyCurrency, dataHostingLocation, ..."""
        return response_json(self._call("GET", "/account-info/v3/details"))

    # --- contacts ------------------------------------------------------------------------------
    def batch_upsert_contacts(
        self, properties_by_email: Mapping[str, Mapping[str, Any]]
    ) -> BatchResult:
        """Create or update contacts by PRIMARY email, 100 per call.

        Careful: HubSpot does not match secondary emails, and an email that belongs to an archived
        contact creates a new contact; look contacts up first (`contact_find_by_email`).
        Each result carries `new` (created or not).
        """
        inputs = [
            {"idProperty": "email", "id": email, "properties": dict(properties)}
            for email, properties in properties_by_email.items()
        ]
        return self._batched("POST", "/crm/v3/objects/contacts/batch/upsert", inputs)

    def batch_read_contacts(
        self,
        *,
        emails: Sequence[str] = (),
        ids: Sequence[str] = (),
        properties: Sequence[str] = (),
        archived: bool = False,
    ) -> BatchResult:
        """Read contacts by primary email or by id (one of them), 100 per call; unknown ones are
        listed in `errors` (see `BatchResult.missing_ids`). `archived=True` reads deleted ones."""
        if bool(emails) == bool(ids):
            raise ValueError("pass either emails or ids")
        extra: dict[str, Any] = {"properties": list(properties)}
        if emails:
            extra["idProperty"] = "email"
        inputs = [{"id": str(value)} for value in (emails or ids)]
        params = {"archived": "true" if archived else "false"}
        return self._batched(
            "POST", "/crm/v3/objects/contacts/batch/read", inputs, extra=extra, params=params
        )

    def contact_get(
        self,
        contact_id: str | None = None,
        *,
        email: str | None = None,
        properties: Sequence[str] = (),
    ) -> dict[str, Any] | None:
        """One contact by id or primary email; None when there is none."""
        if (contact_id is None) == (email is None):
            raise ValueError("pass either contact_id or email")
        params: dict[str, Any] = {"properties": ",".join(properties)} if properties else {}
        if email is not None:
            params["idProperty"] = "email"
        return self._get_or_none(
            "/crm/v3/objects/contacts/{contact_id}",
            path_params={"contact_id": email if email is not None else contact_id},
            params=params,
        )

    def contact_find_by_email(
        self, email: str, *, properties: Sequence[str] = ()
    ) -> dict[str, Any] | None:
        """The live contact owning `email` as primary or secondary address, or None."""
        found = self.contact_get(email=email, properties=properties)
        if found is not None:
            return found
        filters = [
            {"propertyName": "hs_additional_emails", "operator": "CONTAINS_TOKEN", "value": email}
        ]
        matches = self.search(
            "contacts",
            filter_groups=[{"filters": filters}],
            properties=[*properties, "hs_additional_emails"],
            limit=10,
        )
        for contact in matches:
            listed = (contact["properties"].get("hs_additional_emails") or "").lower().split(";")
            if email.lower() in listed:
                return contact
        return None

    def contact_create(
        self, properties: Mapping[str, Any], *, company_ids: Sequence[str] = ()
    ) -> dict[str, Any]:
        """Create a contact (409 → PermanentError when the email exists)."""
        associations = [
            {
                "to": {"id": str(i)},
                "types": [{"associationCategory": "HUBSPOT_DEFINED", "associationTypeId": 279}],
            }
            for i in company_ids
        ]
        body = {"properties": dict(properties), "associations": associations}
        return response_json(self._call("POST", "/crm/v3/objects/contacts", json=body))

    def contact_update(self, contact_id: str, properties: Mapping[str, Any]) -> dict[str, Any]:
        return response_json(
            self._call(
                "PATCH",
                "/crm/v3/objects/contacts/{contact_id}",
                path_params={"contact_id": contact_id},
                json={"properties": dict(properties)},
            )
        )

    # --- companies -----------------------------------------------------------------------------
    def company_get(self, company_id: str, *, properties: Sequence[str] = ()) -> dict | None:
        params = {"properties": ",".join(properties)} if properties else {}
        return self._get_or_none(
            "/crm/v3/objects/companies/{company_id}",
            path_params={"company_id": company_id},
            params=params,
        )

    def batch_read_companies(
        self, ids: Sequence[str], *, properties: Sequence[str] = ()
    ) -> BatchResult:
        return self._batched(
            "POST",
            "/crm/v3/objects/companies/batch/read",
            [{"id": str(i)} for i in ids],
            extra={"properties": list(properties)},
        )

    # --- search --------------------------------------------------------------------------------
    def search(
        self,
        object_type: str,
        *,
        filter_groups: Sequence[Mapping[str, Any]] = (),
        sorts: Sequence[Any] = (),
        properties: Sequence[str] = (),
        query: str | None = None,
        limit: int = SEARCH_PAGE_SIZE,
    ) -> Iterator[dict[str, Any]]:
        """Every match of one search, following `after`. HubSpot stops at 10,000 results
        (PermanentError past it): use `modified_since` for unbounded incremental reads."""
        body: dict[str, Any] = {
            "filterGroups": [dict(g) for g in filter_groups],
            "sorts": list(sorts),
            "properties": list(properties),
            "limit": limit,
        }
        if query:
            body["query"] = query
        while True:
            page = self._search_page(object_type, body)
            yield from page.get("results", [])
            after = page.get("paging", {}).get("next", {}).get("after")
            if not after:
                return
            body["after"] = after

    def modified_since(
        self,
        object_type: str,
        since: dt.datetime | int,
        *,
        properties: Sequence[str] = (),
        filters: Sequence[Mapping[str, Any]] = (),
    ) -> Iterator[dict[str, Any]]:
        """Every record modified at or after `since` (datetime or ms), oldest first, each once.

        Sorted ascending by the modified-date property, paged by key rather than by position:
        after each page that moved past the lower bound the query restarts with the newest
        modification time seen as lower bound (GTE, so nothing modified at that instant is lost)
        and skips the ids already yielded at that instant (so nothing is yielded twice). HubSpot's
        `after` is a position, and a record edited while the pages are read moves to the end and
        shifts every later one back: position paging would skip one. Position paging is left
        only for records sharing one instant, up to the 10,000 cap; PermanentError if more than
        the cap share it. Records modified during the iteration may come again, later.
        """
        prop = modified_property(object_type)
        lower = epoch_ms(since)
        seen_at_lower: set[str] = set()
        while True:
            newest, ids_at_newest, progressed, capped = lower, set(seen_at_lower), False, False
            body: dict[str, Any] = {
                "filterGroups": [
                    {
                        "filters": [
                            {"propertyName": prop, "operator": "GTE", "value": str(lower)},
                            *filters,
                        ]
                    }
                ],
                "sorts": [{"propertyName": prop, "direction": "ASCENDING"}],
                "properties": list(dict.fromkeys([*properties, prop])),
                "limit": SEARCH_PAGE_SIZE,
            }
            while True:
                page = self._search_page(object_type, body)
                for record in page.get("results", []):
                    stamp = epoch_ms(parse_hubspot_time(record["properties"][prop]))
                    if stamp == lower and record["id"] in seen_at_lower:
                        continue  # yielded before the restart
                    if stamp > newest:
                        newest, ids_at_newest = stamp, set()
                    ids_at_newest.add(record["id"])
                    progressed = True
                    yield record
                after = page.get("paging", {}).get("next", {}).get("after")
                if not after:
                    return
                if newest > lower:
                    break  # restart from the newest instant: immune to shifting positions
                if int(after) >= self.search_result_cap:
                    capped = True
                    break
                body["after"] = after
            if capped and not progressed:
                raise PermanentError(
                    f"More than {self.search_result_cap} {object_type} share the modification "
                    f"time {lower}; the search API cannot page through them",
                    provider="hubspot",
                )
            lower, seen_at_lower = newest, ids_at_newest


def parse_hubspot_time(value: str | int | None) -> dt.datetime | None:
    """HubSpot datetimes: ISO 8601 with Z, or ms epoch digits; None for an empty value."""
    if not value:
        return None
    if str(value).isdigit():
        return dt.datetime.fromtimestamp(int(value) / 1000, tz=dt.UTC)
    return dt.datetime.fromisoformat(str(value).replace("Z", "+00:00"))
