"""The HubSpot sandbox: a stateful fake of the API subset Meetbridge calls.

Mounted under `/hubspot` (API host) with the app host at `/hubspot/app`. This module holds the
portal, OAuth v3 (apis.md §2.1), account info, owners and users (§2.6), authentication with scope
checks, and HubSpot's error bodies (§2.3). CRM objects, properties, associations and marketing
live in the `sandbox_*` mixins (forms and marketing email events in `sandbox_events`);
`sandbox_seed` fills a realistic portal.
"""

from __future__ import annotations

import re
import uuid
from typing import Any
from urllib.parse import unquote

from django.conf import settings

from connectors.hubspot.provider import HUBSPOT_SCOPES
from connectors.hubspot.sandbox_associations import AssociationsMixin
from connectors.hubspot.sandbox_crm import SEARCH_RESULT_CAP, CrmObjectsMixin
from connectors.hubspot.sandbox_events import EventsMixin
from connectors.hubspot.sandbox_marketing import MarketingMixin
from connectors.hubspot.sandbox_schema import OBJECT_TYPES, PropertiesMixin, default_schema, iso_ms
from connectors.sandbox.core import (
    SandboxError,
    SandboxRequest,
    SandboxResponse,
    VendorFake,
    json_response,
    redirect_response,
    route,
)
from connectors.sandbox.oauth import FakeOAuthServer, Grant

PORTAL_ID = 48_151_623
DEFAULT_USER_ID = "7000001"
_CATEGORY_BY_STATUS = {
    400: "VALIDATION_ERROR",
    401: "INVALID_AUTHENTICATION",
    403: "MISSING_SCOPES",
    404: "OBJECT_NOT_FOUND",
    405: "VALIDATION_ERROR",
    409: "CONFLICT",
    429: "RATE_LIMITS",
}
_HUBSPOT_CATEGORY = re.compile(r"^[A-Z][A-Z_]+$")


