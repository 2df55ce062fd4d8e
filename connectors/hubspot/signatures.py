"""Verifying that a request really comes from HubSpot (webhooks, workflow-action calls, CRM cards).

Pure functions over what the view received: method, the full URL HubSpot called, the raw body
bytes, the headers, our app's client secret and the current time (apis.md §2.12):

- v3: `X-HubSpot-Signature-v3` = base64(HMAC-SHA256(client_secret, method + uri + body + timestamp))
  with `X-HubSpot-Request-Timestamp` (ms epoch) no older than 5 minutes, where in `uri` these
  escapes are decoded first: %3A %2F %3F %40 %21 %24 %27 %28 %29 %2A %2C %3B (HubSpot's
  request-validation doc; the official Python SDK skips this step and fails on such URLs);
- v2 (what custom workflow actions send, apis.md §0.6): `X-HubSpot-Signature` =
  hex(SHA-256(client_secret + method + uri + body)) with `X-HubSpot-Signature-Version: v2`;
- v1 (old webhooks): hex(SHA-256(client_secret + body)), only when the version header says v1.

v3 is checked when its header is present; otherwise v2/v1. Always over raw bytes: re-encoding the
URL or the body breaks signatures (spaces, `+`).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
from collections.abc import Mapping
from dataclasses import dataclass

MAX_AGE_SECONDS = 300
_V3_DECODED = {
    "%3A": ":",
    "%2F": "/",
    "%3F": "?",
    "%40": "@",
    "%21": "!",
    "%24": "$",
    "%27": "'",
    "%28": "(",
    "%29": ")",
    "%2A": "*",
    "%2C": ",",
    "%3B": ";",
}
_V3_ESCAPE = re.compile("|".join(_V3_DECODED), re.IGNORECASE)


@dataclass(frozen=True)
class SignatureCheck:
    """The outcome: `valid`, which `version` was checked (None: no signature), and why not."""

    valid: bool
    version: str | None
    reason: str = ""

    def __bool__(self) -> bool:
        return self.valid


def v3_uri(url: str) -> str:
    """The URL as HubSpot signs it for v3: the listed percent-escapes decoded, nothing else."""
    return _V3_ESCAPE.sub(lambda match: _V3_DECODED[match.group(0).upper()], url)


def signature_v3(*, client_secret: str, method: str, url: str, body: bytes, timestamp: str) -> str:
    message = method.upper().encode() + v3_uri(url).encode() + body + timestamp.encode()
    digest = hmac.new(client_secret.encode(), message, hashlib.sha256).digest()
    return base64.b64encode(digest).decode()


def signature_v2(*, client_secret: str, method: str, url: str, body: bytes) -> str:
    message = client_secret.encode() + method.upper().encode() + url.encode() + body
    return hashlib.sha256(message).hexdigest()


def signature_v1(*, client_secret: str, body: bytes) -> str:
    return hashlib.sha256(client_secret.encode() + body).hexdigest()


def request_signature_check(
    *,
    method: str,
    url: str,
    body: bytes,
    headers: Mapping[str, str],
    client_secret: str,
    now: float,
) -> SignatureCheck:
    """Check a HubSpot request's signature; `now` is seconds since the epoch."""
    lowered = {key.lower(): value for key, value in headers.items()}
    signature_3 = lowered.get("x-hubspot-signature-v3")
    if signature_3 is not None:
        timestamp = lowered.get("x-hubspot-request-timestamp", "")
        if not timestamp.isdigit():
            return SignatureCheck(False, "v3", "missing or malformed X-HubSpot-Request-Timestamp")
        if abs(now * 1000 - int(timestamp)) > MAX_AGE_SECONDS * 1000:
            return SignatureCheck(False, "v3", "timestamp outside the 5-minute window")
        expected = signature_v3(
            client_secret=client_secret, method=method, url=url, body=body, timestamp=timestamp
        )
        return _compare(expected, signature_3, "v3")
    signature = lowered.get("x-hubspot-signature")
    if signature is None:
        return SignatureCheck(False, None, "no HubSpot signature header")
    if lowered.get("x-hubspot-signature-version", "v2").lower() == "v1":
        return _compare(signature_v1(client_secret=client_secret, body=body), signature, "v1")
    expected = signature_v2(client_secret=client_secret, method=method, url=url, body=body)
    return _compare(expected, signature, "v2")


def _compare(expected: str, received: str, version: str) -> SignatureCheck:
    if hmac.compare_digest(expected.encode(), received.strip().encode()):
        return SignatureCheck(True, version)
    return SignatureCheck(False, version, "signature mismatch")
