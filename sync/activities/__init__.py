"""Salesforce ↔ HubSpot tasks and activities (issue 7). See `execution` for a run's shape."""