class HubSpotSandbox(
    PropertiesMixin, CrmObjectsMixin, AssociationsMixin, MarketingMixin, EventsMixin, VendorFake
):
    key = "hubspot"

    # --- state -------------------------------------------------------------------------------
    def reset(self) -> None:
        config = settings.PROVIDERS["hubspot"]
        self.client_id = config["client_id"]
        self.app_id = int(config.get("app_id") or 1)
        self.oauth = FakeOAuthServer(
            clients={config["client_id"]: config["client_secret"]},
            clock=self.clock,
            access_ttl=1800,  # 30 minutes (apis.md §2.1)
            rotate_refresh_tokens=False,  # HubSpot keeps the refresh token
            token_prefix="na1-",
        )
        self.search_result_cap = SEARCH_RESULT_CAP  # tests may lower it (documented there)
        self._next_id = 1000
        self.portal = {
            "portalId": PORTAL_ID,
            "accountType": "STANDARD",
            "timeZone": "Europe/Berlin",
            "companyCurrency": "EUR",
            "additionalCurrencies": [],
            "utcOffset": "+01:00",
            "utcOffsetMilliseconds": 3_600_000,
            "uiDomain": "app-eu1.hubspot.com",
            "dataHostingLocation": "eu1",
        }
        self.properties, self.property_groups = default_schema(self.now_iso())
        self.objects = {object_type: {} for object_type in OBJECT_TYPES}
        self.email_index: dict[tuple[str, str], set[str]] = {}  # see record_find_by
        self.associations = {}
        self.owners: dict[str, dict[str, Any]] = {}
        self.users: dict[str, dict[str, Any]] = {}
        self.marketing_events = {}
        self.participations = {}
        self.timeline_templates = {}
        self.timeline_events = {}
        self.action_callbacks = {}
        self.events_reset()
        self.user_add(
            email="admin@meetbridge.example",
            first="Ada",
            last="Admin",
            user_id=DEFAULT_USER_ID,
            super_admin=True,
        )

    def user_add(self, *, email: str, first: str, last: str, user_id=None, super_admin=False):
        """A portal user and the CRM owner record that goes with it; returns the owner."""
        user_id = str(user_id or int(DEFAULT_USER_ID) + len(self.users))
        self.users[user_id] = {
            "id": user_id,
            "email": email,
            "firstName": first,
            "lastName": last,
            "roleIds": [],
            "primaryTeamId": None,
            "superAdmin": super_admin,
        }
        owner_id = str(100 + len(self.owners) + 1)
        now = self.now_iso()
        owner = {
            "id": owner_id,
            "email": email,
            "type": "PERSON",
            "firstName": first,
            "lastName": last,
            "userId": int(user_id),
            "userIdIncludingInactive": int(user_id),
            "createdAt": now,
            "updatedAt": now,
            "archived": False,
            "teams": [],
        }
        self.owners[owner_id] = owner
        return owner

    def default_grant(self) -> Grant:
        """The super admin of the portal approving every scope Meetbridge asks for."""
        return Grant(
            account_id=str(PORTAL_ID),
            user_id=DEFAULT_USER_ID,
            scopes=list(HUBSPOT_SCOPES),
            client_id=self.client_id,
        )

    def seed(self, **sizes: int) -> dict:
        from connectors.hubspot.sandbox_seed import portal_seed

        with self.lock:
            return portal_seed(self, **sizes)

    def summary(self) -> dict:
        counts = {t: sum(not r.archived for r in rows.values()) for t, rows in self.objects.items()}
        return {
            "portalId": PORTAL_ID,
            **counts,
            "archived_contacts": sum(r.archived for r in self.objects["contacts"].values()),
            "owners": len(self.owners),
            "users": len(self.users),
            "custom_properties": sum(
                not p["hubspotDefined"]
                for props in self.properties.values()
                for p in props.values()
            ),
            "marketing_events": len(self.marketing_events),
            "participations": len(self.participations),
            "timeline_events": len(self.timeline_events),
            "forms": len(self.forms),
            "form_submissions": sum(len(rows) for rows in self.form_submissions.values()),
            "marketing_emails": len(self.email_campaigns),
            "email_events": len(self.email_events),
            "pending_callbacks": sum(v is None for v in self.action_callbacks.values()),
            "active_tokens": len(self.oauth.by_access),
        }

    def _match(self, request: SandboxRequest):
        # Path parameters arrive percent-encoded (an email as contact id: a%40b.example).
        handler, params = super()._match(request)
        return handler, {name: unquote(value) for name, value in params.items()}

    # --- small helpers used by the mixins ------------------------------------------------------
    def now_ms(self) -> int:
        return int(self.clock() * 1000)

    def now_iso(self) -> str:
        return iso_ms(self.now_ms())

    def next_object_id(self) -> str:
        self._next_id += 1
        return str(self._next_id)

    def _authorize(self, request: SandboxRequest, *scopes: str) -> Grant:
        """The grant behind the bearer token; 401 without a live token, 403 without any `scopes`."""
        try:
            grant = self.oauth.authenticate(request)
        except SandboxError as error:
            if error.code == "expired_token":
                raise SandboxError(
                    401,
                    "EXPIRED_AUTHENTICATION",
                    "The OAuth token used to make this call expired.",
                ) from None
            raise SandboxError(
                401,
                "INVALID_AUTHENTICATION",
                "Authentication credentials not found. This API supports OAuth 2.0 "
                "authentication and you can find more details at "
                "https://developers.hubspot.com/docs/methods/auth/oauth-overview",
            ) from None
        if scopes and not set(scopes) & set(grant.scopes):
            raise SandboxError(
                403,
                "MISSING_SCOPES",
                "This app hasn't been granted all required scopes to make this call. Read more "
                "about required scopes here: https://developers.hubspot.com/scopes.",
                errors=[
                    {
                        "message": "One or more of the following scopes are required.",
                        "context": {"requiredGranularScopes": list(scopes)},
                    }
                ],
            )
        return grant

    # --- error rendering ----------------------------------------------------------------------
    def error_response(self, error: SandboxError) -> SandboxResponse:
        code = str(error.code)
        category = code if _HUBSPOT_CATEGORY.match(code) else None
        category = category or _CATEGORY_BY_STATUS.get(error.status, "INTERNAL_ERROR")
        body = {
            "status": "error",
            "message": error.message,
            "correlationId": str(uuid.uuid4()),
            "category": category,
            **error.extra,
        }
        return json_response(body, error.status)

    def rate_limited_response(self, retry_after: float, rule_name: str) -> SandboxResponse:
        # Body per community reports (errorType/policyName) plus the category of the Error schema;
        # HubSpot sends no Retry-After, only its X-HubSpot-RateLimit-* headers (apis.md §2.3).
        rule = self.rate_rules.get(rule_name)
        window_ms = int((rule.window if rule else 10.0) * 1000)
        policy = "SECONDLY" if "search" in rule_name else "TEN_SECONDLY_ROLLING"
        body = {
            "status": "error",
            "message": f"You have reached your {policy.lower()} limit.",
            "errorType": "RATE_LIMIT",
            "category": "RATE_LIMITS",
            "correlationId": str(uuid.uuid4()),
            "policyName": policy,
            "groupName": f"publicapi:oauth:{self.app_id}:{PORTAL_ID}",
        }
        headers = {
            "X-HubSpot-RateLimit-Interval-Milliseconds": str(window_ms),
            "X-HubSpot-RateLimit-Max": str(rule.limit if rule else 100),
            "X-HubSpot-RateLimit-Remaining": "0",
        }
        return json_response(body, 429, headers)

    # --- OAuth (app host: /app/oauth/authorize; API host: /oauth/v3/token*) -------------------
    @route("GET", "/app/oauth/authorize")
    def oauth_authorize_page(self, request: SandboxRequest):
        return self.oauth.authorize_page(
            request, vendor_name="HubSpot", account_label=f"portal {PORTAL_ID}"
        )

    @route("POST", "/app/oauth/authorize")
    def oauth_authorize_decide(self, request: SandboxRequest):
        params = request.form()
        if params.get("client_id") not in self.oauth.clients:
            raise SandboxError(400, "BAD_CLIENT_ID", "missing or unknown client id")
        requested = [
            *(params.get("scope") or "").split(),
            *(params.get("optional_scope") or "").split(),
        ]
        # The approving user is `default_grant()`; it grants what was asked for, as far as it
        # may (a test narrows `default_grant` to simulate a user who cannot grant a scope).
        grant = self.default_grant()
        grant.scopes = [scope for scope in dict.fromkeys(requested) if scope in grant.scopes]
        grant.client_id = params["client_id"]
        return redirect_response(self.oauth.authorize_decide(params, grant=grant))

    def _oauth_client(self, form: dict[str, str]) -> str:
        try:
            return self.oauth.client_authenticate(form.get("client_id"), form.get("client_secret"))
        except SandboxError:
            # Categories reuse the v1 status names [UNVERIFIED for v3].
            raise SandboxError(400, "BAD_CLIENT_ID", "missing or unknown client id") from None

    @route("POST", "/oauth/v3/token")
    def oauth_token(self, request: SandboxRequest):
        form = request.form()
        client_id = self._oauth_client(form)
        grant_type = form.get("grant_type")
        try:
            grant = self.oauth.token_grant(client_id=client_id, form=form)
        except SandboxError as error:
            if error.code != "invalid_grant":
                raise
            category = (
                "BAD_AUTH_CODE" if grant_type == "authorization_code" else "BAD_REFRESH_TOKEN"
            )
            raise SandboxError(400, category, error.message) from None
        return json_response(
            {
                "token_type": "bearer",
                "access_token": grant.access_token,
                "refresh_token": grant.refresh_token,
                "expires_in": self.oauth.access_ttl,
                "hub_id": int(grant.account_id),
                "user_id": int(grant.user_id),
                "scopes": grant.scopes,
            }
        )

    @route("POST", "/oauth/v3/token/introspect")
    def oauth_token_introspect(self, request: SandboxRequest):
        form = request.form()
        client_id = self._oauth_client(form)
        token = form.get("token") or ""
        grant = self.oauth.by_access.get(token)
        use = "access_token"
        if grant is None:
            grant, use = self.oauth.by_refresh.get(token), "refresh_token"
        live = grant is not None and not grant.revoked and grant.client_id == client_id
        if live and use == "access_token" and grant.access_expires_at < self.clock():
            live = False
        if not live:
            return json_response({"active": False})
        user = self.users.get(grant.user_id, {})
        body = {
            "active": True,
            "token_use": use,
            "client_id": client_id,
            "app_id": self.app_id,
            "hub_id": int(grant.account_id),
            "hub_domain": "meetbridge-sandbox.example",
            "user_id": int(grant.user_id),
            "user": user.get("email"),
            "scopes": grant.scopes,
        }
        if use == "access_token":
            body["expires_in"] = max(0, int(grant.access_expires_at - self.clock()))
        return json_response(body)

    @route("POST", "/oauth/v3/token/revoke")
    def oauth_token_revoke(self, request: SandboxRequest):
        form = request.form()
        self._oauth_client(form)
        self.oauth.revoke(form.get("token"))
        return SandboxResponse(200)  # [UNVERIFIED] the spec documents only the error response

    # --- account, owners, users -----------------------------------------------------------------
    @route("GET", "/account-info/v3/details")
    def account_details(self, request: SandboxRequest):
        self._authorize(request, "oauth")
        return json_response(self.portal)

    @route("GET", "/crm/v3/owners")
    def owners_list(self, request: SandboxRequest):
        self._authorize(request, "crm.objects.owners.read", "automation")
        archived = request.arg("archived") == "true"
        email = (request.arg("email") or "").casefold()
        rows = [
            owner
            for owner in self.owners.values()
            if owner["archived"] == archived and (not email or owner["email"].casefold() == email)
        ]
        return self._page(request, rows, default_limit=100, maximum=500, path="/crm/v3/owners")

    @route("GET", "/crm/v3/owners/{owner_id}")
    def owner_get(self, request: SandboxRequest, owner_id: str):
        self._authorize(request, "crm.objects.owners.read", "automation")
        owner = self.owners.get(owner_id)
        if owner is None:
            raise SandboxError(404, "OBJECT_NOT_FOUND", f"Owner {owner_id} not found")
        return json_response(owner)

    @route("GET", "/settings/users/v3")
    def users_list(self, request: SandboxRequest):
        self._authorize(request, "settings.users.read", "crm.objects.users.read")
        return self._page(
            request,
            list(self.users.values()),
            default_limit=100,
            maximum=100,
            path="/settings/users/v3",
        )

    def _page(self, request, rows: list, *, default_limit: int, maximum: int, path: str):
        limit = request.int_arg("limit", default_limit, maximum=maximum)
        offset = request.int_arg("after", 0, minimum=0)
        body: dict[str, Any] = {"results": rows[offset : offset + limit]}
        if offset + limit < len(rows):
            after = str(offset + limit)
            body["paging"] = {
                "next": {"after": after, "link": f"{request.root_url}{path}?after={after}"}
            }
        return json_response(body)
