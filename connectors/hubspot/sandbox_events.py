"""HubSpot sandbox: forms and their submissions, marketing emails and their recipient events.

These are not CRM objects, so they live apart from `sandbox_crm` (apis.md §2.8):
- `GET /marketing/v3/forms` (scope `forms`): the portal's forms, paged with `after`;
- `GET /form-integrations/v1/submissions/forms/{form_guid}` (scope `forms`): a form's
  submissions, newest first, `limit` at most 50 (default 20), paged with an opaque `after`;
- `GET /email/public/v1/events` (scope `content`): marketing email events filtered by
  `eventType`, `recipient`, `campaignId`, `startTimestamp`/`endTimestamp` (ms, inclusive), paged
  with an opaque `offset` while `hasMore`; newest first [UNVERIFIED: the order is not documented,
  so the client must not rely on it];
- `GET /email/public/v1/campaigns/{campaign_id}` (scope `content`): a marketing email's name
  and subject, which events only reference by `emailCampaignId`.
Tests and the seed add data with `form_add`, `form_submission_add`, `marketing_email_add` and
`email_event_add`.
"""

from __future__ import annotations

import base64
import uuid
from typing import Any

from connectors.hubspot.sandbox_schema import iso_ms
from connectors.sandbox.core import SandboxError, SandboxRequest, json_response, route

SUBMISSIONS_MAX_LIMIT = 50  # apis.md §2.8
EVENTS_MAX_LIMIT = 1000  # [UNVERIFIED] the legacy events API's page size cap
EMAIL_EVENT_TYPES = {"SENT", "DELIVERED", "OPEN", "CLICK", "BOUNCE", "DROPPED", "PROCESSED"}
BATCH_APP_ID = 113  # HubSpot's app id for batch (marketing) emails in event payloads


def _token(value: int) -> str:
    """An opaque cursor, as HubSpot's are (clients must pass them back untouched)."""
    return base64.urlsafe_b64encode(f"o:{value}".encode()).decode().rstrip("=")


def _untoken(value: str | None) -> int:
    if not value:
        return 0
    try:
        padded = value + "=" * (-len(value) % 4)
        return max(0, int(base64.urlsafe_b64decode(padded).decode().split(":", 1)[1]))
    except (ValueError, IndexError):
        raise SandboxError(400, "VALIDATION_ERROR", f"Invalid paging cursor: {value}") from None


