"""Settings services: switching things on (which stamps the not-retroactive start), the task
type choices read from Salesforce, and suggestions for the user mapping. Their vendor calls are
recorded with the contexts `activity-settings:<organisation pk>` and
`activity-user-mapping:<organisation pk>`."""

from __future__ import annotations

from django.utils import timezone

from accounts.models import Organization
from connectors.errors import ConnectionUnavailableError, ConnectorError
from connectors.installations import installation_get
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


def task_type_choices(organization_id: int) -> tuple[list[tuple[str, str]], str]:
    """("-- no task type --" + the org's active Task Type values, problem or "").

    Read from the Task describe of the connected org (values differ per org, apis.md §4.4).
    """
    try:
        salesforce = installation_get(organization_id=organization_id, provider="salesforce")
    except ConnectionUnavailableError as unavailable:
        return [NO_TASK_TYPE], f"{unavailable.message} Until then task types cannot be listed."
    try:
        client = salesforce.client(context=f"activity-settings:{organization_id}")
        values = client.task_picklist_values("Type")
    except (ConnectorError, KeyError) as error:
        return [NO_TASK_TYPE], f"Could not read Salesforce task types: {error}"
    return [NO_TASK_TYPE, *((value, value) for value in values)], ""


def user_mappings_suggest_for(organization: Organization) -> int:
    """Suggest Salesforce users for HubSpot owners by email (both must be connected).

    Raises ConnectionUnavailableError when one is not, ConnectorError when a vendor refuses.
    """
    hubspot = installation_get(organization_id=organization.pk, provider="hubspot")
    salesforce = installation_get(organization_id=organization.pk, provider="salesforce")
    context = f"activity-user-mapping:{organization.pk}"
    return user_mappings_suggest(
        organization=organization,
        hubspot=hubspot.client(context=context),
        salesforce=salesforce.client(context=context),
    )
