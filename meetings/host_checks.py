"""Will a host's bookings work? Shown in the admin before it bites.

A Zoom link needs the host's email to be a user of the connected Zoom account; the HubSpot
meeting's owner is the owner with the host's email. Per organisation, one Zoom users list and
one HubSpot owners list answer for every host; they are cached for CACHE_SECONDS (and the owners
refresh the cache routing uses). Their calls are recorded with the context
`admin:host-check:<meeting type pk>`.
"""

from __future__ import annotations

from django.core.cache import cache

from connectors.errors import ConnectionUnavailableError, ConnectorError
from connectors.installations import Installation, installation_get
from meetings.hubspot_meetings import hubspot_owners_remember
from meetings.models import MeetingType

CACHE_SECONDS = 300


def _emails(meeting_type: MeetingType, provider: str) -> set[str] | str:
    """Emails known at the vendor, or a sentence saying why they could not be read."""
    try:
        installation = installation_get(
            organization_id=meeting_type.organization_id, provider=provider
        )
    except ConnectionUnavailableError as unavailable:
        return unavailable.message
    return _vendor_emails(installation, context=f"admin:host-check:{meeting_type.pk}")


def _vendor_emails(installation: Installation, *, context: str) -> set[str] | str:
    connection = installation.connection
    # Keyed to the grant: reconnecting (maybe another account) starts afresh.
    connected = int(connection.connected_at.timestamp()) if connection.connected_at else 0
    key = f"meetings:host-check:{connection.provider}:{connection.pk}:{connected}"
    cached = cache.get(key)
    if cached is not None:
        return cached
    try:
        client = installation.client(context=context)
        if connection.provider == "zoom":
            rows = list(client.users_list())
        else:
            rows = client.owners()
            hubspot_owners_remember(connection.organization_id, rows)
    except ConnectorError as error:
        return f"{installation.provider.name} could not be checked ({error.message[:120]})."
    emails = {str(row.get("email") or "").casefold() for row in rows} - {""}
    cache.set(key, emails, CACHE_SECONDS)
    return emails


def meeting_type_warnings(meeting_type: MeetingType) -> list[str]:
    """Sentences about hosts whose bookings would lack a Zoom link or a HubSpot owner."""
    if not meeting_type.pk:
        return []
    wants_zoom, wants_hubspot = meeting_type.uses_zoom, meeting_type.sync_to_hubspot
    if not (wants_zoom or wants_hubspot):
        return []
    hosts = list(meeting_type.hosts.all())
    warnings = []
    checks = [
        ("zoom", wants_zoom, "is not a user of the connected Zoom account: no Zoom link"),
        ("hubspot", wants_hubspot, "is not a HubSpot owner: meetings get no owner"),
    ]
    for provider, wanted, problem in checks:
        if not wanted:
            continue
        emails = _emails(meeting_type, provider)
        if isinstance(emails, str):
            warnings.append(emails)
            continue
        for host in hosts:
            if host.email.casefold() not in emails:
                warnings.append(f"{host.email or host.get_username()} {problem}.")
    if not hosts:
        warnings.append("No hosts: nobody can be booked.")
    return warnings
