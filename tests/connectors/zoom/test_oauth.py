"""The fake's OAuth endpoints behave like zoom.us/oauth: PKCE, single-use codes, rotation."""

from __future__ import annotations

import base64
import hashlib
import secrets
from urllib.parse import parse_qsl, urlencode, urlsplit

import pytest

from connectors.errors import PermanentError, ReauthRequiredError
from connectors.http import HttpClient
from connectors.registry import provider_get

REDIRECT_URI = "https://meetbridge.test/connections/zoom/callback/"


@pytest.fixture
def oauth(sandbox, settings) -> HttpClient:
    return HttpClient(
        provider="zoom",
        base_url=settings.PROVIDERS["zoom"]["oauth_base_url"],
        error_mapper=provider_get("zoom").error_from_response,
        record_calls=False,
        sleep=lambda seconds: None,
    )


@pytest.fixture
def app_credentials(settings) -> tuple[str, str]:
    return settings.PROVIDERS["zoom"]["client_id"], settings.PROVIDERS["zoom"]["client_secret"]


def _challenge(verifier: str) -> str:
    digest = hashlib.sha256(verifier.encode()).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def _consent(oauth: HttpClient, client_id: str, verifier: str, decision: str = "approve") -> dict:
    params = {
        "response_type": "code",
        "client_id": client_id,
        "redirect_uri": REDIRECT_URI,
        "state": "st-123",
        "code_challenge": _challenge(verifier),
        "code_challenge_method": "S256",
    }
    page = oauth.request("GET", "/authorize", params=params, authenticated=False)
    assert "Approve" in page.text and 'name="code_challenge"' in page.text
    answer = oauth.request(
        "POST", "/authorize", data={**params, "decision": decision}, authenticated=False
    )
    assert answer.status_code == 302
    location = answer.headers["Location"]
    assert location.startswith(REDIRECT_URI)
    return dict(parse_qsl(urlsplit(location).query))


def _token(oauth: HttpClient, credentials: tuple[str, str], **form: str) -> dict:
    response = oauth.request(
        "POST", "/token", data=form, basic_auth=credentials, authenticated=False
    )
    return response.json()


def _exchange(oauth, credentials, code: str, verifier: str) -> dict:
    return _token(
        oauth,
        credentials,
        grant_type="authorization_code",
        code=code,
        redirect_uri=REDIRECT_URI,
        code_verifier=verifier,
    )


def test_consent_code_and_pkce_exchange_give_tokens_with_the_granted_scopes(oauth, app_credentials):
    verifier = secrets.token_urlsafe(48)
    callback = _consent(oauth, app_credentials[0], verifier)
    assert callback["state"] == "st-123"

    tokens = _exchange(oauth, app_credentials, callback["code"], verifier)

    assert tokens["token_type"] == "bearer"
    assert tokens["expires_in"] == 3599
    assert tokens["refresh_token"]
    assert set(tokens["scope"].split(" ")) == set(provider_get("zoom").oauth().scopes)


def test_denied_consent_redirects_with_access_denied(oauth, app_credentials):
    callback = _consent(oauth, app_credentials[0], "verifier", decision="deny")

    assert callback == {"error": "access_denied", "state": "st-123"}


def test_token_exchange_rejects_a_wrong_code_verifier(oauth, app_credentials):
    callback = _consent(oauth, app_credentials[0], secrets.token_urlsafe(48))

    with pytest.raises(PermanentError) as caught:
        _exchange(oauth, app_credentials, callback["code"], secrets.token_urlsafe(48))

    assert caught.value.status == 400
    assert caught.value.code == "invalid_grant"


def test_authorization_code_is_single_use(oauth, app_credentials):
    verifier = secrets.token_urlsafe(48)
    code = _consent(oauth, app_credentials[0], verifier)["code"]
    _exchange(oauth, app_credentials, code, verifier)

    with pytest.raises(PermanentError) as caught:
        _exchange(oauth, app_credentials, code, verifier)

    assert caught.value.code == "invalid_grant"


def test_token_endpoint_rejects_wrong_client_secret_with_401(oauth, app_credentials):
    verifier = secrets.token_urlsafe(48)
    code = _consent(oauth, app_credentials[0], verifier)["code"]

    with pytest.raises(ReauthRequiredError) as caught:
        _exchange(oauth, (app_credentials[0], "not-the-secret"), code, verifier)

    assert caught.value.status == 401
    assert caught.value.code == "invalid_client"


def test_refresh_rotates_the_refresh_token_and_kills_the_old_one(oauth, app_credentials):
    verifier = secrets.token_urlsafe(48)
    code = _consent(oauth, app_credentials[0], verifier)["code"]
    first = _exchange(oauth, app_credentials, code, verifier)

    second = _token(
        oauth, app_credentials, grant_type="refresh_token", refresh_token=first["refresh_token"]
    )
    assert second["refresh_token"] != first["refresh_token"]
    assert second["access_token"] != first["access_token"]

    with pytest.raises(PermanentError) as caught:
        _token(
            oauth, app_credentials, grant_type="refresh_token", refresh_token=first["refresh_token"]
        )
    assert caught.value.code == "invalid_grant"
    assert caught.value.message == "Invalid Token!"


def test_revoke_answers_success_and_the_token_stops_working(
    oauth, app_credentials, sandbox, settings
):
    fake = sandbox.fakes["zoom"]
    grant = fake.oauth.grant_issue(fake.default_grant())
    token = grant.access_token

    answer = oauth.request(
        "POST",
        "/revoke",
        data={"token": token},
        basic_auth=app_credentials,
        authenticated=False,
    )

    assert answer.json() == {"status": "success"}
    api = HttpClient(
        provider="zoom",
        base_url=settings.PROVIDERS["zoom"]["api_base_url"],
        error_mapper=provider_get("zoom").error_from_response,
        record_calls=False,
    )
    with pytest.raises(ReauthRequiredError) as caught:
        api.request(
            "GET", "/users/me", headers={"Authorization": f"Bearer {token}"}, authenticated=False
        )
    assert caught.value.code == "124"
    assert caught.value.message == "Invalid access token."


def test_authorize_page_rejects_an_unknown_client(oauth):
    query = urlencode({"response_type": "code", "client_id": "nope", "redirect_uri": "x"})

    with pytest.raises(PermanentError) as caught:
        oauth.request("GET", "/authorize?" + query, authenticated=False)

    assert caught.value.code == "invalid_client"
