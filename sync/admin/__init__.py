"""The webinar sync's admin screens, one module per area.

- `settings`: organisation settings, Zoom users (with their webinars' "Sync?") and exclusions;
  owners and managers change them, members view.
- `webinars`: webinars with their sessions, recent runs and the "Sync now" button.
- `audit`: runs, findings and per-email decisions, read-only for everyone.
- `ledger`: the attendance ledger, read-only, with the segment filters HubSpot lists use.
- `queue`: django-q2's task screens and the job ledger, superusers only.
"""

from sync.admin import audit, ledger, queue, settings, webinars

__all__ = ["audit", "ledger", "queue", "settings", "webinars"]
