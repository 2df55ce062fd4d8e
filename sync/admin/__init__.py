"""The webinar sync's admin screens, one module per area.

- `settings`: organisation settings, Zoom users (with their webinars' "Sync?") and exclusions;
  owners and managers change them, members view.
- `webinars`: webinars with their sessions, recent runs and the "Sync now" button.
- `audit`: runs, findings and per-email decisions, read-only for everyone.
- `ledger`: the attendance ledger, read-only, with the segment filters HubSpot lists use.
- `queue`: django-q2's task screens and the job ledger, superusers only.
- `actions`: HubSpot workflow-action executions (who, which webinar, outcome), read-only.
- `crm`: CRM property sync for routing: settings with "Test sync" and "Sync with HubSpot",
  runs and synced records (read-only).
- `activities`: Salesforce ↔ HubSpot tasks and activities: settings with per-type task types,
  user mapping, links, runs and findings (read-only).
"""

from sync.admin import actions, activities, audit, crm, ledger, queue, settings, webinars

__all__ = ["actions", "activities", "audit", "crm", "ledger", "queue", "settings", "webinars"]
