"""Webinars: list, filters, search, read-only Zoom data, "Sync now" (button and action)."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse
from django.utils import timezone
from django_q.models import OrmQ

from accounts.models import Role
from sync.models import SyncRun, Webinar
from tests.factories import user_make
from tests.sync.factories import (
    run_make,
    session_make,
    sync_settings_make,
    webinar_make,
    zoom_user_make,
)

pytestmark = pytest.mark.django_db

WEBINAR_LIST = reverse("admin:sync_webinar_changelist")


def _sync_now_url(webinar):
    return reverse("admin:sync_webinar_sync_now", args=[webinar.pk])


def _change_url(webinar):
    return reverse("admin:sync_webinar_change", args=[webinar.pk])


def _messages(response) -> list[str]:
    return [str(message) for message in get_messages(response.wsgi_request)]


@pytest.fixture
def webinar(org_a):
    sync_settings_make(org_a, sync_enabled=True)
    return webinar_make(org_a, topic="Launch day", host=zoom_user_make(org_a))


def test_list_shows_last_run_status(client, manager_a, webinar):
    run_make(webinar, status=SyncRun.Status.FAILED)
    run_make(webinar, status=SyncRun.Status.PARTIAL)
    client.force_login(manager_a)

    response = client.get(WEBINAR_LIST)

    page = response.content.decode()
    assert "Launch day" in page
    assert "Succeeded with findings" in page
    [row] = response.context["cl"].result_list
    assert row.latest_run_status == SyncRun.Status.PARTIAL


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({"status__exact": "ended"}, {"Ended one"}),
        ({"sync_enabled__exact": "0"}, {"Not synced"}),
        ({"q": "81234567890"}, {"Ended one"}),
        ({"q": "launch"}, {"Launch day"}),
    ],
)
def test_list_filters_and_search(client, org_a, manager_a, webinar, query, expected):
    webinar_make(org_a, topic="Ended one", zoom_webinar_id="81234567890", status="ended")
    webinar_make(org_a, topic="Not synced", sync_enabled=False)
    client.force_login(manager_a)

    response = client.get(WEBINAR_LIST, query)

    assert {w.topic for w in response.context["cl"].result_list} == expected


def test_list_filters_by_host(client, org_a, manager_a, webinar):
    webinar_make(org_a, topic="Someone else's", host=zoom_user_make(org_a))
    client.force_login(manager_a)

    response = client.get(WEBINAR_LIST, {"host__id__exact": webinar.host_id})

    assert [w.topic for w in response.context["cl"].result_list] == ["Launch day"]


def test_change_page_edits_only_sync_and_shows_sessions_and_runs(client, manager_a, webinar):
    session_make(webinar, occurrence_key="occ-1")
    for _ in range(12):
        run_make(webinar)
    client.force_login(manager_a)

    page = client.get(_change_url(webinar))

    assert list(page.context["adminform"].form.fields) == ["sync_enabled"]
    sessions, runs = page.context["inline_admin_formsets"]
    assert len(list(sessions.formset)) == 1
    assert len(list(runs.formset)) == 10
    assert _sync_now_url(webinar) in page.content.decode()
    for link in ("syncrun/?webinar__id__exact", "attendance/?webinar", "syncfinding/?run__webinar"):
        path = next(p for p in _hrefs(page) if link in p)
        assert client.get(path).status_code == 200, path

    response = client.post(_change_url(webinar), _change_form_data(page, sync_enabled=False))

    assert response.status_code == 302
    webinar.refresh_from_db()
    assert not webinar.sync_enabled
    assert webinar.topic == "Launch day"


def test_sync_now_queues_a_manual_run(client, manager_a, webinar):
    client.force_login(manager_a)

    response = client.post(_sync_now_url(webinar))

    assert response.status_code == 302
    assert response["Location"] == _change_url(webinar)
    run = SyncRun.objects.get(webinar=webinar)
    assert run.trigger == SyncRun.Trigger.MANUAL
    assert run.status == SyncRun.Status.QUEUED
    assert run.requested_by == manager_a
    assert OrmQ.objects.count() == 1
    [message] = _messages(response)
    assert message.startswith(f"Sync of “{webinar}” queued: ")
    assert reverse("admin:sync_syncrun_change", args=[run.pk]) in message


def test_sync_now_while_queued_joins_the_queued_run(client, manager_a, webinar):
    client.force_login(manager_a)
    client.post(_sync_now_url(webinar), follow=True)

    response = client.post(_sync_now_url(webinar))

    assert SyncRun.objects.filter(webinar=webinar).count() == 1
    [message] = _messages(response)
    assert "already queued: your request was added" in message


def test_sync_now_while_running_asks_for_a_rerun(client, manager_a, webinar):
    running = run_make(webinar, status=SyncRun.Status.RUNNING)
    SyncRun.objects.filter(pk=running.pk).update(
        created_at=timezone.now() - dt.timedelta(minutes=1)
    )
    client.force_login(manager_a)

    response = client.post(_sync_now_url(webinar))

    assert SyncRun.objects.filter(webinar=webinar).count() == 1
    running.refresh_from_db()
    assert running.rerun_requested
    [message] = _messages(response)
    assert "already running: your request was added" in message


def test_sync_now_warns_when_the_webinar_is_not_synced(client, org_a, manager_a):
    webinar = webinar_make(org_a, sync_enabled=False)
    sync_settings_make(org_a, sync_enabled=True)
    client.force_login(manager_a)

    response = client.post(_sync_now_url(webinar))

    assert any("will only record that" in m for m in _messages(response))


def test_sync_now_refuses_get(client, manager_a, webinar):
    client.force_login(manager_a)

    assert client.get(_sync_now_url(webinar)).status_code == 405
    assert not SyncRun.objects.exists()


def test_member_sees_no_button_and_cannot_sync_now(client, org_a, webinar):
    client.force_login(user_make(org_a, role=Role.MEMBER))

    page = client.get(_change_url(webinar))
    assert page.status_code == 200
    assert _sync_now_url(webinar) not in page.content.decode()

    assert client.post(_sync_now_url(webinar)).status_code == 403
    assert not SyncRun.objects.exists()


def test_other_tenants_webinar_cannot_be_synced(client, org_b, manager_a):
    theirs = webinar_make(org_b)
    client.force_login(manager_a)

    assert client.post(_sync_now_url(theirs)).status_code == 404
    assert not SyncRun.objects.exists()


def test_sync_now_action_queues_selected_webinars(client, org_a, manager_a, webinar):
    second = webinar_make(org_a)
    run_make(second, status=SyncRun.Status.QUEUED)
    SyncRun.objects.filter(webinar=second).update(
        created_at=timezone.now() - dt.timedelta(minutes=1)
    )
    client.force_login(manager_a)

    response = client.post(
        WEBINAR_LIST,
        {"action": "sync_now_action", "_selected_action": [webinar.pk, second.pk]},
    )

    assert response.status_code == 302
    assert SyncRun.objects.filter(webinar=webinar, trigger=SyncRun.Trigger.MANUAL).count() == 1
    assert SyncRun.objects.filter(webinar=second).count() == 1
    assert _messages(response) == [
        "1 sync(s) queued; 1 already queued or running: your request was added."
    ]


def test_sync_now_action_is_not_offered_to_members(client, org_a, webinar):
    client.force_login(user_make(org_a, role=Role.MEMBER))

    response = client.post(
        WEBINAR_LIST, {"action": "sync_now_action", "_selected_action": [webinar.pk]}
    )

    action_form = response.context["action_form"]
    assert action_form is None or "sync_now_action" not in dict(
        action_form.fields["action"].choices
    )
    assert not SyncRun.objects.exists()


def test_webinars_cannot_be_added_or_deleted(client, manager_a, webinar):
    client.force_login(manager_a)

    assert client.get(reverse("admin:sync_webinar_add")).status_code == 403
    assert client.post(reverse("admin:sync_webinar_delete", args=[webinar.pk])).status_code == 403
    assert Webinar.objects.filter(pk=webinar.pk).exists()


def _hrefs(response) -> list[str]:
    return [
        href.replace("&amp;", "&")
        for href in re.findall(r'href="([^"]+)"', response.content.decode())
    ]


def _change_form_data(page, **overrides) -> dict:
    """The change page's form as a browser would submit it, with `overrides` applied."""
    data = {}
    for formset in page.context["inline_admin_formsets"]:
        management = formset.formset.management_form
        for name, field in management.fields.items():
            data[management.add_prefix(name)] = management.initial.get(name, field.initial)
        for form in formset.formset:
            data[form.add_prefix("id")] = form.instance.pk
    if overrides.pop("sync_enabled", True):
        data["sync_enabled"] = "on"
    data.update(overrides)
    return data
