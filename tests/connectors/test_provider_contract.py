"""Every registered provider honours the same contract, end to end against its sandbox fake.

Adding a provider (one package + one registry line) puts it through all of this automatically.
"""

from __future__ import annotations

import datetime as dt
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from django.utils import timezone
from django.utils.module_loading import import_string

from connectors.base import OAuthSpec, Provider
from connectors.demo import sandbox_connect
from connectors.models import ConnectionEvent, ConnectionStatus, PendingRevocation
from connectors.registry import PROVIDERS, provider_get, provider_keys
from connectors.sandbox.core import VendorFake
from connectors.services import (
    connection_access_token,
    connection_disconnect,
    connection_test,
)

pytestmark = pytest.mark.django_db
KEYS = provider_keys()


@pytest.mark.parametrize("key", KEYS)
def test_descriptor_is_complete(key):
    provider = provider_get(key)
    assert isinstance(provider, Provider)
    assert provider.key == key and provider.name
    spec = provider.oauth()
    assert isinstance(spec, OAuthSpec)
    assert spec.authorize_url and spec.token_url and spec.scopes
    assert spec.pkce, "every provider we support does PKCE"
    assert provider.required_scopes() <= set(spec.scopes)
    assert import_string(provider.client_path)
    fake_class = provider.sandbox_class
    assert issubclass(fake_class, VendorFake) and fake_class.key == key
    assert PROVIDERS[key].endswith(type(provider).__name__)


@pytest.mark.parametrize("key", KEYS)
def test_connect_view_redirects_to_the_vendor_with_state_and_pkce(client, org_a, manager_a, key):
    client.force_login(manager_a)
    response = client.get(f"/connections/{key}/connect/?organization={org_a.pk}")
    assert response.status_code == 302
    url = urlsplit(response["Location"])
    query = parse_qs(url.query)
    spec = provider_get(key).oauth()
    assert response["Location"].startswith(spec.authorize_url)
    assert query["state"][0] and query["code_challenge_method"] == ["S256"]
    assert len(query["code_challenge"][0]) == 43
    assert query["redirect_uri"][0].endswith(f"/connections/{key}/callback/")


@pytest.mark.parametrize("key", KEYS)
def test_connect_use_refresh_disconnect_reconnect(sandbox, org_a, manager_a, key):
    fake = sandbox.fakes[key]
    connection = sandbox_connect(organization=org_a, user=manager_a, provider_key=key)
    assert connection.status == ConnectionStatus.ACTIVE, connection.last_error
    assert connection.external_account_id and connection.display_name
    first_token = connection.access_token
    assert fake.oauth.by_access[first_token]

    # Use, with a forced refresh: the token endpoint is called and the new token works.
    connection.expires_at = timezone.now() - dt.timedelta(seconds=1)
    connection.save()
    calls_before = fake.oauth.token_calls
    fresh = connection_access_token(connection.pk)
    assert fresh != first_token and fake.oauth.token_calls == calls_before + 1
    assert connection_test(connection=connection).ok

    # Disconnect: revoked at the vendor, tokens wiped, nothing pending.
    assert connection_disconnect(connection=connection, user=manager_a) is True
    connection.refresh_from_db()
    assert connection.status == ConnectionStatus.DISCONNECTED
    assert connection.access_token == "" and connection.refresh_token == ""
    assert fresh not in fake.oauth.by_access
    assert not PendingRevocation.objects.exists()

    # Reconnect resumes on the same row.
    again = sandbox_connect(organization=org_a, user=manager_a, provider_key=key)
    assert again.pk == connection.pk and again.status == ConnectionStatus.ACTIVE
    kinds = list(connection.events.order_by("pk").values_list("kind", flat=True))
    assert kinds[0] == ConnectionEvent.Kind.CONNECTED
    assert ConnectionEvent.Kind.REVOKED in kinds and kinds[-1] == ConnectionEvent.Kind.RECONNECTED


@pytest.mark.parametrize("key", KEYS)
def test_consent_page_is_served_by_the_fake(sandbox, key):
    spec = provider_get(key).oauth()
    provider = provider_get(key)
    response = requests.get(
        spec.authorize_url,
        params={
            "client_id": provider.client_id,
            "redirect_uri": "http://127.0.0.1:8000/cb",
            "response_type": "code",
            "state": "s",
        },
        timeout=5,
    )
    assert response.status_code == 200
    assert "Approve" in response.text
