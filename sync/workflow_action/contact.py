"""Setting the contact's "Last registered Zoom webinar" after a workflow registration.

HubSpot's help (seed 002, "Viimeksi rekisteröity Zoom-verkkoseminaari"): the property holds the
URL of the webinar the contact registered for most recently, set when added by a workflow. We
write the webinar's join URL, the same value the webinar sync's rollup computes from the ledger,
so the two never disagree; if this write fails, that sync (requested with the registration)
sets it.
"""

from __future__ import annotations

import logging

from connectors.errors import ConnectorError, PermanentError
from sync.webinars.hubspot_properties import hubspot_properties_ensure
from sync.webinars.rollups import PROP_LAST_REGISTERED

logger = logging.getLogger(__name__)


def last_registered_write(client, *, contact_id: str, email: str, url: str) -> str:
    """Set the property on the contact with the HubSpot `client`; returns "" or why it was not
    set (never raises for vendor errors: the registration itself has succeeded)."""
    if not url:
        return "Zoom gave no join URL for the webinar"
    try:
        if not contact_id:
            found = client.contact_find_by_email(email)
            if found is None:
                return f"No HubSpot contact has the email {email}"
            contact_id = str(found["id"])
        _update(client, contact_id, {PROP_LAST_REGISTERED: url})
    except ConnectorError as error:
        logger.warning("Workflow action: last registered webinar not set: %s", error)
        return f"HubSpot: {error}"[:2000]
    return ""


def _update(client, contact_id: str, properties: dict[str, str]) -> None:
    try:
        client.contact_update(contact_id, properties)
    except PermanentError as error:
        if "PROPERTY_DOESNT_EXIST" not in error.message:
            raise
        # First use in this portal, before any webinar sync created our properties.
        hubspot_properties_ensure(client)
        client.contact_update(contact_id, properties)
