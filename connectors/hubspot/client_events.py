"""HubSpotClient, marketing activity reads: forms and their submissions, marketing email events
and the emails they belong to (apis.md §2.8). Mixed into `HubSpotClient`; see client.py for the
conventions. Scopes: `forms` for forms and submissions, `content` for email events and campaigns.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from connectors.http import response_json

SUBMISSIONS_PAGE = 50  # the submissions API's maximum `limit` (apis.md §2.8)
EVENTS_PAGE = 1000  # [UNVERIFIED] the legacy email events API's page cap


class EventsClientMixin:
    """Relies on `HubSpotClient._call`, `_all_pages` and `_get_or_none`."""

    # --- forms -----------------------------------------------------------------------------------
    def forms(self, *, archived: bool = False) -> list[dict[str, Any]]:
        """Every live (or, `archived`, every archived) form of the portal ({id, name, formType,
        createdAt, updatedAt, archived, ...}), every page."""
        params = {"limit": 100, **({"archived": "true"} if archived else {})}
        return list(self._all_pages("/marketing/v3/forms", params))

    def form_submissions_since(self, form_guid: str, since_ms: int) -> Iterator[dict[str, Any]]:
        """Submissions of one form submitted at or after `since_ms`, newest first.

        The API lists a form's submissions newest first with no time filter (apis.md §2.8), so
        paging stops at the first page that reaches past `since_ms`. Each submission is
        {conversionId, submittedAt (ms), values: [{name, value}], pageUrl}.
        """
        params: dict[str, Any] = {"limit": SUBMISSIONS_PAGE}
        path = "/form-integrations/v1/submissions/forms/{form_guid}"
        while True:
            page = response_json(
                self._call("GET", path, path_params={"form_guid": form_guid}, params=params)
            )
            for submission in page.get("results", []):
                if int(submission["submittedAt"]) < since_ms:
                    return
                yield submission
            after = page.get("paging", {}).get("next", {}).get("after")
            if not after:
                return
            params["after"] = after

    # --- marketing email events ------------------------------------------------------------------
    def email_events(
        self, event_type: str, *, start_ms: int, end_ms: int | None = None
    ) -> Iterator[dict[str, Any]]:
        """Marketing email events of one type (SENT, OPEN, CLICK, ...) created between
        `start_ms` and `end_ms` inclusive, every page (`offset` while `hasMore`), in the API's
        order, which is not documented: sort them yourself. Each event is {id, created (ms),
        type, recipient, emailCampaignId, ...}."""
        params: dict[str, Any] = {
            "eventType": event_type,
            "startTimestamp": start_ms,
            "limit": EVENTS_PAGE,
        }
        if end_ms is not None:
            params["endTimestamp"] = end_ms
        while True:
            page = response_json(self._call("GET", "/email/public/v1/events", params=params))
            yield from page.get("events", [])
            if not page.get("hasMore") or not page.get("offset"):
                return
            params["offset"] = page["offset"]

    def email_campaign_get(self, campaign_id: int | str) -> dict[str, Any] | None:
        """The marketing email behind `emailCampaignId` ({id, name, subject, ...}) or None."""
        return self._get_or_none(
            "/email/public/v1/campaigns/{campaign_id}",
            path_params={"campaign_id": str(campaign_id)},
        )
