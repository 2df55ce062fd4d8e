"""The one HTTP layer: retries, Retry-After, 401 refresh, error family, call records."""

from __future__ import annotations

import logging
import time

import pytest
import requests

from connectors.errors import (
    NotFoundError,
    PermanentError,
    RateLimitedError,
    ReauthRequiredError,
    TransientError,
)
from connectors.http import HttpClient, retry_after_seconds
from connectors.models import ApiCall, RateLimitBlock
from connectors.ratelimit import RateLimit, RateLimiter
from connectors.registry import provider_get

BASE = "https://api.vendor.test/v2"
pytestmark = pytest.mark.django_db


class Tokens:
    def __init__(self):
        self.current = "token-1"
        self.refreshes = 0

    def access_token(self):
        return self.current

    def token_after_unauthorized(self, rejected):
        self.refreshes += 1
        self.current = f"token-{self.refreshes + 1}"
        return self.current


def client(**kwargs) -> HttpClient:
    defaults = {
        "provider": "zoom",
        "base_url": BASE,
        "error_mapper": provider_get("zoom").error_from_response,
        "token_source": Tokens(),
        "sleep": lambda seconds: None,
    }
    return HttpClient(**{**defaults, **kwargs})


def test_transient_errors_are_retried_with_backoff(http_mock):
    http_mock.get(f"{BASE}/users/me", status=503, json={"code": 500, "message": "busy"})
    http_mock.get(f"{BASE}/users/me", status=502)
    http_mock.get(f"{BASE}/users/me", json={"id": "u1"})
    waits = []
    response = client(sleep=waits.append).request("GET", "/users/me")
    assert response.json() == {"id": "u1"}
    assert len(waits) == 2 and waits[1] > waits[0] * 0.9
    call = ApiCall.objects.get()
    assert (call.status, call.retries, call.path_template) == (200, 2, "/users/me")


def test_retries_stop_after_max_attempts(http_mock):
    http_mock.get(f"{BASE}/users/me", status=503)
    with pytest.raises(TransientError):
        client(max_attempts=3).request("GET", "/users/me")
    assert len(http_mock.calls) == 3


def test_network_errors_are_transient(http_mock):
    http_mock.get(f"{BASE}/users/me", body=requests.ConnectionError("refused"))
    with pytest.raises(TransientError, match="ConnectionError"):
        client(max_attempts=2).request("GET", "/users/me")
    assert ApiCall.objects.get().status is None


def test_a_create_without_idempotency_is_not_resent_after_a_timeout_or_5xx(http_mock):
    http_mock.post(f"{BASE}/users/u1/meetings", body=requests.ReadTimeout("read timed out"))
    with pytest.raises(TransientError, match="ReadTimeout"):
        client().request("POST", "/users/u1/meetings", json={}, idempotent=False)
    http_mock.post(f"{BASE}/users/u1/meetings", status=503)
    with pytest.raises(TransientError):
        client().request("POST", "/users/u1/meetings", json={}, idempotent=False)
    assert len(http_mock.calls) == 2  # one each: the vendor may have acted on it


def test_a_create_without_idempotency_is_resent_after_a_429(http_mock):
    http_mock.post(f"{BASE}/users/u1/meetings", status=429, headers={"Retry-After": "0"})
    http_mock.post(f"{BASE}/users/u1/meetings", status=201, json={"id": 1})
    response = client().request("POST", "/users/u1/meetings", json={}, idempotent=False)
    assert response.json() == {"id": 1}


def test_no_request_goes_out_before_retry_after_expires(http_mock):
    http_mock.get(
        f"{BASE}/users/me",
        status=429,
        headers={"Retry-After": "1"},
        json={"code": 429, "message": "You have reached the maximum per-second rate limit"},
    )
    http_mock.get(f"{BASE}/users/me", json={"id": "u1"})
    sent = []
    http_mock.assert_all_requests_are_fired = False
    original = requests.Session.send

    def timed_send(self, request, **kwargs):
        sent.append(time.monotonic())
        return original(self, request, **kwargs)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(requests.Session, "send", timed_send)
        client(sleep=time.sleep).request("GET", "/users/me")
    assert len(sent) == 2
    assert sent[1] - sent[0] >= 1.0


