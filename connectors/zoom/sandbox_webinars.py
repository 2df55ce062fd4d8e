"""Zoom sandbox routes for webinars: details, registration, past instances, attendance report.

A mixin of `ZoomSandbox`; it uses the host's `authenticate`, `user_find`, `page` and `now`.
Webinar records are stored in the API's own shape; keys starting with "_" are private to the
fake (registration questions, the Zoom Events marker, registrant occurrences).
"""

from __future__ import annotations

import datetime as dt
import secrets
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote

from connectors.sandbox.core import (
    SandboxError,
    SandboxRequest,
    SandboxResponse,
    json_response,
    route,
)

if TYPE_CHECKING:
    from connectors.zoom.sandbox import ZoomSandbox as _Host
else:
    _Host = object

# Standard registration fields Zoom can make required (GET .../registrants/questions).
STANDARD_FIELDS = (
    "last_name",
    "address",
    "city",
    "country",
    "zip",
    "state",
    "phone",
    "industry",
    "org",
    "job_title",
    "purchasing_time_frame",
    "role_in_purchase_process",
    "no_of_employees",
    "comments",
)
_LIST_FIELDS = (
    "id",
    "uuid",
    "host_id",
    "topic",
    "type",
    "start_time",
    "duration",
    "timezone",
    "agenda",
    "join_url",
    "created_at",
    "is_simulive",
)


def parse_time(value: str) -> dt.datetime:
    return dt.datetime.fromisoformat(value.replace("Z", "+00:00"))


def format_time(value: dt.datetime) -> str:
    return value.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def decode_path_id(raw: str) -> str:
    """A meeting/webinar id or instance UUID from one raw (still percent-encoded) path segment.

    Zoom requires UUIDs that begin with "/" or contain "//" to be double URL-encoded (apis.md
    §3.5): its gateway decodes once and normalises the path, which mangles a leading "/" or a
    "//" (a lone "/" inside survives). We mimic that: a once-decoded value with a leading "/"
    or a "//" is not found; a second decoding is applied when escapes remain ("%252F").
    """
    once = unquote(raw)
    if once.startswith("/") or "//" in once:
        raise SandboxError(404, 3001, "Webinar does not exist.")
    return unquote(once) if "%" in once else once


def public(record: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in record.items() if not key.startswith("_")}


