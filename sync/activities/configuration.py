"""Settings services: switching things on (which stamps the not-retroactive start), the task
type choices read from Salesforce, and suggestions for the user mapping."""

from __future__ import annotations

from django.utils import timezone

from accounts.models import Organization
from connectors.errors import ConnectorError
from connectors.models import Connection, ConnectionStatus
from connectors.services import connection_client
from sync.activities.models import ActivityType
from sync.activities.owners import user_mappings_suggest
from sync.models import ActivitySyncSettings, ActivityTypeSetting

NO_TASK_TYPE = ("", "-- no task type --")


def activity_settings_ensure(organization: Organization) -> ActivitySyncSettings:
    """The organisation's settings row with one row per activity type (all off)."""
    row, _ = ActivitySyncSettings.objects.get_or_create(organization=organization)
    for value in ActivityType.values:
        ActivityTypeSetting.objects.get_or_create(
            organization=organization, sync_settings=row, activity_type=value
        )
    return row


def activity_settings_stamp(row: ActivitySyncSettings, *, was_on: bool, now=None) -> None:
    """Switching Salesforce task sync on starts it now: the time is the first cursor."""
    now = now or timezone.now()
    if row.salesforce_task_sync and not was_on:
        row.salesforce_task_sync_enabled_at = now
        row.salesforce_cursor, row.salesforce_cursor_ids = now, []


def activity_type_stamp(setting: ActivityTypeSetting, *, was_on: bool, now=None) -> None:
    """Enabling a type syncs activities created from now on; its cursor starts now."""
    now = now or timezone.now()
    if setting.enabled and not was_on:
        setting.enabled_at = now
        setting.cursor_ms, setting.cursor_ids = int(now.timestamp() * 1000), []


def activity_settings_update(
    organization: Organization,
    *,
    salesforce_task_sync: bool | None = None,
    types: dict[str, tuple[bool, str]] | None = None,
    now=None,
) -> ActivitySyncSettings:
    """Change settings the way the admin does (tests, commands): stamps what is switched on."""
    row = activity_settings_ensure(organization)
    if salesforce_task_sync is not None:
        was_on = row.salesforce_task_sync
        row.salesforce_task_sync = salesforce_task_sync
        activity_settings_stamp(row, was_on=was_on, now=now)
        row.save()
    for activity_type, (enabled, task_type) in (types or {}).items():
        setting = row.type_settings.get(activity_type=activity_type)
        was_on = setting.enabled
        setting.enabled, setting.salesforce_task_type = enabled, task_type
        activity_type_stamp(setting, was_on=was_on, now=now)
        setting.save()
    return row


def _active_connection(organization_id: int, provider: str) -> Connection | None:
    return Connection.objects.filter(
        organization_id=organization_id, provider=provider, status=ConnectionStatus.ACTIVE
    ).first()


def task_type_choices(organization_id: int) -> tuple[list[tuple[str, str]], str]:
    """("-- no task type --" + the org's active Task Type values, problem or "").

    Read from the Task describe of the connected org (values differ per org, apis.md §4.4).
    """
    connection = _active_connection(organization_id, "salesforce")
    if connection is None:
        return [NO_TASK_TYPE], "Salesforce is not connected: task types cannot be listed."
    try:
        client = connection_client(connection, context="activity-settings")
        values = client.task_picklist_values("Type")
    except (ConnectorError, KeyError) as error:
        return [NO_TASK_TYPE], f"Could not read Salesforce task types: {error}"
    return [NO_TASK_TYPE, *((value, value) for value in values)], ""


def user_mappings_suggest_for(organization: Organization) -> int:
    """Suggest Salesforce users for HubSpot owners by email (both must be connected)."""
    hubspot = _active_connection(organization.pk, "hubspot")
    salesforce = _active_connection(organization.pk, "salesforce")
    if hubspot is None or salesforce is None:
        raise ConnectorError("Connect both HubSpot and Salesforce first.")
    return user_mappings_suggest(
        organization=organization,
        hubspot=connection_client(hubspot, context="activity-user-mapping"),
        salesforce=connection_client(salesforce, context="activity-user-mapping"),
    )