def test_long_retry_after_raises_and_blocks_the_bucket_for_every_worker(http_mock):
    http_mock.get(
        f"{BASE}/users/me",
        status=429,
        headers={"Retry-After": "120"},
        json={"code": 429, "message": "daily limit"},
    )
    limiter = RateLimiter("zoom:acct")
    with pytest.raises(RateLimitedError) as raised:
        client(limiter=limiter).request("GET", "/users/me", limits=[RateLimit("light", 30, 1.0)])
    assert raised.value.retry_after == pytest.approx(120, abs=1)
    assert RateLimitBlock.objects.get(key="zoom:acct:light")
    other_worker = RateLimiter("zoom:acct")
    assert other_worker.wait_time([RateLimit("light", 30, 1.0)]) > 100
    assert len(http_mock.calls) == 1


def test_permanent_errors_are_not_retried_and_carry_the_vendor_message(http_mock):
    http_mock.post(
        f"{BASE}/webinars/1/registrants",
        status=400,
        json={"code": 3000, "message": "Webinar registration is disabled"},
    )
    with pytest.raises(PermanentError) as raised:
        client().request(
            "POST", "/webinars/{webinar_id}/registrants", path_params={"webinar_id": 1}, json={}
        )
    assert raised.value.code == "3000"
    assert "registration is disabled" in str(raised.value)
    assert len(http_mock.calls) == 1
    assert ApiCall.objects.get().path_template == "/webinars/{webinar_id}/registrants"


def test_not_found_is_its_own_class_and_can_be_accepted(http_mock):
    http_mock.get(
        f"{BASE}/meetings/9", status=404, json={"code": 3001, "message": "Meeting does not exist"}
    )
    with pytest.raises(NotFoundError):
        client().request("GET", "/meetings/{id}", path_params={"id": 9})
    response = client().request("GET", "/meetings/{id}", path_params={"id": 9}, ok_statuses=[404])
    assert response.status_code == 404


def test_path_parameters_are_quoted(http_mock):
    http_mock.get(f"{BASE}/past_webinars/%2F%2Fabc%3D%3D/instances", json={"webinars": []})
    client().request("GET", "/past_webinars/{uuid}/instances", path_params={"uuid": "//abc=="})
    assert http_mock.calls[0].request.url.endswith("/past_webinars/%2F%2Fabc%3D%3D/instances")


def test_401_refreshes_once_then_retries_with_the_new_token(http_mock):
    http_mock.get(
        f"{BASE}/users/me", status=401, json={"code": 124, "message": "Invalid access token."}
    )
    http_mock.get(f"{BASE}/users/me", json={"id": "u1"})
    tokens = Tokens()
    client(token_source=tokens).request("GET", "/users/me")
    assert tokens.refreshes == 1
    assert [c.request.headers["Authorization"] for c in http_mock.calls] == [
        "Bearer token-1",
        "Bearer token-2",
    ]


def test_second_401_means_reauth_required(http_mock):
    http_mock.get(
        f"{BASE}/users/me", status=401, json={"code": 124, "message": "Invalid access token."}
    )
    tokens = Tokens()
    with pytest.raises(ReauthRequiredError):
        client(token_source=tokens).request("GET", "/users/me")
    assert tokens.refreshes == 1
    assert len(http_mock.calls) == 2


def test_call_records_and_logs_never_contain_tokens(http_mock, caplog):
    http_mock.get(f"{BASE}/users/me", status=400, json={"code": 300, "message": "bad"})
    caplog.set_level(logging.DEBUG)
    with pytest.raises(PermanentError):
        client().request("GET", "/users/me", params={"q": "x"})
    call = ApiCall.objects.get()
    assert "token-1" not in " ".join(str(v) for v in call.__dict__.values())
    assert "token-1" not in caplog.text


@pytest.mark.parametrize(
    ("header", "expected"),
    [("7", 7.0), ("0.5", 0.5), ("Wed, 21 Oct 2099 07:28:00 GMT", None), ("garbage", None)],
)
def test_retry_after_forms(header, expected):
    seconds = retry_after_seconds({"Retry-After": header})
    if header.startswith("Wed"):
        assert seconds > 1_000_000
    else:
        assert seconds == expected


def test_retry_after_iso_date_as_zoom_sends_for_daily_limits():
    assert retry_after_seconds({"Retry-After": "2099-01-01T00:00:00Z"}) > 1_000_000
    assert retry_after_seconds({}) is None


def test_unmatched_requests_never_reach_the_network(http_mock):
    # The suite-wide `http_mock` fixture refuses anything not routed to a fake.
    with pytest.raises(requests.ConnectionError, match="Responses"):
        requests.get("https://example.com/", timeout=1)
