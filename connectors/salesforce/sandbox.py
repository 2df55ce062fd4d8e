"""The Salesforce sandbox: a stateful fake of one org, answering at `/salesforce/...`.

`/salesforce/login/...` is the login host (OAuth, identity URL; sandbox_oauth.py) and
`/salesforce/instance/services/data/...` the org's REST API: versions, `limits`, SOQL `query` /
`queryAll` with cursors (sandbox_query.py, soql.py), sObject describe/create/read/update and sObject
Collections (sandbox_records.py). Records live in plain dicts keyed by type and 18-character Id;
every record carries its type under "_type". Timestamps come from `self.clock`, truncated to
whole seconds as Salesforce stores them, so several records can share one CreatedDate.
"""

from __future__ import annotations

import datetime as dt
import json
from collections import deque
from typing import Any

from django.conf import settings

from connectors.salesforce.provider import SESSION_SECONDS
from connectors.salesforce.sandbox_oauth import OAuthRoutesMixin
from connectors.salesforce.sandbox_query import QueryRoutesMixin, RecordSource
from connectors.salesforce.sandbox_records import RecordRoutesMixin
from connectors.salesforce.sandbox_rest import (
    NEWEST_VERSION,
    OLDEST_VERSION,
    rest_route,
    version_label,
)
from connectors.salesforce.sandbox_schema import (
    KEY_PREFIXES,
    SOBJECTS,
    OrgSchema,
    SObjectSpec,
    id_normalise,
    id_with_checksum,
)
from connectors.sandbox.core import (
    SandboxError,
    SandboxRequest,
    SandboxResponse,
    VendorFake,
    json_response,
    route,
)
from connectors.sandbox.oauth import FakeOAuthServer, Grant

DEFAULT_DAILY_API_LIMIT = 100_000  # Enterprise base allocation (apis.md §4.7)
DAY_SECONDS = 86_400
_PLURALS = {
    "User": "users",
    "Account": "accounts",
    "Contact": "contacts",
    "Lead": "leads",
    "Opportunity": "opportunities",
    "Task": "tasks",
}


