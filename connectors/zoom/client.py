"""Typed Zoom API client: the calls Meetbridge makes, over the one HTTP seam.

Every method goes through `HttpClient.request` (retries, 401 refresh, error mapping into
`connectors.errors`) with the rate-limit buckets of Zoom's label for that endpoint (apis.md §3.3,
Pro-plan numbers, per account; the HttpClient's limiter scopes bucket names per account).
Listing methods are generators that follow `next_page_token` until Zoom returns "" (§3.4).
Errors carry Zoom's message and numeric code, e.g. NotFoundError code "3001".
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any, Literal
from urllib.parse import quote

from connectors.errors import NotFoundError
from connectors.http import response_json
from connectors.ratelimit import RateLimit

if TYPE_CHECKING:
    from connectors.http import HttpClient

MAX_PAGE_SIZE = 300

# Zoom rate-limit labels, Pro plan (apis.md §3.3). Heavy calls also share a daily budget.
LIGHT = RateLimit("light", 30, 1.0)
MEDIUM = RateLimit("medium", 20, 1.0)
HEAVY = RateLimit("heavy", 10, 1.0)
HEAVY_DAILY = RateLimit("heavy-daily", 30_000, 86_400, rolling=False)
MEETING_WRITES_PER_USER_DAY = 100  # create + update, per user, reset at 00:00 UTC

RegistrantStatus = Literal["approved", "pending", "denied"]


def meeting_writes_limit(user_id: str) -> RateLimit:
    """Zoom's per-user daily cap on meeting create/update requests (fixed UTC day)."""
    return RateLimit(
        f"meeting-writes:{user_id}", MEETING_WRITES_PER_USER_DAY, 86_400, rolling=False
    )


def path_uuid(value: str | int) -> str:
    """A meeting/webinar id or instance UUID prepared for a `path_params` slot.

    HttpClient quotes each path parameter once. Zoom wants UUIDs that begin with "/" or contain
    "//" double URL-encoded (apis.md §3.5), so those get one extra quoting here.
    """
    text = str(value)
    if text.startswith("/") or "//" in text:
        return quote(text, safe="")
    return text


def webinar_is_zoom_events(webinar: dict[str, Any]) -> bool:
    """Whether a webinar (from `webinar_get`) was created by Zoom Events.

    [UNVERIFIED] Zoom documents no explicit field. We treat `creation_source == "other"` (neither
    the web portal nor the API) together with an events.zoom.us join URL as the marker; the
    sandbox seeds its Zoom Events webinar that way.
    """
    join_url = str(webinar.get("join_url") or "")
    return webinar.get("creation_source") == "other" and "events.zoom.us" in join_url


