"""Typed access to the Salesforce REST API subset Meetbridge uses (apis.md §4.2-4.8).

The HttpClient's base URL is `{instance_url}/services/data/{version}`. SOQL results are paged
with `nextRecordsUrl`, which is relative to the instance URL, so the client keeps the instance
root to follow it. Writes in bulk go through sObject Collections (at most 200 records a call).
Every REST answer carries `Sforce-Limit-Info: api-usage=N/MAX`; the last one seen is kept in
`api_usage`.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from django.conf import settings

from connectors.http import response_json
from connectors.ratelimit import RateLimit
from connectors.salesforce.client_lookups import (
    LookupsClientMixin,
    PersonMatch,
    soql_in_list,
    soql_in_lists,
    soql_quote,
)

if TYPE_CHECKING:
    import requests

    from connectors.http import HttpClient

# Per-org daily allocation: 100,000 plus per-licence extras (apis.md §4.7) - configurable as
# PROVIDERS["salesforce"]["daily_api_limit"] because it differs per org and edition.
DEFAULT_DAILY_API_LIMIT = 100_000
# Salesforce has no per-second limit on short requests; 25 concurrent long-running requests is
# the documented ceiling, so a modest burst bucket keeps one worker from hogging the org.
BURST_LIMIT = RateLimit("burst", 25, 1.0)
COLLECTION_MAX = 200
_LIMIT_INFO = re.compile(r"api-usage=(\d+)/(\d+)")

__all__ = [
    "ApiUsage",
    "PersonMatch",
    "QueryPage",
    "SalesforceClient",
    "SaveResult",
    "soql_in_list",
    "soql_in_lists",
    "soql_quote",
]


@dataclass(frozen=True)
class ApiUsage:
    """Requests used out of the org's rolling 24-hour allocation."""

    used: int
    limit: int

    @property
    def remaining(self) -> int:
        return max(0, self.limit - self.used)


@dataclass(frozen=True)
class QueryPage:
    """One batch of a SOQL result; `next_records_url` is None on the last one."""

    records: list[dict[str, Any]]
    total_size: int
    done: bool
    next_records_url: str | None


@dataclass(frozen=True)
class SaveResult:
    """The outcome of one record in an sObject Collections call (request order)."""

    id: str | None
    success: bool
    errors: list[dict[str, Any]] = field(default_factory=list)


