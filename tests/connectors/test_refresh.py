"""Token refresh: before expiry, once on 401, serialised per connection, and honest failures."""

from __future__ import annotations

import datetime as dt
import time

import pytest
from django.utils import timezone

from connectors import oauth
from connectors.demo import sandbox_connect
from connectors.errors import PermanentError, ReauthRequiredError
from connectors.models import Connection, ConnectionEvent, ConnectionStatus
from connectors.services import (
    connection_access_token,
    connection_client,
    connection_token_refresh,
)
from tests.workers import manage_start, process_stop, wait_until

pytestmark = pytest.mark.django_db


@pytest.fixture
def zoom(sandbox, org_a, manager_a):
    return sandbox_connect(organization=org_a, user=manager_a, provider_key="zoom")


def _expire(connection: Connection) -> None:
    Connection.objects.filter(pk=connection.pk).update(
        expires_at=timezone.now() - dt.timedelta(seconds=1)
    )


def test_token_is_reused_until_close_to_expiry(sandbox, zoom):
    calls = sandbox.fakes["zoom"].oauth.token_calls
    assert connection_access_token(zoom.pk) == zoom.access_token
    assert sandbox.fakes["zoom"].oauth.token_calls == calls


def test_zoom_rotated_refresh_token_is_saved(sandbox, zoom):
    old_refresh = zoom.refresh_token
    _expire(zoom)
    connection_access_token(zoom.pk)
    zoom.refresh_from_db()
    assert zoom.refresh_token != old_refresh
    assert old_refresh not in sandbox.fakes["zoom"].oauth.by_refresh
    assert zoom.last_refreshed_at is not None


def test_a_401_refreshes_once_and_the_call_succeeds(sandbox, zoom):
    fake = sandbox.fakes["zoom"]
    fake.oauth.expire_access_tokens()  # the vendor thinks otherwise than our expires_at
    calls = fake.oauth.token_calls
    me = connection_client(zoom).http.request("GET", "/users/me").json()
    assert me["account_id"] == zoom.external_account_id
    assert fake.oauth.token_calls == calls + 1


def test_refused_refresh_marks_needs_reauth_and_pauses_the_connection(sandbox, zoom):
    fake = sandbox.fakes["zoom"]
    fake.oauth.revoke(zoom.refresh_token)
    _expire(zoom)
    with pytest.raises(ReauthRequiredError):
        connection_access_token(zoom.pk)
    zoom.refresh_from_db()
    assert zoom.status == ConnectionStatus.NEEDS_REAUTH
    assert "Reconnect" in zoom.last_error
    assert zoom.events.filter(kind=ConnectionEvent.Kind.NEEDS_REAUTH).count() == 1
    calls = fake.oauth.token_calls
    with pytest.raises(ReauthRequiredError):
        connection_access_token(zoom.pk)  # paused: no more calls to the vendor
    assert fake.oauth.token_calls == calls


def test_a_rotation_race_is_not_a_revocation(sandbox, zoom, monkeypatch):
    fake = sandbox.fakes["zoom"]
    winner = fake.oauth.refresh(client_id=fake_client_id(fake), refresh_token=zoom.refresh_token)

    def lost_race(provider, http, *, refresh_token):
        # Another worker (elsewhere) rotated the token first and saved its result.
        row = Connection.objects.get(pk=zoom.pk)
        row.access_token, row.refresh_token = winner.access_token, winner.refresh_token
        row.save()
        raise PermanentError("Invalid refresh token", code="invalid_grant", status=400)

    monkeypatch.setattr(oauth, "token_refresh", lost_race)
    _expire(zoom)
    assert connection_token_refresh(zoom.pk) == winner.access_token
    zoom.refresh_from_db()
    assert zoom.status == ConnectionStatus.ACTIVE


def fake_client_id(fake) -> str:
    return next(iter(fake.oauth.clients))


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_eight_processes_forcing_a_refresh_make_one_token_call(
    sandbox, http_sandbox, org_a, manager_a, tmp_path
):
    from django.db import connection as db

    if db.vendor != "postgresql":
        pytest.skip("real-process refresh test runs on PostgreSQL (DATABASE_URL=postgres://...)")
    zoom = sandbox_connect(organization=org_a, user=manager_a, provider_key="zoom")
    _expire(zoom)
    fake = sandbox.fakes["zoom"]
    calls_before = fake.oauth.token_calls
    go = time.time() + 4
    script = (
        "import time; from connectors.services import connection_access_token; "
        f"time.sleep(max(0, {go} - time.time())); "
        f"print('TOKEN', connection_access_token({zoom.pk}))"
    )
    logs = [tmp_path / f"worker{n}.log" for n in range(8)]
    workers = [
        manage_start("shell", "-c", script, log=log, SANDBOX_URL=http_sandbox) for log in logs
    ]
    try:
        assert wait_until(lambda: all(w.poll() is not None for w in workers), timeout=90)
    finally:
        for worker in workers:
            process_stop(worker)
    outputs = [log.read_text() for log in logs]
    tokens = {
        line.split()[1]
        for text in outputs
        for line in text.splitlines()
        if line.startswith("TOKEN")
    }
    assert len(tokens) == 1, outputs
    assert fake.oauth.token_calls == calls_before + 1
    token = tokens.pop()
    assert fake.oauth.by_access[token].access_expires_at > time.time()
    zoom.refresh_from_db()
    assert zoom.access_token == token
