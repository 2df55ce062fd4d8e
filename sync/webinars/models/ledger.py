"""The attendance ledger: our own record of who registered for and attended which webinar.

Everything sent to HubSpot is computed from these rows by pure functions
(`sync.webinars.rollups`), so a re-sync, a changed exclusion or a backfill recomputes the same
values and never double counts. Zoom keeps participant reports for about six months; the ledger
keeps them for as long as the organisation does.
"""

from __future__ import annotations

from django.db import models

from accounts.models import TenantModel
from sync.webinars.models.settings import ZoomUser


class Webinar(TenantModel):
    """A Zoom webinar of the connected account, with its per-webinar "Sync?" toggle."""

    class Status(models.TextChoices):
        UPCOMING = "upcoming", "Upcoming"
        ENDED = "ended", "Ended"
        CANCELLED = "cancelled", "Cancelled (deleted in Zoom)"

    zoom_webinar_id = models.CharField("Zoom webinar ID", max_length=32)
    host = models.ForeignKey(
        ZoomUser, null=True, blank=True, on_delete=models.SET_NULL, related_name="webinars"
    )
    topic = models.CharField(max_length=300, blank=True)
    zoom_type = models.PositiveSmallIntegerField(default=5, help_text="5 single, 6/9 recurring")
    start_time = models.DateTimeField(null=True, blank=True)
    duration_minutes = models.PositiveIntegerField(default=0)
    timezone = models.CharField(max_length=64, blank=True)
    join_url = models.URLField(max_length=500, blank=True)
    registration_url = models.URLField(max_length=500, blank=True)
    registration_required = models.BooleanField(default=True)
    is_zoom_events = models.BooleanField(
        default=False, help_text="Created as part of Zoom Events: not supported, never synced."
    )
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.UPCOMING)
    sync_enabled = models.BooleanField(
        "Sync?",
        default=True,
        help_text="Set from the host's “newly scheduled webinars” default when first seen.",
    )
    # What HubSpot was last sent for the marketing event (skip identical rewrites).
    marketing_event_hash = models.CharField(max_length=64, blank=True, editable=False)
    discovered_at = models.DateTimeField(auto_now_add=True)
    last_synced_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "zoom_webinar_id"], name="one_webinar_per_org"
            )
        ]
        ordering = ["-start_time"]

    def __str__(self) -> str:
        return f"{self.topic or 'Webinar'} ({self.zoom_webinar_id})"

    @property
    def is_recurring(self) -> bool:
        return self.zoom_type in (6, 9)


class WebinarSession(TenantModel):
    """One occurrence of a webinar (a single webinar has one): its time and its report state."""

    webinar = models.ForeignKey(Webinar, on_delete=models.CASCADE, related_name="sessions")
    occurrence_key = models.CharField(
        max_length=64, blank=True, help_text="Zoom occurrence_id; empty for a single webinar."
    )
    instance_uuid = models.CharField(max_length=64, blank=True)
    start_time = models.DateTimeField(null=True, blank=True)
    duration_minutes = models.PositiveIntegerField(default=0)
    ended = models.BooleanField(default=False)
    report_fetched_at = models.DateTimeField(null=True, blank=True)
    recording_share_url = models.URLField(max_length=500, blank=True)
    recording_passcode = models.CharField(max_length=64, blank=True)
    transcript_url = models.URLField(max_length=500, blank=True)
    recording_state = models.CharField(max_length=32, blank=True)
    recording_checked_at = models.DateTimeField(null=True, blank=True)

    tenant_lookup = "organization"

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["webinar", "occurrence_key"], name="one_session_per_occurrence"
            )
        ]
        ordering = ["webinar", "start_time"]

    def __str__(self) -> str:
        when = f"{self.start_time:%Y-%m-%d %H:%M}" if self.start_time else "unscheduled"
        return f"{self.webinar} @ {when}"


class Attendance(TenantModel):
    """One person's registration and attendance for one session of one webinar.

    Keyed by (webinar, occurrence, email). `intervals` are the raw [join, leave] pairs of the
    participants report (ISO strings, as Zoom sends them); `minutes_attended` is derived from them
    with overlapping intervals merged, so a re-fetched report replaces rather than adds.
    """

    class RegistrationStatus(models.TextChoices):
        NONE = "", "Not registered"
        APPROVED = "approved", "Approved"
        PENDING = "pending", "Pending approval"
        DENIED = "denied", "Denied"
        CANCELLED = "cancelled", "Cancelled"

    class Source(models.TextChoices):
        REGISTRATION = "registration", "Registration"
        REPORT = "report", "Participants report"
        BOTH = "both", "Registration and report"
        WORKFLOW = "workflow", "HubSpot workflow action"

    webinar = models.ForeignKey(Webinar, on_delete=models.CASCADE, related_name="attendances")
    session = models.ForeignKey(
        WebinarSession, on_delete=models.CASCADE, related_name="attendances"
    )
    email = models.EmailField(max_length=254, db_index=True)
    first_name = models.CharField(max_length=200, blank=True)
    last_name = models.CharField(max_length=200, blank=True)
    registration_status = models.CharField(
        max_length=16, choices=RegistrationStatus.choices, blank=True
    )
    registered_at = models.DateTimeField(null=True, blank=True)
    zoom_registrant_id = models.CharField(max_length=64, blank=True)
    join_url = models.URLField(max_length=1000, blank=True)
    intervals = models.JSONField(default=list, blank=True)
    first_join_at = models.DateTimeField(null=True, blank=True)
    last_leave_at = models.DateTimeField(null=True, blank=True)
    minutes_attended = models.PositiveIntegerField(default=0)
    webinar_minutes = models.PositiveIntegerField(default=0)
    attendance_percent = models.DecimalField(max_digits=5, decimal_places=1, default=0)
    source = models.CharField(max_length=16, choices=Source.choices)
    # What HubSpot was last sent for this row's marketing-event states (skip identical rewrites).
    hubspot_hash = models.CharField(max_length=64, blank=True, editable=False)
    # Markers of the activities already written to the contact in HubSpot, by kind
    # ("registration", "attendance", "recording"): never written twice (sync.webinars.timeline).
    activity_hashes = models.JSONField(default=dict, blank=True, editable=False)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["session", "email"], name="one_attendance_per_email")
        ]
        indexes = [models.Index(fields=["organization", "email"])]
        ordering = ["webinar", "email"]

    def __str__(self) -> str:
        return f"{self.email} — {self.webinar}"

    @property
    def attended(self) -> bool:
        return bool(self.intervals)
