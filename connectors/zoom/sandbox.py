"""The Zoom sandbox: a stateful fake of the Zoom API subset Meetbridge calls.

Mounted under `/zoom`: OAuth at `/oauth/...` (zoom.us/oauth) and the REST API at `/v2/...`
(api.zoom.us/v2). State is plain dicts; webinar, registrant and report routes live in
`sandbox_webinars.py`, meeting and recording routes in `sandbox_meetings.py`, realistic data in
`sandbox_seed.py`. Errors use Zoom's shapes: API `{"code": <int>, "message": ...}` (validation
adds `errors[{field, message}]`), OAuth `{"reason": ..., "error": ...}` (apis.md §3.1, §3.3).
"""

from __future__ import annotations

import datetime as dt
import math
import secrets
from typing import Any
from urllib.parse import unquote

from django.conf import settings

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
from connectors.zoom.provider import ZOOM_SCOPES
from connectors.zoom.sandbox_meetings import MeetingRoutes
from connectors.zoom.sandbox_seed import seed_account
from connectors.zoom.sandbox_webinars import WebinarRoutes

ACCESS_TTL = 3599  # Zoom answers expires_in=3599 for its one-hour access tokens
PAGE_TOKEN_TTL = 15 * 60  # next_page_token expires after 15 minutes (apis.md §3.4)
MAX_PAGE_SIZE = 300
QPS_MESSAGE = "You have reached the maximum per-second rate limit for this API. Try again later."


