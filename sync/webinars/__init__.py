"""Zoom webinars → HubSpot: reading Zoom into the ledger, computing, writing HubSpot."""
