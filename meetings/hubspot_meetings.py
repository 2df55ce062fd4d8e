"""A booking's HubSpot meeting object: contact by email (created when missing), then a meeting
associated with it (apis.md §2.7), updated on reschedule (RESCHEDULED) and cancel (CANCELED, kept).

Idempotency: the contact and meeting ids are stored as soon as HubSpot answers; before creating
the meeting the booking notes that a create is under way, and a retry that finds that note but
no id first searches HubSpot for the meeting by its `hs_meeting_external_url` (the booking's
API URL, unique per booking) and adopts it instead of creating another. HubSpot's search index
lags writes by a few seconds [PARTIAL], which is far shorter than the retry delay.
"""

from __future__ import annotations

from django.conf import settings
from django.utils import timezone
from django.utils.html import escape, linebreaks

from connectors.errors import NotFoundError, PermanentError
from connectors.hubspot.client_marketing import iso
from meetings.models import Booking, HubSpotOwner, WorkState
from meetings.rendering import booking_body, booking_title
from meetings.steps import StepResult, ids_save


def booking_external_url(booking: Booking) -> str:
    return f"{settings.PUBLIC_BASE_URL}/api/v1/bookings/{booking.public_id}/"


def hubspot_meeting_sync(booking: Booking, client) -> StepResult:
    """Bring the HubSpot meeting in line with the booking. Raises ConnectorError subclasses."""
    if not booking.hubspot_meeting_id and booking.hubspot_create_started_at:
        found = _meeting_find(booking, client)
        if found:
            ids_save(booking, hubspot_meeting_id=found)
    if not booking.hubspot_meeting_id and booking.status == Booking.Status.CANCELLED:
        return StepResult(WorkState.DONE, "cancelled before a HubSpot meeting was created")
    if not booking.hubspot_contact_id:
        ids_save(booking, hubspot_contact_id=_contact_id(booking, client))
    notes = []
    if not booking.hubspot_owner_id:
        owner = client.owner_by_email(booking.host.email)
        if owner is None:
            notes.append(f"host {booking.host.email} is not a HubSpot owner: meeting has no owner")
        else:
            _owner_remember(booking.organization_id, owner)
            ids_save(booking, hubspot_owner_id=str(owner["id"]))
    properties = meeting_properties(booking)
    if booking.hubspot_meeting_id:
        try:
            client.meeting_update(booking.hubspot_meeting_id, properties)
        except NotFoundError:
            return StepResult(
                WorkState.FAILED, "the HubSpot meeting was deleted in HubSpot; not re-created"
            )
        return StepResult(WorkState.DONE, "; ".join(notes))
    ids_save(booking, hubspot_create_started_at=timezone.now())
    meeting = client.meeting_create(properties, contact_ids=[booking.hubspot_contact_id])
    ids_save(booking, hubspot_meeting_id=str(meeting["id"]))
    return StepResult(WorkState.DONE, "; ".join(notes))


def meeting_properties(booking: Booking) -> dict[str, str]:
    properties = {
        "hs_timestamp": iso(booking.start_at),
        "hs_meeting_title": booking_title(booking)[:255],
        "hs_meeting_body": linebreaks(escape(booking_body(booking))),
        "hs_meeting_start_time": iso(booking.start_at),
        "hs_meeting_end_time": iso(booking.end_at),
        "hs_meeting_location": booking.zoom_join_url,
        "hs_meeting_external_url": booking_external_url(booking),
        "hs_meeting_outcome": booking.hubspot_outcome,
    }
    if booking.hubspot_owner_id:
        properties["hubspot_owner_id"] = booking.hubspot_owner_id
    return properties


def _contact_id(booking: Booking, client) -> str:
    contact = client.contact_find_by_email(booking.invitee_email)
    if contact is not None:
        return str(contact["id"])
    first, _, last = booking.invitee_name.strip().partition(" ")
    properties = {"email": booking.invitee_email, "firstname": first, "lastname": last}
    if booking.invitee_company:
        properties["company"] = booking.invitee_company
    try:
        return str(client.contact_create(properties)["id"])
    except PermanentError as error:
        if error.status != 409:  # 409: created meanwhile (another booking of the same person)
            raise
        contact = client.contact_find_by_email(booking.invitee_email)
        if contact is None:
            raise
        return str(contact["id"])


def _meeting_find(booking: Booking, client) -> str | None:
    filters = [
        {
            "propertyName": "hs_meeting_external_url",
            "operator": "EQ",
            "value": booking_external_url(booking),
        }
    ]
    found = client.search("meetings", filter_groups=[{"filters": filters}], limit=1)
    for meeting in found:
        return str(meeting["id"])
    return None


def _owner_remember(organization_id: int, owner: dict) -> None:
    HubSpotOwner.objects.update_or_create(
        organization_id=organization_id,
        owner_id=str(owner["id"]),
        defaults={"email": owner.get("email") or ""},
    )


def hubspot_owners_remember(organization_id: int, owners: list[dict]) -> None:
    """Refresh the owners cache from a full owners list (routing reads it)."""
    for owner in owners:
        if owner.get("email"):
            _owner_remember(organization_id, owner)
