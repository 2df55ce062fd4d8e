"""The HTTP layer's less travelled paths: the one refresh per request, 401s that are not refreshed,
what a failed refresh or a network error leaves in the call record, and decoding answers."""

from __future__ import annotations

import pytest
import requests

from connectors.errors import ReauthRequiredError, TransientError
from connectors.http import response_json
from connectors.models import ApiCall
from tests.connectors.test_http import BASE, Tokens, client

pytestmark = pytest.mark.django_db


def test_one_refresh_per_request_even_across_retries(http_mock):
    invalid = {"code": 124, "message": "Invalid access token."}
    http_mock.get(f"{BASE}/users/me", status=401, json=invalid)
    http_mock.get(f"{BASE}/users/me", status=503, json={"message": "busy"})
    http_mock.get(f"{BASE}/users/me", status=401, json=invalid)
    tokens = Tokens()
    with pytest.raises(ReauthRequiredError):
        client(token_source=tokens).request("GET", "/users/me")
    assert tokens.refreshes == 1
    assert len(http_mock.calls) == 3


def test_the_refreshed_token_serves_later_retries_and_the_resend_is_no_retry(http_mock):
    http_mock.get(f"{BASE}/users/me", status=401, json={"code": 124, "message": "Invalid."})
    http_mock.get(f"{BASE}/users/me", status=503, json={"message": "busy"})
    http_mock.get(f"{BASE}/users/me", json={"id": "u1"})
    client().request("GET", "/users/me")
    assert [c.request.headers["Authorization"] for c in http_mock.calls] == [
        "Bearer token-1",
        "Bearer token-2",
        "Bearer token-2",
    ]
    call = ApiCall.objects.get()
    assert (call.status, call.retries, call.error) == (200, 1, "")


def test_a_401_among_ok_statuses_is_returned_without_a_refresh(http_mock):
    http_mock.get(f"{BASE}/users/me", status=401, json={"code": 124, "message": "Invalid."})
    tokens = Tokens()
    response = client(token_source=tokens).request("GET", "/users/me", ok_statuses=[401])
    assert (response.status_code, tokens.refreshes, len(http_mock.calls)) == (401, 0, 1)


def test_an_unauthenticated_401_is_reauth_required_without_a_refresh(http_mock):
    http_mock.post(f"{BASE}/oauth/token", status=401, json={"error": "invalid_client"})
    tokens = Tokens()
    with pytest.raises(ReauthRequiredError) as caught:
        client(token_source=tokens).request("POST", "/oauth/token", authenticated=False)
    assert (caught.value.status, tokens.refreshes, len(http_mock.calls)) == (401, 0, 1)
    assert "Authorization" not in http_mock.calls[0].request.headers


def test_a_failed_refresh_is_recorded_with_the_vendors_401(http_mock):
    class Refused(Tokens):
        def token_after_unauthorized(self, rejected):
            raise ReauthRequiredError("refresh refused", provider="zoom")

    http_mock.get(f"{BASE}/users/me", status=401, json={"code": 124, "message": "Invalid."})
    with pytest.raises(ReauthRequiredError, match="refresh refused"):
        client(token_source=Refused()).request("GET", "/users/me")
    call = ApiCall.objects.get()
    assert (call.status, call.retries) == (401, 0)
    assert "Invalid." in call.error


def test_a_network_error_is_recorded_without_a_status(http_mock):
    http_mock.get(f"{BASE}/users/me", body=requests.ConnectionError("down"))
    with pytest.raises(TransientError):
        client(max_attempts=2).request("GET", "/users/me")
    call = ApiCall.objects.get()
    assert (call.status, call.retries) == (None, 1)
    assert "ConnectionError" in call.error


def test_a_long_context_is_cut_to_the_column(http_mock):
    http_mock.get(f"{BASE}/users/me", json={"id": "u1"})
    client(context="workflow-action:" + "x" * 100).request("GET", "/users/me")
    assert len(ApiCall.objects.get().context) == 64


def test_response_json_decodes_the_vendors_answer(http_mock):
    http_mock.get(f"{BASE}/users/me", json={"id": "u1"})
    http_mock.get(f"{BASE}/text", body="not json")
    assert response_json(client().request("GET", "/users/me")) == {"id": "u1"}
    with pytest.raises(ValueError):
        response_json(client().request("GET", "/text"))
