"""OAuth v3 against the fake: consent page, code with PKCE, refresh, introspect, revoke."""

from __future__ import annotations

import base64
import hashlib
import re
from urllib.parse import parse_qs, urlsplit

import pytest
import requests

REDIRECT = "http://testserver/connections/hubspot/callback"
VERIFIER = "v" * 64


def _challenge(verifier: str) -> str:
    digest = hashlib.sha256(verifier.encode()).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


@pytest.fixture
def urls(sandbox, settings):
    config = settings.PROVIDERS["hubspot"]
    return {
        "authorize": f"{config['app_base_url']}/oauth/authorize",
        "token": f"{config['api_base_url']}/oauth/v3/token",
        "introspect": f"{config['api_base_url']}/oauth/v3/token/introspect",
        "revoke": f"{config['api_base_url']}/oauth/v3/token/revoke",
        "account": f"{config['api_base_url']}/account-info/v3/details",
        "client": {"client_id": config["client_id"], "client_secret": config["client_secret"]},
    }


def _consent_code(urls, scope="oauth crm.objects.contacts.read", state="s-1") -> str:
    params = {
        "client_id": urls["client"]["client_id"],
        "redirect_uri": REDIRECT,
        "scope": scope,
        "optional_scope": "timeline",
        "state": state,
        "code_challenge": _challenge(VERIFIER),
        "code_challenge_method": "S256",
    }
    page = requests.get(urls["authorize"], params=params, timeout=5)
    assert page.status_code == 200
    fields = dict(re.findall(r'name="([^"]+)" value="([^"]*)"', page.text))
    decision = requests.post(
        urls["authorize"], data={**fields, "decision": "approve"}, allow_redirects=False, timeout=5
    )
    assert decision.status_code == 302
    location = decision.headers["Location"]
    assert location.startswith(REDIRECT)
    query = parse_qs(urlsplit(location).query)
    assert query["state"] == [state]
    return query["code"][0]


def _token(urls, **form):
    return requests.post(urls["token"], data={**urls["client"], **form}, timeout=5)


def test_consent_then_code_exchange_with_pkce_returns_hubspot_token_fields(fake, urls):
    code = _consent_code(urls)
    response = _token(
        urls,
        grant_type="authorization_code",
        code=code,
        redirect_uri=REDIRECT,
        code_verifier=VERIFIER,
    )
    assert response.status_code == 200
    body = response.json()
    assert body["expires_in"] == 1800
    assert body["token_type"] == "bearer"
    assert body["hub_id"] == fake.portal["portalId"]
    assert body["scopes"] == ["oauth", "crm.objects.contacts.read", "timeline"]
    account = requests.get(
        urls["account"], headers={"Authorization": f"Bearer {body['access_token']}"}, timeout=5
    )
    assert account.json()["portalId"] == fake.portal["portalId"]


def test_code_exchange_rejects_a_wrong_verifier_and_the_code_is_then_spent(urls):
    code = _consent_code(urls)
    bad = _token(
        urls,
        grant_type="authorization_code",
        code=code,
        redirect_uri=REDIRECT,
        code_verifier="w" * 64,
    )
    assert bad.status_code == 400
    assert bad.json()["category"] == "BAD_AUTH_CODE"
    again = _token(
        urls,
        grant_type="authorization_code",
        code=code,
        redirect_uri=REDIRECT,
        code_verifier=VERIFIER,
    )
    assert again.status_code == 400


def test_token_endpoint_rejects_a_wrong_client_secret(urls):
    response = requests.post(
        urls["token"],
        data={
            "client_id": urls["client"]["client_id"],
            "client_secret": "nope",
            "grant_type": "refresh_token",
            "refresh_token": "x",
        },
        timeout=5,
    )
    assert response.status_code == 400
    assert response.json()["category"] == "BAD_CLIENT_ID"


def test_refresh_keeps_the_refresh_token_and_issues_a_new_access_token(fake, urls):
    grant = fake.oauth.grant_issue(fake.default_grant())
    old_access, refresh = grant.access_token, grant.refresh_token
    response = _token(urls, grant_type="refresh_token", refresh_token=refresh)
    assert response.status_code == 200
    body = response.json()
    assert body["refresh_token"] == refresh  # HubSpot does not rotate refresh tokens
    assert body["access_token"] != old_access
    old = requests.get(
        urls["account"], headers={"Authorization": f"Bearer {old_access}"}, timeout=5
    )
    assert old.status_code == 401
    assert old.json()["category"] == "INVALID_AUTHENTICATION"


def test_introspect_reports_active_tokens_and_revoke_kills_them(fake, urls):
    grant = fake.oauth.grant_issue(fake.default_grant())
    info = requests.post(
        urls["introspect"], data={**urls["client"], "token": grant.access_token}, timeout=5
    ).json()
    assert info["active"] is True
    assert info["hub_id"] == fake.portal["portalId"]
    assert info["token_use"] == "access_token"
    assert "crm.objects.contacts.write" in info["scopes"]
    revoked = requests.post(
        urls["revoke"], data={**urls["client"], "token": grant.refresh_token}, timeout=5
    )
    assert revoked.status_code == 200
    for token in (grant.access_token, grant.refresh_token):
        after = requests.post(
            urls["introspect"], data={**urls["client"], "token": token}, timeout=5
        )
        assert after.json() == {"active": False}
    refresh = _token(urls, grant_type="refresh_token", refresh_token=grant.refresh_token)
    assert refresh.status_code == 400
    assert refresh.json()["category"] == "BAD_REFRESH_TOKEN"


def test_expired_access_token_answers_401_expired_authentication(fake, urls):
    grant = fake.oauth.grant_issue(fake.default_grant())
    fake.oauth.expire_access_tokens()
    response = requests.get(
        urls["account"], headers={"Authorization": f"Bearer {grant.access_token}"}, timeout=5
    )
    assert response.status_code == 401
    body = response.json()
    assert body["status"] == "error" and body["category"] == "EXPIRED_AUTHENTICATION"
    assert body["correlationId"]
