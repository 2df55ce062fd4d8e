"""Our contact property group and properties in the portal: created where HubSpot lacks them,
and checked at most once an hour per connection and process (Django's cache) rather than on
every webinar run."""

from __future__ import annotations

import hashlib
import json

from django.core.cache import cache

from connectors.hubspot.client import HubSpotClient
from sync.webinars.rollups import PROPERTY_DEFINITIONS, PROPERTY_GROUP

PROPERTIES_CHECK_SECONDS = 3600
DEFINITIONS_DIGEST = hashlib.sha256(
    json.dumps([PROPERTY_GROUP, *PROPERTY_DEFINITIONS], sort_keys=True).encode()
).hexdigest()[:12]


def hubspot_properties_ensure(client: HubSpotClient, *, connection=None) -> None:
    """Create our property group and contact properties where HubSpot lacks them.

    With the `connection`, at most once per PROPERTIES_CHECK_SECONDS per process for its grant:
    a night of webinar runs checks them once, not five calls for each webinar.
    """
    key = _properties_key(connection) if connection is not None else None
    if key and cache.get(key):
        return
    client.property_group_ensure("contacts", **PROPERTY_GROUP)
    for definition in PROPERTY_DEFINITIONS:
        client.property_ensure("contacts", {**definition, "groupName": PROPERTY_GROUP["name"]})
    if key:
        cache.set(key, True, PROPERTIES_CHECK_SECONDS)


def hubspot_properties_recheck(connection) -> None:
    """Check the properties again next time (HubSpot refused a contact write: one may have
    been deleted since the last check)."""
    cache.delete(_properties_key(connection))


def _properties_key(connection) -> str:
    # Keyed to the grant (reconnecting, maybe to another portal, checks afresh) and to what we
    # define (a release that adds a property checks at once).
    connected = int(connection.connected_at.timestamp()) if connection.connected_at else 0
    return f"sync:hubspot-properties:{connection.pk}:{connected}:{DEFINITIONS_DIGEST}"