class ZoomSandbox(WebinarRoutes, MeetingRoutes, VendorFake):
    key = "zoom"

    # --- lifecycle --------------------------------------------------------------------------------
    def reset(self) -> None:
        """Forget everything; keep one account whose owner (licensed admin) can consent."""
        config = settings.PROVIDERS["zoom"]
        self.oauth = FakeOAuthServer(
            clients={config["client_id"]: config["client_secret"]},
            clock=self.clock,
            access_ttl=ACCESS_TTL,
            rotate_refresh_tokens=True,  # Zoom kills the old refresh token on every refresh
            token_prefix="zoom_",
        )
        self.account_id = "sbxAcct-Mb1"
        self.users: dict[str, dict[str, Any]] = {}
        self.data_clear()
        owner = self.user_add(
            user_id="sbxOwner01",
            email="owner@meetbridge-sandbox.test",
            first_name="Olivia",
            last_name="Owner",
            user_type=2,
            role_id="0",
        )
        self.owner_id = owner["id"]

    def data_clear(self) -> None:
        """Drop webinars, registrants, reports, recordings and meetings (users and tokens stay)."""
        self.webinars: dict[int, dict[str, Any]] = {}
        self.registrants: dict[int, list[dict[str, Any]]] = {}
        self.instances: dict[int, list[dict[str, Any]]] = {}  # webinar id -> past instances
        self.participants: dict[str, list[dict[str, Any]]] = {}  # instance uuid -> report rows
        self.recordings: dict[str, dict[str, Any]] = {}  # instance uuid -> recording
        self.meetings: dict[int, dict[str, Any]] = {}
        self.meeting_writes: dict[tuple[str, str], int] = {}  # (user id, UTC day) -> count
        self.page_tokens: dict[str, tuple[str, int, float]] = {}
        self.demo: dict[str, Any] = {}

    def seed(self, **sizes: int) -> dict:
        """Replace the data with a deterministic, realistic account; see sandbox_seed."""
        self.data_clear()
        self.users = {self.owner_id: self.users[self.owner_id]}
        if "bench_registrants" in sizes:
            from connectors.zoom.sandbox_bench import bench_webinar_seed

            return bench_webinar_seed(self, **sizes)
        return seed_account(self, **sizes)

    def summary(self) -> dict:
        return {
            "account_id": self.account_id,
            "users": len(self.users),
            "webinars": len(self.webinars),
            "registrants": sum(len(rows) for rows in self.registrants.values()),
            "past_instances": sum(len(rows) for rows in self.instances.values()),
            "participant_rows": sum(len(rows) for rows in self.participants.values()),
            "recordings": len(self.recordings),
            "meetings": len(self.meetings),
            "demo": self.demo,
        }

    def default_grant(self, scopes: list[str] | None = None) -> Grant:
        """The owner's consent; `scopes` narrows the grant (tests of missing scopes)."""
        return Grant(
            account_id=self.account_id,
            user_id=self.owner_id,
            scopes=list(ZOOM_SCOPES if scopes is None else scopes),
            client_id=settings.PROVIDERS["zoom"]["client_id"],
        )

    # --- rendering --------------------------------------------------------------------------------
    def error_response(self, error: SandboxError) -> SandboxResponse:
        if error.extra.get("oauth"):
            return json_response({"reason": error.message, "error": error.code}, error.status)
        # Errors raised by shared code carry string codes; Zoom always answers with an int code.
        code = error.code if isinstance(error.code, int) else error.status
        body: dict[str, Any] = {"code": code, "message": error.message}
        if error.extra.get("errors"):
            body["errors"] = error.extra["errors"]
        return json_response(body, error.status, error.extra.get("headers"))

    def rate_limited_response(self, retry_after: float, rule_name: str) -> SandboxResponse:
        # A rule named after a category ("light", "medium", "heavy") reports that category.
        category = rule_name.split(":")[0].capitalize()
        if category not in ("Light", "Medium", "Heavy", "Resource-intensive"):
            category = "Light"
        headers = {
            "X-RateLimit-Category": category,
            "X-RateLimit-Type": "QPS",
            "Retry-After": str(max(1, math.ceil(retry_after))),
        }
        return json_response({"code": 429, "message": QPS_MESSAGE}, 429, headers)

    # --- OAuth (zoom.us/oauth) -------------------------------------------------------------------
    @route("GET", "/oauth/authorize")
    def oauth_authorize_page(self, request: SandboxRequest) -> SandboxResponse:
        owner = self.users[self.owner_id]
        label = f"{owner['email']} (account {self.account_id})"
        try:
            return self.oauth.authorize_page(request, vendor_name="Zoom", account_label=label)
        except SandboxError as error:
            raise _oauth_error(error) from None

    @route("POST", "/oauth/authorize")
    def oauth_authorize_decide(self, request: SandboxRequest) -> SandboxResponse:
        params = request.form()
        if params.get("client_id") not in self.oauth.clients:
            raise SandboxError(400, "invalid_client", "Invalid client_id", oauth=True)
        grant = self.default_grant() if params.get("decision") == "approve" else None
        return redirect_response(self.oauth.authorize_decide(params, grant=grant))

    @route("POST", "/oauth/token")
    def oauth_token(self, request: SandboxRequest) -> SandboxResponse:
        client_id, client_secret = request.basic_auth() or (None, None)
        form = request.form()
        try:
            client_id = self.oauth.client_authenticate(client_id, client_secret)
            grant = self.oauth.token_grant(client_id=client_id, form=form)
        except SandboxError as error:
            raise _oauth_error(error) from None
        return json_response(
            {
                "access_token": grant.access_token,
                "token_type": "bearer",
                "refresh_token": grant.refresh_token,
                "expires_in": ACCESS_TTL,
                "scope": " ".join(grant.scopes),
                "api_url": "https://api.zoom.us",
            }
        )

    @route("POST", "/oauth/revoke")
    def oauth_revoke(self, request: SandboxRequest) -> SandboxResponse:
        client_id, client_secret = request.basic_auth() or (None, None)
        try:
            self.oauth.client_authenticate(client_id, client_secret)
        except SandboxError as error:
            raise _oauth_error(error) from None
        if not self.oauth.revoke(request.form().get("token")):
            raise SandboxError(400, "invalid_request", "Invalid Token!", oauth=True)
        return json_response({"status": "success"})

    # --- users ------------------------------------------------------------------------------------
    @route("GET", "/v2/users")
    def users_list(self, request: SandboxRequest) -> SandboxResponse:
        self.authenticate(request, "user:read:list_users:admin")
        status = request.arg("status", "active")
        users = [_user_public(u) for u in self.users.values() if u["status"] == status]
        return self.page(request, "users", users)

    @route("GET", "/v2/users/{user_id}")
    def user_get(self, request: SandboxRequest, user_id: str) -> SandboxResponse:
        grant = self.authenticate(request, "user:read:user:admin")
        return json_response(_user_public(self.user_find(user_id, grant)))

    # --- helpers for the route mixins -------------------------------------------------------------
    def authenticate(self, request: SandboxRequest, scope: str) -> Grant:
        """The caller's grant; 401 code 124 for a bad token, 400 code 4711 for a missing scope."""
        try:
            grant = self.oauth.authenticate(request)
        except SandboxError as error:
            message = (
                "Access token is expired."
                if error.code == "expired_token"
                else "Invalid access token."
            )
            raise SandboxError(401, 124, message) from None
        if scope not in grant.scopes:
            # [PARTIAL] devforum.zoom.us/t/95961 shows code 4700 with HTTP 400 for classic
            # scopes; granular-scope apps are reported to get 4711. We answer 400/4711.
            raise SandboxError(
                400, 4711, f"Invalid access token, does not contain scopes:[{scope}]."
            )
        return grant

    def user_add(
        self,
        *,
        user_id: str,
        email: str,
        first_name: str,
        last_name: str,
        user_type: int,
        role_id: str = "2",
        status: str = "active",
        timezone: str = "America/New_York",
    ) -> dict[str, Any]:
        user = {
            "id": user_id,
            "email": email,
            "first_name": first_name,
            "last_name": last_name,
            "display_name": f"{first_name} {last_name}",
            "type": user_type,
            "status": status,
            "role_id": role_id,
            "timezone": timezone,
            "account_id": self.account_id,
            "pmi": 5000000000 + len(self.users),
            "dept": "",
            "verified": 1,
            "language": "en-US",
            "created_at": "2024-01-15T09:00:00Z",
            "user_created_at": "2024-01-15T09:00:00Z",
        }
        self.users[user_id] = user
        return user

    def user_find(self, user_id: str, grant: Grant) -> dict[str, Any]:
        """A user by id, email or `me` (raw path segment); 404 code 1001 otherwise."""
        user_id = unquote(user_id)
        if user_id == "me":
            user_id = grant.user_id
        user = self.users.get(user_id)
        if user is None:
            user = next((u for u in self.users.values() if u["email"] == user_id.lower()), None)
        if user is None:
            raise SandboxError(404, 1001, f"User does not exist: {user_id}.")
        return user

    def list_type(self, request: SandboxRequest, allowed: tuple[str, ...]) -> str:
        """A listing's `type` filter (default "scheduled"); 400 code 300 for another value."""
        kind = request.arg("type", "scheduled")
        if kind not in allowed:
            raise SandboxError(400, 300, f"Invalid field: type {kind!r}.")
        return kind

    def page(
        self, request: SandboxRequest, key: str, items: list[Any], **extra: Any
    ) -> SandboxResponse:
        """One page of `items` under `key`, Zoom-style: `next_page_token` is "" on the last."""
        page_size = request.int_arg("page_size", 30, maximum=MAX_PAGE_SIZE)
        # A token is only good for the listing (path and filters) that issued it.
        filters = sorted((k, v) for k, v in request.query.items() if k != "next_page_token")
        listing = f"{request.path}?{filters}"
        offset = 0
        token = request.arg("next_page_token")
        if token:
            entry = self.page_tokens.get(token)
            if entry is None or entry[0] != listing or entry[2] < self.clock():
                # [UNVERIFIED] exact code for an expired/foreign token; Zoom's spec says 300.
                raise SandboxError(400, 300, "The next page token is invalid or expired.")
            offset = entry[1]
        chunk = items[offset : offset + page_size]
        next_token = ""
        if offset + page_size < len(items):
            next_token = secrets.token_urlsafe(24)
            self.page_tokens[next_token] = (
                listing,
                offset + page_size,
                self.clock() + PAGE_TOKEN_TTL,
            )
        body = {
            "page_size": page_size,
            "total_records": len(items),
            "next_page_token": next_token,
            **extra,
            key: chunk,
        }
        return json_response(body)

    def now(self) -> dt.datetime:
        return dt.datetime.fromtimestamp(self.clock(), dt.UTC)


def _oauth_error(error: SandboxError) -> SandboxError:
    """Zoom's OAuth error body: {"reason": "Invalid Token!", "error": "invalid_grant"}."""
    reason = error.message
    if error.code == "invalid_grant" and "refresh" in error.message.lower():
        reason = "Invalid Token!"
    elif error.code == "invalid_client":
        reason = "Invalid client_id or client_secret"
    return SandboxError(error.status, error.code, reason, oauth=True)


def _user_public(user: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in user.items() if not key.startswith("_")}
