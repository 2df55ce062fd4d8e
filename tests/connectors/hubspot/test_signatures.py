"""HubSpot request signatures: v3 (HMAC, timestamp window, URI decoding) and v2 / v1 fallbacks."""

from __future__ import annotations

import base64
import hashlib
import hmac

from connectors.hubspot.signatures import request_signature_check

SECRET = "app-client-secret"
URL = "https://meetbridge.example/hubspot/actions/register?portalId=42"
BODY = b'{"callbackId":"ap-1","object":{"objectId":614}}'
NOW = 1_750_000_000.0
TIMESTAMP = str(int(NOW * 1000))


def _v3(message: bytes) -> str:
    return base64.b64encode(hmac.new(SECRET.encode(), message, hashlib.sha256).digest()).decode()


def _check(headers, *, url=URL, body=BODY, now=NOW, method="POST"):
    return request_signature_check(
        method=method, url=url, body=body, headers=headers, client_secret=SECRET, now=now
    )


def _v3_headers(signature: str, timestamp: str = TIMESTAMP) -> dict[str, str]:
    return {"X-HubSpot-Signature-v3": signature, "X-HubSpot-Request-Timestamp": timestamp}


def test_v3_valid_signature_is_accepted():
    signature = _v3(b"POST" + URL.encode() + BODY + TIMESTAMP.encode())
    result = _check(_v3_headers(signature))
    assert result.valid and result.version == "v3"


def test_v3_tampered_body_is_rejected():
    signature = _v3(b"POST" + URL.encode() + BODY + TIMESTAMP.encode())
    result = _check(_v3_headers(signature), body=BODY.replace(b"614", b"615"))
    assert not result.valid and result.reason == "signature mismatch"


def test_v3_stale_timestamp_is_rejected_even_with_a_correct_signature():
    old = str(int((NOW - 301) * 1000))
    signature = _v3(b"POST" + URL.encode() + BODY + old.encode())
    result = _check(_v3_headers(signature, old))
    assert not result.valid and "5-minute" in result.reason
    recent = str(int((NOW - 299) * 1000))
    assert _check(_v3_headers(_v3(b"POST" + URL.encode() + BODY + recent.encode()), recent))


def test_v3_decodes_the_listed_escapes_in_the_uri_before_signing():
    called = "https://meetbridge.example/hubspot/cards?email=a%40b.example&ids=1%2C2&q=a%20b"
    signed_as = "https://meetbridge.example/hubspot/cards?email=a@b.example&ids=1,2&q=a%20b"
    signature = _v3(b"GET" + signed_as.encode() + b"" + TIMESTAMP.encode())
    assert _check(_v3_headers(signature), url=called, body=b"", method="GET").valid
    # Signing the URL as received (what the official SDK does) does not match.
    naive = _v3(b"GET" + called.encode() + TIMESTAMP.encode())
    assert not _check(_v3_headers(naive), url=called, body=b"", method="GET").valid


def test_v2_is_checked_when_no_v3_header_is_present():
    signature = hashlib.sha256(SECRET.encode() + b"POST" + URL.encode() + BODY).hexdigest()
    headers = {"X-HubSpot-Signature": signature, "X-HubSpot-Signature-Version": "v2"}
    result = _check(headers)
    assert result.valid and result.version == "v2"
    assert not _check({**headers, "X-HubSpot-Signature": "0" * 64}).valid
    assert not _check(headers, url=URL + "&x=1").valid


def test_v1_webhook_signature_and_missing_signature():
    signature = hashlib.sha256(SECRET.encode() + BODY).hexdigest()
    assert _check({"x-hubspot-signature": signature, "x-hubspot-signature-version": "v1"}).valid
    missing = _check({})
    assert not missing.valid and missing.version is None
