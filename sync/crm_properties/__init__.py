"""CRM property sync for routing: HubSpot contact and company properties kept locally.

- `properties`: validating the chosen property names against HubSpot, and "Test sync".
- `runs`: starting runs (manual at most every two hours, nightly per organisation).
- `execution`: one run, incremental by last-modified date, storing records in bulk.
- `selectors`: what booking routing reads (`crm_snapshot_for_email`).
"""
