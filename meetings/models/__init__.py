"""Meetings: meeting types and their routing rules, bookings, and the API's own rows."""

from meetings.models.api import IdempotencyRecord, OrganizationApiToken
from meetings.models.bookings import Booking, BookingCrmRun, HubSpotOwner, WorkState
from meetings.models.meeting_types import (
    TEMPLATE_PLACEHOLDERS,
    MeetingType,
    RoutingRule,
)

__all__ = [
    "TEMPLATE_PLACEHOLDERS",
    "Booking",
    "BookingCrmRun",
    "HubSpotOwner",
    "IdempotencyRecord",
    "MeetingType",
    "OrganizationApiToken",
    "RoutingRule",
    "WorkState",
]
