"""Zoom webhook signature checks and the URL-validation answer."""

from __future__ import annotations

import hashlib
import hmac
import json

import pytest

from connectors.zoom.webhooks import (
    WebhookVerificationError,
    signature_compute,
    signature_verify,
    signed_headers,
    url_validation_answer,
    url_validation_response,
)

SECRET = "whsec-test-token"
NOW = 1_760_000_000
BODY = b'{"event":"webinar.registration_created","event_ts":1760000000000,"payload":{}}'


def test_signature_is_v0_hex_hmac_of_version_timestamp_and_raw_body():
    expected = hmac.new(SECRET.encode(), b"v0:1760000000:" + BODY, hashlib.sha256).hexdigest()

    assert signature_compute(SECRET, "1760000000", BODY) == "v0=" + expected


def test_a_correctly_signed_fresh_request_verifies():
    headers = signed_headers(SECRET, BODY, timestamp=NOW)

    signature_verify(secret=SECRET, headers=headers, raw_body=BODY, now=NOW + 10)


def test_header_names_are_matched_case_insensitively():
    headers = {k.upper(): v for k, v in signed_headers(SECRET, BODY, timestamp=NOW).items()}

    signature_verify(secret=SECRET, headers=headers, raw_body=BODY, now=NOW)


def test_a_tampered_body_is_rejected():
    headers = signed_headers(SECRET, BODY, timestamp=NOW)
    tampered = BODY.replace(b"registration_created", b"registration_approved")

    with pytest.raises(WebhookVerificationError, match="does not match"):
        signature_verify(secret=SECRET, headers=headers, raw_body=tampered, now=NOW)


def test_a_reserialised_body_is_rejected_because_zoom_signs_raw_bytes():
    headers = signed_headers(SECRET, BODY, timestamp=NOW)
    reserialised = json.dumps(json.loads(BODY)).encode()  # adds spaces

    with pytest.raises(WebhookVerificationError):
        signature_verify(secret=SECRET, headers=headers, raw_body=reserialised, now=NOW)


def test_another_secret_is_rejected():
    headers = signed_headers("someone-else", BODY, timestamp=NOW)

    with pytest.raises(WebhookVerificationError):
        signature_verify(secret=SECRET, headers=headers, raw_body=BODY, now=NOW)


@pytest.mark.parametrize("age", [301, -301])
def test_a_timestamp_more_than_five_minutes_away_is_rejected(age):
    headers = signed_headers(SECRET, BODY, timestamp=NOW)

    with pytest.raises(WebhookVerificationError, match="timestamp"):
        signature_verify(secret=SECRET, headers=headers, raw_body=BODY, now=NOW + age)


def test_missing_headers_are_rejected():
    with pytest.raises(WebhookVerificationError, match="missing"):
        signature_verify(secret=SECRET, headers={}, raw_body=BODY, now=NOW)


def test_url_validation_answers_plain_and_hmac_encrypted_token():
    body = json.dumps(
        {"event": "endpoint.url_validation", "payload": {"plainToken": "qgg8vlvZRS6UYooatFL8Aw"}}
    ).encode()

    answer = url_validation_response(SECRET, body)

    expected = hmac.new(SECRET.encode(), b"qgg8vlvZRS6UYooatFL8Aw", hashlib.sha256).hexdigest()
    assert answer == {"plainToken": "qgg8vlvZRS6UYooatFL8Aw", "encryptedToken": expected}
    assert url_validation_answer(SECRET, "qgg8vlvZRS6UYooatFL8Aw") == answer


def test_url_validation_response_is_none_for_ordinary_events():
    assert url_validation_response(SECRET, BODY) is None


def test_url_validation_without_plain_token_is_rejected():
    body = b'{"event":"endpoint.url_validation","payload":{}}'

    with pytest.raises(WebhookVerificationError):
        url_validation_response(SECRET, body)
