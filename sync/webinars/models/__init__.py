"""The webinar sync's models: settings, the attendance ledger, the audit, Zoom webhooks."""
