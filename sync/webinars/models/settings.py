"""Webinar sync settings (per organisation, per Zoom user, exclusions).

Every setting hangs off the organisation (never off the Connection row), so disconnecting and
reconnecting Zoom or HubSpot leaves them untouched.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import models

from accounts.models import Organization, TenantModel
from sync.webinars.exclusions import domain_normalise, email_normalise


class RecordingsMode(models.TextChoices):
    NOBODY = "nobody", "For nobody"
    SELECTED = "selected", "For selected Zoom users"
    ALL = "all", "For all Zoom users"


class WebinarSyncSettings(TenantModel):
    organization = models.OneToOneField(
        Organization, on_delete=models.CASCADE, related_name="webinar_sync_settings"
    )
    sync_enabled = models.BooleanField(
        "Sync webinar data",
        default=False,
        help_text="Registrants and attendees of synced webinars become HubSpot contacts, with "
        "marketing events. Off: nothing is synced, and every run's audit log says so.",
    )
    recordings_mode = models.CharField(
        "Sync webinar recordings and transcripts",
        max_length=16,
        choices=RecordingsMode.choices,
        default=RecordingsMode.NOBODY,
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "webinar sync settings"
        verbose_name_plural = "webinar sync settings"

    def __str__(self) -> str:
        return f"Webinar sync for {self.organization}"


class ZoomUser(TenantModel):
    """A user of the connected Zoom account, with their webinar sync preferences."""

    zoom_user_id = models.CharField(max_length=64)
    email = models.EmailField(blank=True)
    display_name = models.CharField(max_length=200, blank=True)
    sync_new_webinars = models.BooleanField(
        "Sync data from newly scheduled webinars by default",
        default=True,
        help_text="Webinars this user schedules from now on start with “Sync?” ticked.",
    )
    sync_recordings = models.BooleanField(
        "Sync this user's recordings and transcripts",
        default=False,
        help_text="Used when recordings are synced “for selected Zoom users”.",
    )
    active = models.BooleanField(default=True, help_text="Still a user of the Zoom account.")
    last_seen_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "zoom_user_id"], name="one_zoom_user_per_org"
            )
        ]
        ordering = ["email"]
        verbose_name = "Zoom user"

    def __str__(self) -> str:
        return self.display_name or self.email or self.zoom_user_id


class ContactExclusion(TenantModel):
    """An email or a whole domain that is never created as a HubSpot contact."""

    class Kind(models.TextChoices):
        EMAIL = "email", "Email address"
        DOMAIN = "domain", "Domain"

    kind = models.CharField(max_length=8, choices=Kind.choices)
    value = models.CharField(max_length=254, help_text="jane@example.com or example.com")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "kind", "value"], name="one_contact_exclusion_per_value"
            )
        ]
        ordering = ["kind", "value"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.value}"

    def clean(self) -> None:
        try:
            if self.kind == self.Kind.EMAIL:
                self.value = email_normalise(self.value)
            else:
                self.value = domain_normalise(self.value)
        except ValueError as exc:
            raise ValidationError({"value": str(exc)}) from None


class RecordingExclusion(TenantModel):
    """Attendees from this domain never get recording and transcript links."""

    domain = models.CharField(max_length=253, help_text="example.com")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "domain"], name="one_recording_exclusion_per_domain"
            )
        ]
        ordering = ["domain"]

    def __str__(self) -> str:
        return self.domain

    def clean(self) -> None:
        try:
            self.domain = domain_normalise(self.domain)
        except ValueError as exc:
            raise ValidationError({"domain": str(exc)}) from None
