"""Bookings, the state of their CRM work, and the HubSpot owners cache used by routing."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models

from accounts.models import TenantModel
from jobs.models import Run
from meetings.models.meeting_types import MeetingType

#: PostgreSQL's exclusion constraint against overlapping confirmed bookings of one host
#: (migration 0002; SQLite has none and relies on its single writer lock).
NO_OVERLAP_CONSTRAINT = "booking_no_overlap"


class WorkState(models.TextChoices):
    PENDING = "pending", "Pending"
    DONE = "done", "Done"
    FAILED = "failed", "Failed"
    SKIPPED = "skipped", "Skipped"


class Booking(TenantModel):
    """A booked meeting. External work (Zoom, HubSpot) runs in the background; each part has a
    state and a reason, and every external id is stored here so that no retry creates twice."""

    class Status(models.TextChoices):
        CONFIRMED = "confirmed", "Confirmed"
        CANCELLED = "cancelled", "Cancelled"

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    meeting_type = models.ForeignKey(MeetingType, on_delete=models.PROTECT, related_name="+")
    host = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    start_at = models.DateTimeField()
    end_at = models.DateTimeField()
    invitee_email = models.EmailField()
    invitee_name = models.CharField(max_length=200)
    invitee_company = models.CharField(max_length=200, blank=True)
    answers = models.JSONField(default=dict, blank=True)
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.CONFIRMED)
    routing_reason = models.CharField(max_length=500, blank=True)
    reschedule_count = models.PositiveIntegerField(default=0)
    cancel_reason = models.CharField(max_length=500, blank=True)

    # --- CRM work ------------------------------------------------------------------------------
    zoom_state = models.CharField(
        max_length=8, choices=WorkState.choices, default=WorkState.SKIPPED
    )
    zoom_reason = models.CharField(max_length=500, blank=True)
    zoom_user_id = models.CharField(max_length=64, blank=True, help_text="The host's Zoom user.")
    zoom_meeting_id = models.CharField(max_length=32, blank=True)
    zoom_join_url = models.URLField(max_length=1000, blank=True)
    zoom_create_started_at = models.DateTimeField(
        null=True, blank=True, help_text="Set before the create call: a retry looks it up first."
    )
    hubspot_state = models.CharField(
        max_length=8, choices=WorkState.choices, default=WorkState.SKIPPED
    )
    hubspot_reason = models.CharField(max_length=500, blank=True)
    hubspot_contact_id = models.CharField(max_length=32, blank=True)
    hubspot_owner_id = models.CharField(max_length=32, blank=True)
    hubspot_meeting_id = models.CharField(max_length=32, blank=True)
    hubspot_create_started_at = models.DateTimeField(
        null=True, blank=True, help_text="Set before the create call: a retry looks it up first."
    )
    # Every change bumps the version; a run writes the parts' states only if nothing changed
    # meanwhile (meetings.crm). Claims, attempts and retries are the run's (BookingCrmRun).
    crm_version = models.PositiveIntegerField(default=0)

    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [
            # The overlap check reads a host's bookings that end after the start: the future ones.
            models.Index(fields=["organization", "host", "end_at"], name="booking_host_end"),
            # The round robin's "latest booking of each host".
            models.Index(
                fields=["organization", "host", "-created_at"], name="booking_host_created"
            ),
            models.Index(fields=["organization", "-created_at"], name="booking_org_created"),
        ]
        ordering = ["-start_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.meeting_type} with {self.invitee_email} at {self.start_at:%Y-%m-%d %H:%M}"

    @property
    def hubspot_outcome(self) -> str:
        if self.status == self.Status.CANCELLED:
            return "CANCELED"
        return "RESCHEDULED" if self.reschedule_count else "SCHEDULED"


class BookingCrmRun(Run):
    """One run of a booking's vendor work (its Zoom meeting, then its HubSpot meeting) through
    the background-run lifecycle: requested when the booking is made, changed, cancelled or
    retried from the admin."""

    booking = models.ForeignKey(Booking, on_delete=models.CASCADE, related_name="crm_runs")

    class Meta(Run.Meta):
        indexes = [models.Index(fields=["booking", "status"])]
        verbose_name = "booking CRM run"

    def __str__(self) -> str:
        return f"CRM work of booking {self.booking_id} ({self.get_status_display()})"


class HubSpotOwner(TenantModel):
    """HubSpot owners of the organisation's portal (id → email), refreshed from the owners list
    (admin host check, background booking work). Routing maps a contact's owner id to a host by
    this email without calling HubSpot during the request."""

    owner_id = models.CharField(max_length=32)
    email = models.EmailField()
    refreshed_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["organization", "owner_id"], name="one_owner_row")
        ]

    def __str__(self) -> str:
        return f"{self.owner_id} {self.email}"
