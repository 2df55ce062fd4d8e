"""The sync app's admin screens, defined by feature and imported here, where Django's admin
autodiscovery looks.

- `sync.webinars.admin`: webinar settings, Zoom users and exclusions; webinars with "Sync now";
  runs, findings and per-email decisions; the attendance ledger.
- `sync.workflow_action.admin`: HubSpot workflow-action executions, read-only.
- `sync.crm_properties.admin`: CRM property sync for routing (settings, runs, records).
- `sync.activities.admin`: Salesforce ↔ HubSpot tasks and activities.

The task-queue screens live with the lifecycle, in `jobs.admin`.
"""

from sync.activities import admin as activities
from sync.crm_properties import admin as crm_properties
from sync.webinars.admin import audit, ledger, settings, webinars
from sync.workflow_action import admin as workflow_action

__all__ = [
    "activities",
    "audit",
    "crm_properties",
    "ledger",
    "settings",
    "webinars",
    "workflow_action",
]