class SalesforceSandbox(
    OAuthRoutesMixin, QueryRoutesMixin, RecordRoutesMixin, RecordSource, VendorFake
):
    key = "salesforce"

    # --- state -----------------------------------------------------------------------------------
    def reset(self) -> None:
        """A fresh org: no data but its integration user, no tokens, a full API allocation."""
        config = settings.PROVIDERS["salesforce"]
        self.org_id = id_with_checksum("00D5g000004SbOx")
        self.schema = OrgSchema()
        self.records: dict[str, dict[str, dict[str, Any]]] = {name: {} for name in SOBJECTS}
        self.cursors = {}
        self.id_counter = 0
        self.daily_api_limit = DEFAULT_DAILY_API_LIMIT
        self.api_calls: deque[float] = deque()  # times of counted requests, rolling 24 h
        self.oauth = FakeOAuthServer(
            clients={config["client_id"]: config["client_secret"]},
            clock=self.clock,
            access_ttl=SESSION_SECONDS,
            rotate_refresh_tokens=False,
            token_prefix=self.org_id + "!",
        )
        self.integration_user_id = ""  # the first user creates itself
        self.integration_user_id = self.user_add(
            first_name="Integration", last_name="User", email="integration@acme.example"
        )

    def seed(self, **sizes: int) -> dict:
        """Replace the org's data with a realistic, deterministic set (see sandbox_seed)."""
        from connectors.salesforce.sandbox_seed import org_seed

        return org_seed(self, **sizes)

    def summary(self) -> dict:
        counts = {
            name: sum(1 for r in rows.values() if not r.get("IsDeleted"))
            for name, rows in self.records.items()
        }
        return {
            "org_id": self.org_id,
            **{_PLURALS[name]: count for name, count in counts.items()},
            "deleted_tasks": sum(1 for r in self.records["Task"].values() if r.get("IsDeleted")),
            "api_usage": f"{self.api_usage()}/{self.daily_api_limit}",
            "open_cursors": len(self.cursors),
        }

    # --- records ---------------------------------------------------------------------------------
    def now(self) -> dt.datetime:
        """The org's clock, whole seconds (Salesforce keeps no sub-second part)."""
        return dt.datetime.fromtimestamp(int(self.clock()), tz=dt.UTC)

    def id_new(self, sobject: str) -> str:
        self.id_counter += 1
        prefix = SOBJECTS[sobject].key_prefix
        return id_with_checksum(f"{prefix}Sb{self.id_counter:010d}")

    def record_insert(
        self,
        spec: SObjectSpec,
        values: dict[str, Any],
        *,
        grant: Grant | None = None,
        at: dt.datetime | None = None,
    ) -> str:
        """Store already-validated values as a new record; returns its Id."""
        when = at or self.now()
        record_id = self.id_new(spec.name)
        record: dict[str, Any] = {name: None for name in spec.fields}
        record.update(values)
        record.update(
            _type=spec.name,
            Id=record_id,
            IsDeleted=False,
            CreatedDate=when,
            LastModifiedDate=when,
            SystemModstamp=when,
            CreatedById=grant.user_id if grant else (self.integration_user_id or record_id),
        )
        if spec.name == "Lead":
            record["IsConverted"] = bool(values.get("IsConverted", False))
        self._derive(spec, record)
        self.records[spec.name][record_id] = record
        return record_id

    def _apply(self, spec: SObjectSpec, record: dict, values: dict[str, Any]) -> None:
        record.update(values)
        record["LastModifiedDate"] = record["SystemModstamp"] = self.now()
        self._derive(spec, record)

    def _derive(self, spec: SObjectSpec, record: dict) -> None:
        if "Name" in spec.fields and "LastName" in spec.fields:
            record["Name"] = " ".join(p for p in (record["FirstName"], record["LastName"]) if p)
        if spec.name == "Task":
            record["IsClosed"] = record.get("Status") in self.schema.closed_statuses

    def user_add(self, *, first_name: str, last_name: str, email: str, active: bool = True) -> str:
        """Add a user (the REST API here cannot create users); returns its Id."""
        values = {
            "FirstName": first_name,
            "LastName": last_name,
            "Email": email,
            "Username": email,
            "IsActive": active,
        }
        return self.record_insert(SOBJECTS["User"], values)

    def task_type_values_set(self, values: list[str]) -> None:
        """Customise the org's Task Type picklist, as an admin would in Setup."""
        self.schema.picklists[("Task", "Type")] = [(value, False) for value in values]

    # RecordSource, for SOQL
    def records_of(self, sobject: str) -> list[dict[str, Any]]:
        return list(self.records[sobject].values())

    def record_get(self, record_id: str | None) -> dict[str, Any] | None:
        if not record_id or len(record_id) not in (15, 18):
            return None
        record_id = id_normalise(record_id)
        sobject = KEY_PREFIXES.get(record_id[:3])
        return self.records[sobject].get(record_id) if sobject else None

    def attributes(self, record: dict, version: str) -> dict[str, str]:
        kind = record["_type"]
        return {"type": kind, "url": f"/services/data/{version}/sobjects/{kind}/{record['Id']}"}

    # --- API allocation --------------------------------------------------------------------------
    def api_usage(self) -> int:
        horizon = self.clock() - DAY_SECONDS
        while self.api_calls and self.api_calls[0] <= horizon:
            self.api_calls.popleft()
        return len(self.api_calls)

    def api_request_take(self) -> None:
        """Count one REST request; 403 REQUEST_LIMIT_EXCEEDED once the 24 h allocation is used."""
        if self.api_usage() >= self.daily_api_limit:
            raise SandboxError(403, "REQUEST_LIMIT_EXCEEDED", "TotalRequests Limit exceeded.")
        self.api_calls.append(self.clock())

    def api_usage_set(self, used: int) -> None:
        """Pretend `used` requests were made just now (tests and demos of quota exhaustion)."""
        self.api_calls = deque([self.clock()] * used)

    def limit_info_header(self) -> dict[str, str]:
        return {"Sforce-Limit-Info": f"api-usage={self.api_usage()}/{self.daily_api_limit}"}

    def session_authenticate(self, request: SandboxRequest) -> Grant:
        try:
            return self.oauth.authenticate(request)
        except SandboxError:
            raise SandboxError(401, "INVALID_SESSION_ID", "Session expired or invalid") from None

    # --- REST routes not about records -----------------------------------------------------------
    @route("GET", "/instance/services/data")
    def versions_list(self, request: SandboxRequest) -> SandboxResponse:
        """Supported API versions; needs no session and counts against no limit (apis.md §4.2)."""
        return json_response(
            [
                {"label": version_label(n), "url": f"/services/data/v{n}.0", "version": f"{n}.0"}
                for n in range(OLDEST_VERSION, NEWEST_VERSION + 1)
            ]
        )

    @rest_route("GET", "/limits")
    def limits_get(self, request: SandboxRequest, *, version: str, grant: Grant):
        used = self.api_usage()
        return json_response(
            {
                "DailyApiRequests": {
                    "Max": self.daily_api_limit,
                    "Remaining": max(0, self.daily_api_limit - used),
                },
                "DailyBulkApiBatches": {"Max": 15000, "Remaining": 15000},
                "DataStorageMB": {"Max": 1024, "Remaining": 1000},
            }
        )

    # --- rendering -------------------------------------------------------------------------------
    def error_response(self, error: SandboxError) -> SandboxResponse:
        """REST errors: a JSON array of {message, errorCode, fields}; OAuth errors: an object."""
        headers = dict(error.extra.get("headers") or {})
        if error.extra.get("oauth"):
            body: Any = {"error": str(error.code), "error_description": error.message}
            return json_response(body, error.status, headers)
        entries = error.extra.get("errors") or [
            {
                "statusCode": error.code,
                "message": error.message,
                "fields": list(error.extra.get("fields") or []),
            }
        ]
        body = [
            {"message": e["message"], "errorCode": str(e["statusCode"]), "fields": e["fields"]}
            for e in entries
        ]
        return SandboxResponse(
            error.status,
            json.dumps(body).encode(),
            {"Content-Type": "application/json;charset=UTF-8", **headers},
        )

    def rate_limited_response(self, retry_after: float, rule_name: str) -> SandboxResponse:
        """An injected rate rule reads as Salesforce's concurrency limit: 403, no Retry-After.

        Salesforce never answers 429; too many concurrent long-running requests get
        403 REQUEST_LIMIT_EXCEEDED "ConcurrentPerOrgLongTxn Limit exceeded." (apis.md §4.7).
        """
        error = SandboxError(
            403, "REQUEST_LIMIT_EXCEEDED", "ConcurrentPerOrgLongTxn Limit exceeded."
        )
        return self.error_response(error)