class EventsMixin:
    forms: dict[str, dict[str, Any]]
    form_submissions: dict[str, list[dict[str, Any]]]  # form guid -> submissions, oldest first
    email_campaigns: dict[int, dict[str, Any]]
    email_events: list[dict[str, Any]]

    def events_reset(self) -> None:
        self.forms, self.form_submissions = {}, {}
        self.email_campaigns, self.email_events = {}, []
        self._event_sequence = 0

    def _uuid(self) -> str:
        # Deterministic on a fresh fake (the seed promises the same data for the same arguments).
        self._event_sequence += 1
        return str(uuid.UUID(int=(self.portal["portalId"] << 64) + self._event_sequence))

    # --- state helpers (seed and tests) ----------------------------------------------------------
    def form_add(self, name: str, *, at_ms: int | None = None) -> str:
        """A HubSpot form with an email field; returns its guid."""
        guid = self._uuid()
        stamp = iso_ms(self.now_ms() if at_ms is None else at_ms)
        field = {
            "objectTypeId": "0-1",
            "name": "email",
            "label": "Email",
            "required": True,
            "hidden": False,
            "fieldType": "email",
        }
        self.forms[guid] = {
            "id": guid,
            "name": name,
            "formType": "hubspot",
            "createdAt": stamp,
            "updatedAt": stamp,
            "archived": False,
            "fieldGroups": [
                {"groupType": "default_group", "richTextType": "text", "fields": [field]}
            ],
        }
        self.form_submissions[guid] = []
        return guid

    def form_archive(self, guid: str, *, at_ms: int | None = None) -> None:
        """Archive a form as the HubSpot UI does: `archived` and `archivedAt` are set, and
        [UNVERIFIED] `updatedAt` is left as it was."""
        self.forms[guid]["archived"] = True
        self.forms[guid]["archivedAt"] = iso_ms(self.now_ms() if at_ms is None else at_ms)

    def form_submission_add(self, form_guid: str, values: dict[str, str], *, at_ms=None) -> str:
        """A submission of `values` ({"email": ..., "firstname": ...}); returns its conversionId."""
        submission = {
            "conversionId": self._uuid(),
            "submittedAt": self.now_ms() if at_ms is None else at_ms,
            "values": [{"name": name, "value": value} for name, value in values.items()],
            "pageUrl": "https://www.acme.example/contact",
        }
        rows = self.form_submissions[form_guid]
        rows.append(submission)
        rows.sort(key=lambda s: s["submittedAt"])
        return submission["conversionId"]

    def marketing_email_add(self, name: str, *, subject: str | None = None) -> int:
        """A sent marketing email (an email campaign); returns its campaign id."""
        campaign_id = int(self.next_object_id())
        self.email_campaigns[campaign_id] = {
            "id": campaign_id,
            "appId": BATCH_APP_ID,
            "appName": "Batch",
            "contentId": campaign_id + 1_000_000,
            "name": name,
            "subject": subject or name,
            "type": "BATCH_EMAIL",
            "numIncluded": 0,
            "counters": {},
        }
        return campaign_id

    def email_event_add(
        self, campaign_id: int, event_type: str, recipient: str, *, at_ms: int | None = None
    ) -> dict[str, Any]:
        """One SENT/OPEN/CLICK/... event of a marketing email for a recipient."""
        if event_type not in EMAIL_EVENT_TYPES:
            raise ValueError(event_type)
        created = self.now_ms() if at_ms is None else at_ms
        campaign = self.email_campaigns[campaign_id]
        event = {
            "id": self._uuid(),
            "created": created,
            "type": event_type,
            "recipient": recipient,
            "portalId": self.portal["portalId"],
            "appId": campaign["appId"],
            "appName": campaign["appName"],
            "emailCampaignId": campaign_id,
            "sentBy": {"id": self._uuid(), "created": created},
        }
        if event_type == "SENT":
            event["subject"] = campaign["subject"]
        if event_type == "CLICK":
            event["url"] = "https://www.acme.example/offer"
        counters = campaign["counters"]
        key = event_type.lower()
        counters[key] = counters.get(key, 0) + 1
        self.email_events.append(event)
        return event

    # --- routes ----------------------------------------------------------------------------------
    @route("GET", "/marketing/v3/forms")
    def forms_list(self, request: SandboxRequest):
        self._authorize(request, "forms")
        archived = request.arg("archived") == "true"
        rows = [form for form in self.forms.values() if form["archived"] == archived]
        limit = request.int_arg("limit", 20, maximum=100)
        offset = _untoken(request.arg("after"))
        body: dict[str, Any] = {"results": rows[offset : offset + limit]}
        if offset + limit < len(rows):
            after = _token(offset + limit)
            link = f"{request.root_url}/marketing/v3/forms?after={after}"
            body["paging"] = {"next": {"after": after, "link": link}}
        return json_response(body)

    @route("GET", "/form-integrations/v1/submissions/forms/{form_guid}")
    def form_submissions_list(self, request: SandboxRequest, form_guid: str):
        self._authorize(request, "forms")
        if form_guid not in self.forms:
            raise SandboxError(404, "OBJECT_NOT_FOUND", f"Form {form_guid} does not exist")
        limit = request.int_arg("limit", 20, maximum=SUBMISSIONS_MAX_LIMIT)
        offset = _untoken(request.arg("after"))
        newest_first = list(reversed(self.form_submissions[form_guid]))
        body: dict[str, Any] = {"results": newest_first[offset : offset + limit]}
        if offset + limit < len(newest_first):
            after = _token(offset + limit)
            path = f"/form-integrations/v1/submissions/forms/{form_guid}"
            body["paging"] = {"next": {"after": after, "link": f"{request.root_url}{path}"}}
        return json_response(body)

    @route("GET", "/email/public/v1/events")
    def email_events_list(self, request: SandboxRequest):
        self._authorize(request, "content")
        wanted_type = request.arg("eventType")
        if wanted_type and wanted_type not in EMAIL_EVENT_TYPES:
            raise SandboxError(400, "VALIDATION_ERROR", f"Unknown eventType {wanted_type}")
        start = request.int_arg("startTimestamp", 0, minimum=0, maximum=2**62)
        end = request.int_arg("endTimestamp", 2**62, minimum=0, maximum=2**62)
        recipient = (request.arg("recipient") or "").casefold()
        campaign = request.arg("campaignId")
        rows = [
            event
            for event in self.email_events
            if start <= event["created"] <= end
            and (not wanted_type or event["type"] == wanted_type)
            and (not recipient or event["recipient"].casefold() == recipient)
            and (not campaign or str(event["emailCampaignId"]) == campaign)
        ]
        rows.sort(key=lambda e: (e["created"], e["id"]), reverse=True)
        limit = request.int_arg("limit", 100, maximum=EVENTS_MAX_LIMIT)
        offset = _untoken(request.arg("offset"))
        more = offset + limit < len(rows)
        return json_response(
            {
                "hasMore": more,
                "offset": _token(offset + limit) if more else _token(len(rows)),
                "events": rows[offset : offset + limit],
            }
        )

    @route("GET", "/email/public/v1/campaigns/{campaign_id}")
    def email_campaign_get(self, request: SandboxRequest, campaign_id: str):
        self._authorize(request, "content")
        campaign = self.email_campaigns.get(int(campaign_id)) if campaign_id.isdigit() else None
        if campaign is None:
            raise SandboxError(404, "OBJECT_NOT_FOUND", f"Campaign {campaign_id} not found")
        return json_response(campaign)