class WebinarRoutes(_Host):
    # --- lookups ----------------------------------------------------------------------------------
    def webinar_find(self, webinar_id: str) -> dict[str, Any]:
        """A webinar by numeric id; 404 code 3001 otherwise."""
        webinar = self.webinars.get(int(webinar_id)) if webinar_id.isdigit() else None
        if webinar is None:
            raise SandboxError(404, 3001, f"Webinar does not exist: {webinar_id}.")
        return webinar

    def webinar_end(self, webinar: dict[str, Any]) -> dt.datetime | None:
        """When the last (occurrence of the) webinar ends; None when it never does (type 6)."""
        if webinar["type"] == 6:
            return None
        slots = webinar.get("occurrences") or [webinar]
        return max(parse_time(s["start_time"]) + dt.timedelta(minutes=s["duration"]) for s in slots)

    def instance_find(self, raw_id: str) -> tuple[dict[str, Any], dict[str, Any]]:
        """(webinar, instance) for a webinar id (its latest instance) or an instance UUID."""
        ref = decode_path_id(raw_id)
        if ref.isdigit():
            webinar = self.webinar_find(ref)
            instances = self.instances.get(webinar["id"]) or []
            if not instances:
                # [UNVERIFIED] Zoom's exact answer for a webinar that never took place.
                raise SandboxError(404, 3001, f"Webinar does not exist: {ref}.")
            return webinar, max(instances, key=lambda i: i["start_time"])
        for webinar_id, instances in self.instances.items():
            for instance in instances:
                if instance["uuid"] == ref:
                    return self.webinars[webinar_id], instance
        raise SandboxError(404, 3001, "Webinar does not exist.")

    # --- webinars ---------------------------------------------------------------------------------
    @route("GET", "/v2/users/{user_id}/webinars")
    def webinars_list(self, request: SandboxRequest, user_id: str) -> SandboxResponse:
        grant = self.authenticate(request, "webinar:read:list_webinars:admin")
        host = self.user_find(user_id, grant)
        kind = self.list_type(request, ("scheduled", "upcoming"))
        now = self.now()
        rows = []
        for webinar in self.webinars.values():
            if webinar["host_id"] != host["id"]:
                continue
            end = self.webinar_end(webinar)
            if kind == "upcoming" and end is not None and end < now:
                continue
            rows.append({key: webinar[key] for key in _LIST_FIELDS if key in webinar})
        rows.sort(key=lambda row: row.get("start_time", ""))
        return self.page(request, "webinars", rows)

    @route("GET", "/v2/webinars/{webinar_id}")
    def webinar_get(self, request: SandboxRequest, webinar_id: str) -> SandboxResponse:
        self.authenticate(request, "webinar:read:webinar:admin")
        webinar = public(self.webinar_find(webinar_id))
        occurrences = webinar.get("occurrences")
        occurrence_id = request.arg("occurrence_id")
        if occurrences and occurrence_id:
            match = next((o for o in occurrences if o["occurrence_id"] == occurrence_id), None)
            if match is None:
                raise SandboxError(404, 3001, f"Webinar does not exist: {webinar_id}.")
            webinar["start_time"], webinar["duration"] = match["start_time"], match["duration"]
        elif occurrences and request.arg("show_previous_occurrences") != "true":
            now = self.now()
            webinar["occurrences"] = [
                o
                for o in occurrences
                if parse_time(o["start_time"]) + dt.timedelta(minutes=o["duration"]) >= now
            ]
        return json_response(webinar)

    # --- registration -----------------------------------------------------------------------------
    @route("GET", "/v2/webinars/{webinar_id}/registrants/questions")
    def registration_questions(self, request: SandboxRequest, webinar_id: str) -> SandboxResponse:
        # [UNVERIFIED] granular scope of this endpoint; we accept the webinar read scope.
        self.authenticate(request, "webinar:read:webinar:admin")
        return json_response(self.webinar_find(webinar_id)["_questions"])

    @route("GET", "/v2/webinars/{webinar_id}/registrants")
    def registrants_list(self, request: SandboxRequest, webinar_id: str) -> SandboxResponse:
        self.authenticate(request, "webinar:read:list_registrants:admin")
        webinar = self.webinar_find(webinar_id)
        status = request.arg("status", "approved")
        if status not in ("approved", "pending", "denied"):
            raise SandboxError(400, 300, f"Invalid field: status {status!r}.")
        occurrence_id = request.arg("occurrence_id")
        per_occurrence = webinar["settings"].get("registration_type", 1) != 1
        rows = [
            public(r)
            for r in self.registrants.get(webinar["id"], [])
            # Self-cancelled registrations are gone from every list (status "cancelled" is
            # internal); a host-cancelled one is listed as "denied" (devforum.zoom.us/t/34478).
            if r["status"] == status
            and (not occurrence_id or not per_occurrence or occurrence_id in r["_occurrence_ids"])
        ]
        return self.page(request, "registrants", rows)

    @route("POST", "/v2/webinars/{webinar_id}/registrants")
    def registrant_add(self, request: SandboxRequest, webinar_id: str) -> SandboxResponse:
        self.authenticate(request, "webinar:write:registrant:admin")
        webinar = self.webinar_find(webinar_id)
        body = request.json()
        if not isinstance(body, dict):
            raise SandboxError(400, 300, "Request Body should be a valid JSON object.")
        if webinar["settings"]["approval_type"] == 2:
            # apis.md §3.5: 400/3000 when the webinar has no registration.
            raise SandboxError(400, 3000, "This webinar does not have registration as required")
        missing = self._registration_missing_fields(webinar, body)
        if missing:
            # [PARTIAL] Zoom's validation shape: code 300 plus the offending fields.
            raise SandboxError(
                400,
                300,
                "Validation Failed.",
                errors=[{"field": name, "message": "Invalid field."} for name in missing],
            )
        email = str(body["email"]).strip().lower()
        if email == webinar["host_email"].lower():
            raise SandboxError(400, 3027, "Host cannot register")
        end = self.webinar_end(webinar)
        if end is not None and end < self.now():
            raise SandboxError(400, 3038, "Webinar is over, you cannot register now.")
        occurrence_ids = [o for o in (request.arg("occurrence_ids") or "").split(",") if o]
        known = {o["occurrence_id"] for o in webinar.get("occurrences") or []}
        if any(o not in known for o in occurrence_ids):
            raise SandboxError(400, 3000, "Invalid occurrence_ids.")
        registrant = self._registrant_existing(webinar, email) or self._registrant_create(
            webinar, body, email, occurrence_ids
        )
        return json_response(self._registration_answer(webinar, registrant), 201)

    def _registration_missing_fields(self, webinar: dict, body: dict) -> list[str]:
        missing = [name for name in ("email", "first_name") if not str(body.get(name) or "")]
        questions = webinar["_questions"]
        missing += [
            q["field_name"]
            for q in questions["questions"]
            if q["required"] and not str(body.get(q["field_name"]) or "").strip()
        ]
        answers = {
            str(a.get("title")): str(a.get("value") or "")
            for a in body.get("custom_questions") or []
            if isinstance(a, dict)
        }
        missing += [
            f"custom_questions.{q['title']}"
            for q in questions["custom_questions"]
            if q["required"] and not answers.get(q["title"], "").strip()
        ]
        return missing

    def _registrant_existing(self, webinar: dict, email: str) -> dict[str, Any] | None:
        # [PARTIAL] Registering an email that is already registered returns that registration
        # (same registrant_id and join_url) instead of a second one; a self-cancelled
        # registration no longer counts, so that person may register again (devforum 34478).
        return next(
            (
                r
                for r in self.registrants.get(webinar["id"], [])
                if r["email"] == email and r["status"] != "cancelled"
            ),
            None,
        )

    def _registrant_create(
        self, webinar: dict, body: dict, email: str, occurrence_ids: list[str]
    ) -> dict[str, Any]:
        registrant_id = secrets.token_urlsafe(16)
        extra = {k: body[k] for k in (*STANDARD_FIELDS, "language", "source_id") if k in body}
        registrant = {
            "id": registrant_id,
            "email": email,
            "first_name": str(body["first_name"]),
            "last_name": str(body.get("last_name") or ""),
            **extra,
            "custom_questions": list(body.get("custom_questions") or []),
            "status": "approved" if webinar["settings"]["approval_type"] == 0 else "pending",
            "create_time": format_time(self.now()),
            "join_url": f"{webinar['join_url']}?tk={secrets.token_urlsafe(24)}",
            "_occurrence_ids": occurrence_ids
            or [o["occurrence_id"] for o in webinar.get("occurrences") or []],
        }
        self.registrants.setdefault(webinar["id"], []).append(registrant)
        return registrant

    def _registration_answer(self, webinar: dict, registrant: dict) -> dict[str, Any]:
        now = self.now()
        occurrences = [
            o
            for o in webinar.get("occurrences") or []
            if o["occurrence_id"] in registrant["_occurrence_ids"]
            and parse_time(o["start_time"]) >= now
        ]
        return {
            "id": webinar["id"],
            "registrant_id": registrant["id"],
            "join_url": registrant["join_url"],
            "topic": webinar["topic"],
            "start_time": webinar.get("start_time", ""),
            "occurrences": occurrences,
            "status": registrant["status"],  # added by Zoom in Sept 2026 (changelog)
        }

    # --- past webinars and attendance -------------------------------------------------------------
    @route("GET", "/v2/past_webinars/{webinar_id}/instances")
    def past_instances(self, request: SandboxRequest, webinar_id: str) -> SandboxResponse:
        self.authenticate(request, "webinar:read:list_past_instances:admin")
        webinar = self.webinar_find(decode_path_id(webinar_id))
        instances = sorted(self.instances.get(webinar["id"], []), key=lambda i: i["start_time"])
        return json_response(
            {"webinars": [{"uuid": i["uuid"], "start_time": i["start_time"]} for i in instances]}
        )

    @route("GET", "/v2/report/webinars/{webinar_id}/participants")
    def participants_report(self, request: SandboxRequest, webinar_id: str) -> SandboxResponse:
        self.authenticate(request, "report:read:list_webinar_participants:admin")
        _, instance = self.instance_find(webinar_id)
        return self.page(request, "participants", self.participants.get(instance["uuid"], []))
