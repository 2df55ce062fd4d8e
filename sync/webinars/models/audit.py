"""The audit: every run, what it found, and the latest decision per email.

A staff user answers "why is jane@example.com not in HubSpot?" from `ContactSyncState` (the
latest decision and its reason) and the findings of the runs that touched her.
"""

from __future__ import annotations

from django.db import models

from accounts.models import TenantModel
from jobs.models import Run
from sync.webinars.models.ledger import Webinar


class SyncRun(Run):
    """One sync of one webinar: why it ran, what it did, what it found (jobs.models.Run)."""

    webinar = models.ForeignKey(Webinar, on_delete=models.CASCADE, related_name="runs")
    timeline_mode = models.CharField(max_length=32, blank=True)
    registrants = models.PositiveIntegerField(default=0)
    attendees = models.PositiveIntegerField(default=0)
    contacts_created = models.PositiveIntegerField(default=0)
    contacts_updated = models.PositiveIntegerField(default=0)
    contacts_skipped = models.PositiveIntegerField(default=0)
    contacts_failed = models.PositiveIntegerField(default=0)
    api_calls = models.PositiveIntegerField(default=0)

    class Meta(Run.Meta):
        indexes = [models.Index(fields=["webinar", "status"])]
        verbose_name = "webinar sync run"

    def __str__(self) -> str:
        return f"{self.webinar} — {self.get_trigger_display()} ({self.get_status_display()})"


class FindingCategory(models.TextChoices):
    SYNC_DISABLED_GLOBAL = "sync_disabled_global", "Sync disabled for the organisation"
    SYNC_DISABLED_USER = "sync_disabled_user", "Sync disabled for the Zoom user"
    SYNC_DISABLED_WEBINAR = "sync_disabled_webinar", "Sync disabled for the webinar"
    WEBINAR_UNSUPPORTED = "webinar_unsupported", "Webinar not supported (Zoom Events)"
    # Runs since the lifecycle record this as the run's problem; kept for older runs' findings.
    CONNECTION_NEEDS_REAUTH = "connection_needs_reauth", "Connection needs reconnecting"
    RECORDING_NOT_SYNCED = "recording_not_synced", "Recording or transcript not synced"
    PARTICIPANTS_NOT_SYNCED = "participants_not_synced", "Some participants not synced"
    DATA_NOT_SYNCED = "data_not_synced", "Some data not synced"
    EXCLUDED_HUBSPOT_USER = "excluded_hubspot_user", "Excluded: HubSpot user"
    EXCLUDED_EMAIL = "excluded_email", "Excluded: email address"
    EXCLUDED_DOMAIN = "excluded_domain", "Excluded: domain"
    INVALID_EMAIL = "invalid_email", "Excluded: invalid email"
    SECONDARY_EMAIL = "secondary_email", "Excluded: secondary email of a contact"
    CONTACT_DELETED = "contact_deleted", "Not recreated: contact deleted in HubSpot"
    ERROR_TRANSCRIPT = "error_transcript", "Error: transcript not found"
    ERROR_TIMELINE = "error_timeline", "Error: timeline event failed"
    ERROR_PROPERTIES = "error_properties", "Error: contact properties not updated"
    ERROR_NOT_FOUND = "error_not_found", "Error: data not found in the Zoom account"
    ERROR_HUBSPOT = "error_hubspot", "Error: HubSpot refused the data"


class SyncFinding(TenantModel):
    """A group of people or items a run could not sync the normal way, with the reason."""

    run = models.ForeignKey(SyncRun, on_delete=models.CASCADE, related_name="findings")
    category = models.CharField(max_length=32, choices=FindingCategory.choices)
    message = models.TextField()
    fix_hint = models.TextField(blank=True)
    emails = models.JSONField(default=list, blank=True)
    count = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["run", "category"]

    def __str__(self) -> str:
        return f"{self.get_category_display()} ({self.count})"


class ContactSyncState(TenantModel):
    """The latest decision about one email: synced (with the HubSpot id) or why not."""

    class Outcome(models.TextChoices):
        SYNCED = "synced", "Synced"
        EXCLUDED = "excluded", "Excluded"
        SKIPPED = "skipped", "Skipped"
        FAILED = "failed", "Failed"

    email = models.EmailField(max_length=254)
    hubspot_contact_id = models.CharField(max_length=32, blank=True)
    outcome = models.CharField(max_length=16, choices=Outcome.choices)
    reason = models.CharField(max_length=32, choices=FindingCategory.choices, blank=True)
    detail = models.TextField(blank=True)
    # Hash of the contact properties last written, so an unchanged re-run writes nothing.
    properties_hash = models.CharField(max_length=64, blank=True, editable=False)
    last_run = models.ForeignKey(
        SyncRun, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "email"], name="one_contact_state_per_email"
            )
        ]
        ordering = ["email"]
        verbose_name = "contact sync state"

    def __str__(self) -> str:
        return f"{self.email}: {self.get_outcome_display()}"