class SalesforceClient(LookupsClientMixin):
    def __init__(self, http: HttpClient, *, daily_api_limit: int | None = None) -> None:
        self.http = http
        # nextRecordsUrl and record URLs are relative to the instance, not the versioned base.
        self.instance_url = http.base_url.split("/services/data/")[0]
        if daily_api_limit is None:
            config = settings.PROVIDERS.get("salesforce", {})
            daily_api_limit = int(config.get("daily_api_limit") or DEFAULT_DAILY_API_LIMIT)
        self.rate_limits = [RateLimit("daily", daily_api_limit, 86_400), BURST_LIMIT]
        self.api_usage: ApiUsage | None = None

    # --- SOQL ------------------------------------------------------------------------------------
    def query(
        self, soql: str, *, include_deleted: bool = False, batch_size: int | None = None
    ) -> Iterator[dict[str, Any]]:
        """Every record of `soql`, following `nextRecordsUrl` until `done`.

        `include_deleted` uses `queryAll` (deleted and archived rows, IsDeleted = true).
        `batch_size` (200-2000) is a hint through `Sforce-Query-Options`. Records keep their
        `attributes`. Raises ConnectorError (PermanentError for MALFORMED_QUERY/INVALID_FIELD).
        """
        page = self.query_page(soql, include_deleted=include_deleted, batch_size=batch_size)
        yield from page.records
        while page.next_records_url:
            page = self.query_page(next_records_url=page.next_records_url, batch_size=batch_size)
            yield from page.records

    def query_page(
        self,
        soql: str | None = None,
        *,
        next_records_url: str | None = None,
        include_deleted: bool = False,
        batch_size: int | None = None,
    ) -> QueryPage:
        """One batch: the first of `soql`, or the one at `next_records_url` (from a QueryPage)."""
        headers = {"Sforce-Query-Options": f"batchSize={batch_size}"} if batch_size else None
        if next_records_url:
            endpoint = "queryAll" if "/queryAll/" in next_records_url else "query"
            response = self._request(
                "GET",
                f"/{endpoint}/{{locator}}",
                url=self.instance_url + next_records_url,
                headers=headers,
            )
        elif soql:
            endpoint = "/queryAll" if include_deleted else "/query"
            response = self._request("GET", endpoint, params={"q": soql}, headers=headers)
        else:
            raise ValueError("query_page needs soql or next_records_url")
        body = response_json(response)
        return QueryPage(
            records=body.get("records", []),
            total_size=int(body.get("totalSize", 0)),
            done=bool(body.get("done", True)),
            next_records_url=body.get("nextRecordsUrl") if not body.get("done", True) else None,
        )

    # --- Tasks -----------------------------------------------------------------------------------
    def describe(self, sobject_type: str) -> dict[str, Any]:
        return response_json(
            self._request(
                "GET", "/sobjects/{sobject}/describe", path_params={"sobject": sobject_type}
            )
        )

    def describe_task(self) -> dict[str, Any]:
        """Task's describe: fields with type and `picklistValues` (Status, Priority, Type...)."""
        return self.describe("Task")

    def task_picklist_values(self, field_name: str, *, describe: dict | None = None) -> list[str]:
        """Active values of a Task picklist as this org defines them (values differ per org)."""
        describe = describe or self.describe_task()
        for item in describe.get("fields", []):
            if item.get("name") == field_name:
                return [v["value"] for v in item.get("picklistValues", []) if v.get("active")]
        raise KeyError(field_name)

    def create_task(self, fields: Mapping[str, Any]) -> str:
        """Create one Task; returns its Id. Raises PermanentError with Salesforce's errorCode."""
        response = self._request("POST", "/sobjects/Task/", json=dict(fields))
        return response_json(response)["id"]

    def update_task(self, task_id: str, fields: Mapping[str, Any]) -> None:
        """Change fields of one Task (204). Raises NotFoundError when it does not exist."""
        self._request(
            "PATCH", "/sobjects/Task/{task_id}", path_params={"task_id": task_id}, json=dict(fields)
        )

    def get_task(self, task_id: str, *, fields: Sequence[str] = ()) -> dict[str, Any]:
        params = {"fields": ",".join(fields)} if fields else None
        return response_json(
            self._request(
                "GET", "/sobjects/Task/{task_id}", path_params={"task_id": task_id}, params=params
            )
        )

    # --- sObject Collections ---------------------------------------------------------------------
    def create_records(
        self, sobject_type: str, records: Sequence[Mapping[str, Any]], *, all_or_none: bool = False
    ) -> list[SaveResult]:
        """Create records in calls of 200; one SaveResult per record, in input order.

        Per-record failures are results, not exceptions. `all_or_none` holds per call of 200
        (Salesforce cannot roll back across calls).
        """
        payload = [{"attributes": {"type": sobject_type}, **record} for record in records]
        return self._collections("POST", payload, all_or_none=all_or_none)

    def update_records(
        self, sobject_type: str, records: Sequence[Mapping[str, Any]], *, all_or_none: bool = False
    ) -> list[SaveResult]:
        """Update records (each with its "id") in calls of 200; results in input order."""
        payload = [{"attributes": {"type": sobject_type}, **record} for record in records]
        return self._collections("PATCH", payload, all_or_none=all_or_none)

    def _collections(
        self, method: str, records: list[dict[str, Any]], *, all_or_none: bool
    ) -> list[SaveResult]:
        results: list[SaveResult] = []
        for start in range(0, len(records), COLLECTION_MAX):
            chunk = records[start : start + COLLECTION_MAX]
            body = {"allOrNone": all_or_none, "records": chunk}
            response = self._request(method, "/composite/sobjects", json=body)
            results.extend(
                SaveResult(
                    id=item.get("id"),
                    success=bool(item.get("success")),
                    errors=list(item.get("errors") or []),
                )
                for item in response_json(response)
            )
        return results

    # --- Limits ----------------------------------------------------------------------------------
    def limits(self) -> dict[str, Any]:
        """`GET /limits`: {"DailyApiRequests": {"Max", "Remaining"}, ...}."""
        return response_json(self._request("GET", "/limits"))

    # --- internals -------------------------------------------------------------------------------
    def _request(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        response = self.http.request(method, path, limits=self.rate_limits, **kwargs)
        self._usage_remember(response)
        return response

    def _usage_remember(self, response: requests.Response) -> None:
        match = _LIMIT_INFO.search(response.headers.get("Sforce-Limit-Info", ""))
        if match:
            self.api_usage = ApiUsage(used=int(match.group(1)), limit=int(match.group(2)))
