"""Activity sync admin forms posted for real (owners and managers change, members only view),
and the backfill command."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse

from accounts.models import Role
from sync.models import ActivitySyncRun, ActivitySyncSettings, ActivityUserMapping
from tests.factories import user_make
from tests.sync.activities.activities_world import activity_world_make

pytestmark = pytest.mark.django_db
MAPPING_ADD = reverse("admin:sync_activityusermapping_add")


@pytest.fixture
def world(sandbox, org_a, manager_a):
    world = activity_world_make(sandbox, org_a, manager_a)
    world.salesforce.task_type_values_set(["Call", "Email"])
    return world


def _settings_url(world) -> str:
    row = ActivitySyncSettings.objects.get(organization=world.organization)
    return reverse("admin:sync_activitysyncsettings_change", args=[row.pk])


def _settings_post(client, url: str, *, task_sync: bool, types: dict[str, tuple[bool, str]]):
    """POST the change form as the browser would: every field of the page, some changed."""
    page = client.get(url)
    form = page.context["adminform"].form
    data = {name: value for name, value in form.initial.items() if name in form.fields}
    data = {k: v for k, v in data.items() if not isinstance(v, bool)}
    if task_sync:
        data["salesforce_task_sync"] = "on"
    (inline,) = page.context["inline_admin_formsets"]
    formset = inline.formset
    management = formset.management_form
    data.update({management.add_prefix(k): v for k, v in management.initial.items()})
    for sub in formset.forms:
        setting = sub.instance
        enabled, task_type = types.get(setting.activity_type, (setting.enabled, ""))
        data[sub.add_prefix("id")] = setting.pk
        data[sub.add_prefix("sync_settings")] = setting.sync_settings_id
        data[sub.add_prefix("salesforce_task_type")] = task_type or setting.salesforce_task_type
        if enabled:
            data[sub.add_prefix("enabled")] = "on"
    return client.post(url, data)


def test_manager_switches_things_on_and_the_times_are_stamped(client, world):
    client.force_login(world.user)

    response = _settings_post(
        client,
        _settings_url(world),
        task_sync=True,
        types={"form_submission": (True, "Email"), "call": (True, "Call")},
    )

    assert response.status_code == 302, response.context and response.context["errors"]
    row = ActivitySyncSettings.objects.get(organization=world.organization)
    assert row.salesforce_task_sync and row.salesforce_task_sync_enabled_at is not None
    assert row.salesforce_cursor == row.salesforce_task_sync_enabled_at
    enabled = {s.activity_type: s for s in row.type_settings.filter(enabled=True)}
    assert set(enabled) == {"form_submission", "call"}
    assert enabled["form_submission"].salesforce_task_type == "Email"
    assert enabled["call"].enabled_at is not None
    assert enabled["call"].cursor_ms == int(enabled["call"].enabled_at.timestamp() * 1000)


def test_member_views_the_settings_but_cannot_change_them(client, world):
    member = user_make(world.organization, role=Role.MEMBER)
    client.force_login(member)
    url = _settings_url(world)

    assert client.get(url).status_code == 200
    response = client.post(url, {"salesforce_task_sync": "on"})

    assert response.status_code == 403
    row = ActivitySyncSettings.objects.get(organization=world.organization)
    assert not row.salesforce_task_sync


def test_manager_maps_a_user_by_hand_and_suggestions_keep_off_it(client, world):
    client.force_login(world.user)

    response = client.post(
        MAPPING_ADD,
        {
            "organization": world.organization.pk,
            "hubspot_owner_id": "101",
            "hubspot_email": "ann@acme.example",
            "salesforce_user_id": "005000000000001AAA",
            "salesforce_email": "ann@acme.example",
        },
    )

    assert response.status_code == 302
    mapping = ActivityUserMapping.objects.get(hubspot_owner_id="101")
    assert (mapping.organization, mapping.source) == (world.organization, "manual")


def test_member_cannot_add_or_change_a_user_mapping(client, world):
    mapping = ActivityUserMapping.objects.create(
        organization=world.organization, hubspot_owner_id="101", salesforce_user_id="005A"
    )
    client.force_login(user_make(world.organization, role=Role.MEMBER))
    change = reverse("admin:sync_activityusermapping_change", args=[mapping.pk])

    assert client.get(change).status_code == 200
    assert client.get(MAPPING_ADD).status_code == 403
    posted = {"organization": world.organization.pk, "hubspot_owner_id": "101"}
    assert client.post(change, {**posted, "salesforce_user_id": "005B"}).status_code == 403
    mapping.refresh_from_db()
    assert mapping.salesforce_user_id == "005A"


def test_backfill_command_queues_the_same_audited_run_as_the_admin_action(world, capsys):
    call_command(
        "activity_backfill",
        organization=world.organization.slug,
        since="2026-01-15",
        requested_by=world.user.username,
    )

    run = ActivitySyncRun.objects.get(organization=world.organization)
    assert (run.trigger, run.requested_by) == (ActivitySyncRun.Trigger.BACKFILL, world.user)
    assert run.backfill_from == dt.datetime(2026, 1, 15, tzinfo=dt.UTC)
    assert f"Backfill run {run.pk} queued" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        ({"organization": "nope", "since": "2026-01-15"}, "No organisation"),
        ({"since": "15.01.2026"}, "YYYY-MM-DD"),
        ({"since": "2999-01-01"}, "in the past"),
    ],
)
def test_backfill_command_refuses_bad_input(world, arguments, message):
    with pytest.raises(CommandError, match=message):
        call_command("activity_backfill", **{"organization": world.organization.slug, **arguments})
    assert not ActivitySyncRun.objects.exists()
