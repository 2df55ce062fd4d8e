"""Zoom webhook request checks: signature verification and the URL-validation answer.

Pure functions over the raw body bytes and the header mapping, so a Django view (or anything
else) passes `request.body` and `request.headers` unchanged. Zoom signs the *raw* body
(apis.md §0.11, §3.6): `x-zm-signature` = "v0=" + hex HMAC-SHA256(secret token,
"v0:{x-zm-request-timestamp}:{raw body}"); the timestamp is in epoch seconds.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from collections.abc import Mapping
from typing import Any

SIGNATURE_HEADER = "x-zm-signature"
TIMESTAMP_HEADER = "x-zm-request-timestamp"
MAX_AGE_SECONDS = 300  # our policy: replays older than 5 minutes are refused
URL_VALIDATION_EVENT = "endpoint.url_validation"


class WebhookVerificationError(Exception):
    """The request does not prove it comes from Zoom; answer 401 and do nothing."""


def signature_compute(secret: str, timestamp: str, raw_body: bytes) -> str:
    """The `x-zm-signature` value Zoom sends for this timestamp and body."""
    message = b"v0:" + timestamp.encode() + b":" + raw_body
    return "v0=" + hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def signature_verify(
    *,
    secret: str,
    headers: Mapping[str, str],
    raw_body: bytes,
    now: float | None = None,
    max_age: int = MAX_AGE_SECONDS,
) -> None:
    """Return when the request is signed by Zoom and fresh; raise WebhookVerificationError.

    Compares in constant time; refuses timestamps more than `max_age` seconds away from `now`
    (either direction, so a forged future timestamp cannot extend a replay window).
    """
    lowered = {key.lower(): value for key, value in headers.items()}
    signature = lowered.get(SIGNATURE_HEADER, "")
    timestamp = lowered.get(TIMESTAMP_HEADER, "")
    if not secret:
        raise WebhookVerificationError("no webhook secret token is configured")
    if not signature or not timestamp:
        raise WebhookVerificationError("signature or timestamp header missing")
    try:
        sent_at = int(timestamp)
    except ValueError:
        raise WebhookVerificationError("timestamp is not an integer") from None
    current = time.time() if now is None else now
    if abs(current - sent_at) > max_age:
        raise WebhookVerificationError("timestamp is too old or in the future")
    expected = signature_compute(secret, timestamp, raw_body)
    if not hmac.compare_digest(expected.encode(), signature.encode()):
        raise WebhookVerificationError("signature does not match")


def signed_headers(secret: str, raw_body: bytes, *, timestamp: int | None = None) -> dict:
    """Headers Zoom would send with `raw_body` (the sandbox and tests sign with this)."""
    stamp = str(int(time.time()) if timestamp is None else timestamp)
    return {
        SIGNATURE_HEADER: signature_compute(secret, stamp, raw_body),
        TIMESTAMP_HEADER: stamp,
        "Content-Type": "application/json",
    }


def url_validation_answer(secret: str, plain_token: str) -> dict[str, str]:
    """The JSON to answer an `endpoint.url_validation` event with (HTTP 200).

    `encryptedToken` = hex HMAC-SHA256(secret token, plainToken). Zoom re-validates every 72 h.
    """
    encrypted = hmac.new(secret.encode(), plain_token.encode(), hashlib.sha256).hexdigest()
    return {"plainToken": plain_token, "encryptedToken": encrypted}


def url_validation_response(secret: str, raw_body: bytes) -> dict[str, str] | None:
    """The answer when `raw_body` is a URL-validation event, else None (a normal event).

    Call it after `signature_verify`: Zoom signs validation requests like any other event.
    Raises WebhookVerificationError when the body is not JSON or lacks the plainToken.
    """
    event = event_parse(raw_body)
    if event.get("event") != URL_VALIDATION_EVENT:
        return None
    plain_token = (event.get("payload") or {}).get("plainToken")
    if not isinstance(plain_token, str) or not plain_token:
        raise WebhookVerificationError("url_validation without payload.plainToken")
    return url_validation_answer(secret, plain_token)


def event_parse(raw_body: bytes) -> dict[str, Any]:
    """The event envelope {event, event_ts, payload}; WebhookVerificationError if malformed."""
    try:
        event = json.loads(raw_body)
    except (ValueError, UnicodeDecodeError):
        raise WebhookVerificationError("body is not JSON") from None
    if not isinstance(event, dict):
        raise WebhookVerificationError("body is not a JSON object")
    return event
