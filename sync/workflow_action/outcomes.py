"""What HubSpot is answered, and how vendor errors become those answers.

HubSpot reads HTTP 200 `{"outputFields": {"hs_execution_state": "SUCCESS" | "FAIL_CONTINUE",
…}}`; a 429 makes it retry the same callbackId later, honouring `Retry-After` in seconds
(apis.md §2.11). Every failure names its reason in `meetbridge_error` (the words a marketer
reads in the workflow's history) and `meetbridge_error_code` (stable, for branching).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

from connectors.errors import (
    ConnectorError,
    NotFoundError,
    RateLimitedError,
    ReauthRequiredError,
    TransientError,
)
from sync.models import WorkflowActionExecution

Reason = WorkflowActionExecution.Reason

STATE = "hs_execution_state"
OUT_ERROR = "meetbridge_error"
OUT_ERROR_CODE = "meetbridge_error_code"
OUT_JOIN_URL = "meetbridge_join_url"
OUT_WEBINAR_ID = "meetbridge_webinar_id"
OUT_REGISTRATION_STATUS = "meetbridge_registration_status"

#: Seconds HubSpot is asked to wait after a transient failure that names no wait of its own.
DEFAULT_RETRY_AFTER = 10

MESSAGES: dict[str, str] = {
    Reason.UNKNOWN_PORTAL: "This HubSpot account is not connected to Meetbridge",
    Reason.MISSING_EMAIL: "The contact has no email address; Zoom registers people by email",
    Reason.INVALID_EMAIL: "The contact's email address is not valid",
    Reason.ZOOM_NOT_CONNECTED: "Zoom is not connected in Meetbridge for this HubSpot account",
    Reason.ZOOM_REAUTH: "The Zoom connection needs reconnecting in Meetbridge",
    Reason.WEBINAR_NOT_FOUND: "Webinar {webinar_id} was not found in the connected Zoom account",
    Reason.OTHER_ACCOUNT: (
        "Webinar {webinar_id} belongs to another Zoom account; only webinars of the Zoom "
        "account connected in Meetbridge can be used"
    ),
    Reason.ZOOM_EVENTS: "Webinars created in Zoom Events are not supported",
    Reason.REGISTRATION_NOT_ENABLED: (
        "Registration required: enable registration for this webinar in Zoom"
    ),
    Reason.HOST_CANNOT_REGISTER: "The webinar host cannot register for the webinar",
    Reason.WEBINAR_OVER: "The webinar is over; registration is closed",
    Reason.WEBINAR_FULL: "The webinar has reached its registration limit",
    Reason.CALLBACK_CONFLICT: "This execution was already received for another HubSpot account",
}

# Zoom's error codes on add registrant (apis.md §3.5) → our reasons. 3000 is also used for an
# attendee limit and for paid registration, so it is read with its message (see below).
_ZOOM_CODES = {
    "3027": Reason.HOST_CANNOT_REGISTER,
    "3038": Reason.WEBINAR_OVER,
    "3001": Reason.WEBINAR_NOT_FOUND,
    "1010": Reason.OTHER_ACCOUNT,  # "User does not belong to this account"
    "3043": Reason.WEBINAR_FULL,
}


class ActionFailure(Exception):
    """End the execution with FAIL_CONTINUE for `reason`, explained by `message`."""

    def __init__(self, reason: str, message: str = "", **values: Any) -> None:
        self.reason = reason
        self.message = message or MESSAGES[reason].format(**values)
        super().__init__(self.message)


class RetryLater(Exception):
    """A transient failure: answer 429 so that HubSpot retries the same callbackId."""

    def __init__(self, seconds: float | None, message: str) -> None:
        wait = DEFAULT_RETRY_AFTER if seconds is None else seconds
        self.seconds = max(1, math.ceil(wait))
        self.message = message
        super().__init__(message)


@dataclass(frozen=True)
class ActionAnswer:
    """The HTTP answer: status 200 with output fields, or 429 with Retry-After."""

    status: int
    body: dict[str, Any] = field(default_factory=dict)
    retry_after: int | None = None


def success_fields(*, webinar_id: str, join_url: str, status: str) -> dict[str, str]:
    return {
        STATE: "SUCCESS",
        OUT_WEBINAR_ID: webinar_id,
        OUT_JOIN_URL: join_url,
        OUT_REGISTRATION_STATUS: status,
        OUT_ERROR: "",
        OUT_ERROR_CODE: "",
    }


def failure_fields(reason: str, message: str, *, webinar_id: str = "") -> dict[str, str]:
    return {
        STATE: "FAIL_CONTINUE",
        OUT_WEBINAR_ID: webinar_id,
        OUT_ERROR: message,
        OUT_ERROR_CODE: str(reason),
    }


def answer_fields(output_fields: dict[str, Any]) -> ActionAnswer:
    return ActionAnswer(200, {"outputFields": output_fields})


def answer_retry(error: RetryLater) -> ActionAnswer:
    return ActionAnswer(429, {"error": error.message}, retry_after=error.seconds)


def failure_from_connector(error: ConnectorError, *, webinar_id: str) -> ActionFailure | RetryLater:
    """What a failed Zoom call means for the execution."""
    if isinstance(error, RateLimitedError):
        return RetryLater(error.retry_after, f"Zoom rate limit: {error.message}")
    if isinstance(error, TransientError):
        return RetryLater(None, f"Zoom is unavailable: {error.message}")
    if isinstance(error, ReauthRequiredError):
        return ActionFailure(Reason.ZOOM_REAUTH)
    reason = _ZOOM_CODES.get(error.code)
    if reason is None and isinstance(error, NotFoundError):
        reason = Reason.WEBINAR_NOT_FOUND
    if reason is not None:
        return ActionFailure(reason, webinar_id=webinar_id)
    if error.code == "3000":
        if "registration" in error.message.lower() and "required" in error.message.lower():
            # "This webinar does not have registration as required"
            return ActionFailure(Reason.REGISTRATION_NOT_ENABLED)
        return ActionFailure(Reason.ZOOM_REFUSED, f"Zoom refused the registration: {error.message}")
    if error.code == "300":
        return ActionFailure(
            Reason.REQUIRED_FIELDS,
            f"Zoom rejected the registration as incomplete ({error.message}); the action "
            "registers with first name, last name and email only",
        )
    return ActionFailure(
        Reason.ZOOM_REFUSED,
        f"Zoom refused the registration: {error.message} (code {error.code or error.status})",
    )
