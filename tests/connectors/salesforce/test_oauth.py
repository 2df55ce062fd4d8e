"""The Salesforce sandbox's login host: consent, PKCE code exchange, refresh, revoke, identity."""

from __future__ import annotations

import base64
import hashlib
import hmac
from urllib.parse import parse_qs, urlsplit

import pytest
import requests

from connectors.oauth import pkce_pair
from connectors.registry import provider_get

pytestmark = pytest.mark.usefixtures("sandbox")
REDIRECT_URI = "http://127.0.0.1:8000/connections/salesforce/callback/"


@pytest.fixture
def provider():
    return provider_get("salesforce")


def authorize(provider, challenge: str, *, decision: str = "approve") -> dict[str, list[str]]:
    params = {
        "response_type": "code",
        "client_id": provider.client_id,
        "redirect_uri": REDIRECT_URI,
        "scope": "api refresh_token",
        "state": "st4te",
        "code_challenge": challenge,
        "code_challenge_method": "S256",
    }
    url = provider.oauth().authorize_url
    page = requests.get(url, params=params, timeout=5)
    assert page.status_code == 200 and "Approve" in page.text
    response = requests.post(
        url, data={**params, "decision": decision}, allow_redirects=False, timeout=5
    )
    assert response.status_code == 302
    location = response.headers["Location"]
    assert location.startswith(REDIRECT_URI)
    return parse_qs(urlsplit(location).query)


def token_request(provider, **form: str) -> requests.Response:
    body = {"client_id": provider.client_id, "client_secret": provider.client_secret, **form}
    return requests.post(provider.oauth().token_url, data=body, timeout=5)


def exchange(provider, code: str, verifier: str) -> requests.Response:
    return token_request(
        provider,
        grant_type="authorization_code",
        code=code,
        redirect_uri=REDIRECT_URI,
        code_verifier=verifier,
    )


def test_code_exchange_returns_instance_url_identity_url_and_no_expiry(fake, provider, settings):
    verifier, challenge = pkce_pair()
    callback = authorize(provider, challenge)
    assert callback["state"] == ["st4te"]

    response = exchange(provider, callback["code"][0], verifier)

    assert response.status_code == 200
    body = response.json()
    root = f"{settings.SANDBOX_URL}/salesforce"
    assert body["instance_url"] == f"{root}/instance"
    assert body["id"] == f"{root}/login/id/{fake.org_id}/{fake.integration_user_id}"
    assert body["token_type"] == "Bearer" and body["scope"] == "api refresh_token"
    assert body["access_token"] and body["refresh_token"]
    assert "expires_in" not in body
    # signature = base64(HMAC-SHA256(client secret, id + issued_at))
    expected = hmac.new(
        provider.client_secret.encode(),
        (body["id"] + body["issued_at"]).encode(),
        hashlib.sha256,
    ).digest()
    assert body["signature"] == base64.b64encode(expected).decode()


def test_code_exchange_rejects_a_wrong_code_verifier(provider):
    _, challenge = pkce_pair()
    other_verifier, _ = pkce_pair()
    code = authorize(provider, challenge)["code"][0]

    response = exchange(provider, code, other_verifier)

    assert response.status_code == 400
    assert response.json()["error"] == "invalid_grant"


def test_denied_consent_redirects_with_access_denied(provider):
    _, challenge = pkce_pair()
    assert authorize(provider, challenge, decision="deny")["error"] == ["access_denied"]


def test_token_endpoint_rejects_a_wrong_client_secret(provider):
    response = requests.post(
        provider.oauth().token_url,
        data={
            "grant_type": "refresh_token",
            "client_id": provider.client_id,
            "client_secret": "nope",
            "refresh_token": "x",
        },
        timeout=5,
    )
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_client"


def test_identity_url_describes_the_user_and_org(fake, provider):
    verifier, challenge = pkce_pair()
    body = exchange(provider, authorize(provider, challenge)["code"][0], verifier).json()

    identity = requests.get(
        body["id"], headers={"Authorization": f"Bearer {body['access_token']}"}, timeout=5
    )

    assert identity.status_code == 200
    data = identity.json()
    assert data["organization_id"] == fake.org_id
    assert data["user_id"] == fake.integration_user_id
    assert data["username"] == "integration@acme.example"
    assert data["email"] == "integration@acme.example"
    assert requests.get(body["id"], timeout=5).status_code == 403


def test_refresh_issues_a_new_access_token_and_keeps_the_refresh_token(fake, provider):
    verifier, challenge = pkce_pair()
    first = exchange(provider, authorize(provider, challenge)["code"][0], verifier).json()

    response = token_request(
        provider, grant_type="refresh_token", refresh_token=first["refresh_token"]
    )

    assert response.status_code == 200
    body = response.json()
    assert "refresh_token" not in body  # no rotation: the old refresh token stays valid
    assert body["access_token"] != first["access_token"]
    assert body["instance_url"] == first["instance_url"]
    again = token_request(
        provider, grant_type="refresh_token", refresh_token=first["refresh_token"]
    )
    assert again.status_code == 200


def test_refresh_with_an_unknown_token_is_invalid_grant(provider):
    response = token_request(provider, grant_type="refresh_token", refresh_token="00Dx!bogus")

    assert response.status_code == 400
    assert response.json() == {
        "error": "invalid_grant",
        "error_description": "expired access/refresh token",
    }


def test_revoking_the_refresh_token_ends_the_session(fake, provider):
    grant = fake.oauth.grant_issue(fake.default_grant())
    revoke_url = provider.oauth().revoke_url

    assert requests.post(revoke_url, data={"token": grant.refresh_token}, timeout=5).ok

    refreshed = token_request(
        provider, grant_type="refresh_token", refresh_token=grant.refresh_token
    )
    assert refreshed.status_code == 400
    assert grant.access_token not in fake.oauth.by_access
    again = requests.post(revoke_url, data={"token": grant.refresh_token}, timeout=5)
    assert again.status_code == 400 and again.json()["error"] == "invalid_token"


def test_revoking_an_access_token_leaves_the_refresh_token_usable(fake, provider):
    grant = fake.oauth.grant_issue(fake.default_grant())
    access, refresh = grant.access_token, grant.refresh_token

    assert requests.post(provider.oauth().revoke_url, data={"token": access}, timeout=5).ok

    assert access not in fake.oauth.by_access
    response = token_request(provider, grant_type="refresh_token", refresh_token=refresh)
    assert response.status_code == 200


def test_revoke_rejects_something_that_is_not_a_token(provider):
    response = requests.post(provider.oauth().revoke_url, data={"token": "hello"}, timeout=5)
    assert response.status_code == 400
    assert response.json()["error"] == "unsupported_token_type"