class ZoomClient:
    def __init__(self, http: HttpClient, *, page_size: int = MAX_PAGE_SIZE) -> None:
        self.http = http
        self.page_size = min(page_size, MAX_PAGE_SIZE)  # smaller pages only for tests

    # --- users ------------------------------------------------------------------------------------
    def user_me(self) -> dict[str, Any]:
        """The authorising user: id, account_id, email, type, timezone, ... (LIGHT)."""
        return self.user_get("me")

    def user_get(self, user_id: str) -> dict[str, Any]:
        """A user by id, email or "me"; raises NotFoundError (code 1001) when unknown. LIGHT."""
        path = "/users/{user_id}"
        return self._get(path, {"user_id": user_id}, limits=[LIGHT])

    def users_list(
        self, *, status: Literal["active", "inactive", "pending"] = "active"
    ) -> Iterator[dict[str, Any]]:
        """Every user of the account with `status`, across all pages. MEDIUM."""
        return self._paged("/users", {}, "users", params={"status": status}, limits=[MEDIUM])

    # --- webinars ---------------------------------------------------------------------------------
    def webinars_list(
        self,
        user_id: str = "me",
        *,
        type: Literal["scheduled", "upcoming"] = "scheduled",
    ) -> Iterator[dict[str, Any]]:
        """The user's webinars (summary rows: id, uuid, topic, type, start_time, ...). MEDIUM."""
        return self._paged(
            "/users/{user_id}/webinars",
            {"user_id": user_id},
            "webinars",
            params={"type": type},
            limits=[MEDIUM],
        )

    def webinar_get(
        self,
        webinar_id: int | str,
        *,
        occurrence_id: str | None = None,
        show_previous_occurrences: bool = False,
    ) -> dict[str, Any]:
        """Webinar details incl. settings.approval_type (0 auto, 1 manual, 2 no registration),
        occurrences (upcoming only unless `show_previous_occurrences`). NotFoundError 3001. LIGHT.
        """
        params: dict[str, Any] = {}
        if occurrence_id:
            params["occurrence_id"] = occurrence_id
        if show_previous_occurrences:
            params["show_previous_occurrences"] = "true"
        path = "/webinars/{webinar_id}"
        return self._get(path, {"webinar_id": webinar_id}, params=params, limits=[LIGHT])

    def webinar_registration_questions(self, webinar_id: int | str) -> dict[str, Any]:
        """{"questions": [{field_name, required}], "custom_questions": [{title, type, required,
        answers}]}: what a registration must answer. LIGHT."""
        path = "/webinars/{webinar_id}/registrants/questions"
        return self._get(path, {"webinar_id": webinar_id}, limits=[LIGHT])

    # --- registrants ------------------------------------------------------------------------------
    def webinar_registrants_list(
        self,
        webinar_id: int | str,
        *,
        status: RegistrantStatus = "approved",
        occurrence_id: str | None = None,
    ) -> Iterator[dict[str, Any]]:
        """Registrants with `status` (Zoom's default "approved"), across all pages. MEDIUM.

        Cancellations (devforum.zoom.us/t/34478): a registration cancelled by the host is
        listed as "denied"; one the registrant cancelled disappears from every list (and the
        person may register again). Zoom has no "cancelled" list; `webinar.registration_cancelled`
        webhooks, or a registrant missing since the last sync, tell about those.
        """
        params: dict[str, Any] = {"status": status}
        if occurrence_id:
            params["occurrence_id"] = occurrence_id
        return self._paged(
            "/webinars/{webinar_id}/registrants",
            {"webinar_id": webinar_id},
            "registrants",
            params=params,
            limits=[MEDIUM],
        )

    def webinar_registrants_all(self, webinar_id: int | str) -> Iterator[dict[str, Any]]:
        """Approved, pending and denied registrants (each row keeps its `status`). MEDIUM."""
        for status in ("approved", "pending", "denied"):
            yield from self.webinar_registrants_list(webinar_id, status=status)

    def webinar_registrant_add(
        self,
        webinar_id: int | str,
        *,
        email: str,
        first_name: str,
        last_name: str = "",
        occurrence_ids: list[str] | None = None,
        custom_questions: dict[str, str] | None = None,
        **fields: Any,
    ) -> dict[str, Any]:
        """Register a person; returns {id, registrant_id, join_url, topic, start_time,
        occurrences, status}. Registering an already registered email returns that registration.

        `fields` are Zoom's other registrant fields (org, job_title, phone, ...);
        `custom_questions` maps question title to answer. Raises PermanentError with Zoom's code:
        3000 no registration, 3027 host cannot register, 3038 webinar is over, 300 validation
        (missing email or required answer); NotFoundError 3001 unknown webinar. LIGHT.
        """
        body: dict[str, Any] = {
            "email": email,
            "first_name": first_name,
            "last_name": last_name,
            **fields,
        }
        if custom_questions:
            body["custom_questions"] = [
                {"title": title, "value": value} for title, value in custom_questions.items()
            ]
        params = {"occurrence_ids": ",".join(occurrence_ids)} if occurrence_ids else None
        response = self.http.request(
            "POST",
            "/webinars/{webinar_id}/registrants",
            path_params={"webinar_id": webinar_id},
            params=params,
            json=body,
            limits=[LIGHT],
        )
        return response_json(response)

    # --- past webinars and attendance -------------------------------------------------------------
    def past_webinar_instances(self, webinar_id: int | str) -> list[dict[str, Any]]:
        """Instances held so far: [{uuid, start_time}]. MEDIUM."""
        path = "/past_webinars/{webinar_id}/instances"
        data = self._get(path, {"webinar_id": path_uuid(webinar_id)}, limits=[MEDIUM])
        return list(data.get("webinars") or [])

    def webinar_participants_report(self, webinar_id_or_uuid: int | str) -> Iterator[dict]:
        """Attendance of one instance (a webinar id means its latest instance), across pages.

        One row per join/leave interval: someone who rejoined has several rows; guests have an
        empty `user_email`; `duration` is in seconds. HEAVY (and the heavy daily budget).
        """
        return self._paged(
            "/report/webinars/{webinar_id}/participants",
            {"webinar_id": path_uuid(webinar_id_or_uuid)},
            "participants",
            limits=[HEAVY, HEAVY_DAILY],
        )

    # --- recordings -------------------------------------------------------------------------------
    def recordings_get(self, meeting_id_or_uuid: int | str) -> dict[str, Any] | None:
        """The cloud recording of a meeting/webinar (latest instance for an id) or instance UUID.

        Returns None when Zoom says code 3301 "This recording does not exist." (none, or in the
        trash). Files still being processed have `status: "processing"`. LIGHT.
        """
        try:
            path = "/meetings/{meeting_id}/recordings"
            params = {"meeting_id": path_uuid(meeting_id_or_uuid)}
            return self._get(path, params, limits=[LIGHT])
        except NotFoundError as error:
            if error.code == "3301":
                return None
            raise

    # --- meetings ---------------------------------------------------------------------------------
    def meeting_create(
        self,
        user_id: str,
        *,
        topic: str,
        start_time: str,
        duration: int,
        timezone: str,
        type: int = 2,  # Zoom's name; 2 = scheduled
        agenda: str = "",
        settings: dict[str, Any] | None = None,
        password: str | None = None,
    ) -> dict[str, Any]:
        """Schedule a meeting for `user_id` (id or email; pass the real id so the daily bucket is
        right). `start_time` "yyyy-MM-ddTHH:mm:ssZ" (UTC) or local time in `timezone`;
        `password` (at most 10 characters) sets the passcode, else the account's default applies.

        Returns the meeting (id, join_url, start_url, password, ...). Counts against the host's
        100 create/update requests per UTC day; over it raises RateLimitedError with
        retry_after up to 00:00 UTC. MEDIUM.
        """
        body: dict[str, Any] = {
            "topic": topic,
            "type": type,
            "start_time": start_time,
            "duration": duration,
            "timezone": timezone,
        }
        if agenda:
            body["agenda"] = agenda
        if settings:
            body["settings"] = settings
        if password:
            body["password"] = password
        response = self.http.request(
            "POST",
            "/users/{user_id}/meetings",
            path_params={"user_id": user_id},
            json=body,
            limits=[MEDIUM, meeting_writes_limit(user_id)],
            idempotent=False,  # no idempotency key: a retry after a timeout looks first
        )
        return response_json(response)

    def meetings_list(
        self, user_id: str, *, type: Literal["scheduled", "upcoming", "live"] = "scheduled"
    ) -> Iterator[dict[str, Any]]:
        """The host's meetings (`type` "scheduled": unexpired past, live and upcoming), each with
        id, topic, start_time (UTC), duration, timezone, agenda, created_at, join_url. MEDIUM."""
        return self._paged(
            "/users/{user_id}/meetings",
            {"user_id": user_id},
            "meetings",
            params={"type": type},
            limits=[MEDIUM],
        )

    def meeting_get(self, meeting_id: int | str) -> dict[str, Any]:
        """A meeting; NotFoundError code 3001 when it does not exist. LIGHT."""
        return self._get("/meetings/{meeting_id}", {"meeting_id": meeting_id}, limits=[LIGHT])

    def meeting_update(self, meeting_id: int | str, *, host_id: str, **changes: Any) -> None:
        """Change fields (topic, start_time, duration, timezone, agenda, settings, ...).

        `host_id` names the host whose daily create/update budget this spends. LIGHT.
        """
        self.http.request(
            "PATCH",
            "/meetings/{meeting_id}",
            path_params={"meeting_id": meeting_id},
            json=changes,
            limits=[LIGHT, meeting_writes_limit(host_id)],
        )

    def meeting_delete(self, meeting_id: int | str) -> None:
        """Delete a meeting; NotFoundError code 3001 when it does not exist. LIGHT."""
        self.http.request(
            "DELETE",
            "/meetings/{meeting_id}",
            path_params={"meeting_id": meeting_id},
            limits=[LIGHT],
        )

    # --- internals --------------------------------------------------------------------------------
    def _get(
        self,
        path: str,
        path_params: dict[str, Any],
        *,
        params: dict[str, Any] | None = None,
        limits: list[RateLimit],
    ) -> dict[str, Any]:
        response = self.http.request(
            "GET", path, path_params=path_params, params=params, limits=limits
        )
        return response_json(response)

    def _paged(
        self,
        path: str,
        path_params: dict[str, Any],
        key: str,
        *,
        params: dict[str, Any] | None = None,
        limits: list[RateLimit],
    ) -> Iterator[dict[str, Any]]:
        """Yield `key` rows page by page until `next_page_token` is empty (it lives 15 min)."""
        token = ""
        while True:
            query = {**(params or {}), "page_size": self.page_size}
            if token:
                query["next_page_token"] = token
            data = self._get(path, path_params, params=query, limits=limits)
            yield from data.get(key) or []
            token = data.get("next_page_token") or ""
            if not token:
                return
