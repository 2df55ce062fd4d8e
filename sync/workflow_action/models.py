"""HubSpot workflow custom actions: one row per execution (callbackId), its claim and outcome.

The row is both the "take each callbackId once" lock and the audit of the action: who (the
contact's email and HubSpot id), which webinar, and what happened (state, reason, the output
fields HubSpot was answered with). A replay of the same callbackId is answered from it.
"""

from __future__ import annotations

from django.db import models
from django.utils import timezone

from accounts.models import TenantModel
from sync.webinars.models.ledger import Webinar


class WorkflowActionExecution(TenantModel):
    """One execution of "Add contact to Zoom webinar" in a HubSpot workflow."""

    class State(models.TextChoices):
        PROCESSING = "processing", "Processing"
        RETRY = "retry", "Retry requested (answered 429)"
        SUCCEEDED = "succeeded", "Registered"
        FAILED = "failed", "Failed (workflow continues)"

    class Reason(models.TextChoices):
        NONE = "", "—"
        UNKNOWN_PORTAL = "unknown_portal", "HubSpot account not connected"
        INVALID_WEBINAR_ID = "invalid_webinar_id", "Invalid webinar ID"
        MISSING_EMAIL = "missing_email", "Contact has no email"
        INVALID_EMAIL = "invalid_email", "Contact email is invalid"
        MISSING_NAME = "missing_name", "Contact lacks a name Zoom requires"
        ZOOM_NOT_CONNECTED = "zoom_not_connected", "Zoom not connected"
        ZOOM_REAUTH = "zoom_reauth", "Zoom connection needs reconnecting"
        WEBINAR_NOT_FOUND = "webinar_not_found", "Webinar not found"
        OTHER_ACCOUNT = "other_account", "Webinar of another Zoom account"
        ZOOM_EVENTS = "zoom_events", "Zoom Events webinar (unsupported)"
        REGISTRATION_NOT_ENABLED = "registration_not_enabled", "Registration not enabled"
        HOST_CANNOT_REGISTER = "host_cannot_register", "Host or connected user"
        WEBINAR_OVER = "webinar_over", "Webinar is over"
        REQUIRED_FIELDS = "required_fields", "Registration form requires other fields"
        WEBINAR_FULL = "webinar_full", "Webinar is full"
        ZOOM_REFUSED = "zoom_refused", "Zoom refused the registration"
        CALLBACK_CONFLICT = "callback_conflict", "callbackId used by another organisation"

    callback_id = models.CharField("HubSpot callbackId", max_length=128, unique=True)
    portal_id = models.CharField("HubSpot portal", max_length=32)
    workflow_id = models.CharField(max_length=32, blank=True)
    hubspot_object_id = models.CharField("HubSpot contact id", max_length=32, blank=True)
    email = models.CharField(max_length=254, blank=True, db_index=True)
    webinar_input = models.CharField(
        max_length=200, blank=True, help_text="The webinar ID exactly as the workflow sent it."
    )
    zoom_webinar_id = models.CharField("Zoom webinar ID", max_length=32, blank=True)
    webinar = models.ForeignKey(
        Webinar,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="workflow_actions",
    )
    state = models.CharField(max_length=16, choices=State.choices, default=State.PROCESSING)
    reason = models.CharField(max_length=32, choices=Reason.choices, blank=True)
    message = models.TextField(blank=True)
    output_fields = models.JSONField(
        default=dict, blank=True, help_text="What HubSpot was answered (replays get the same)."
    )
    registration_status = models.CharField(max_length=16, blank=True)
    zoom_registrant_id = models.CharField(max_length=64, blank=True)
    join_url = models.URLField(max_length=1000, blank=True)
    property_error = models.TextField(
        blank=True, help_text="Why the contact's “Last registered Zoom webinar” was not set."
    )
    attempts = models.PositiveSmallIntegerField(default=1)
    replays = models.PositiveIntegerField(
        default=0, help_text="Repeated deliveries answered from the stored outcome."
    )
    received_at = models.DateTimeField(auto_now_add=True)
    claimed_at = models.DateTimeField(default=timezone.now)
    completed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-received_at", "-pk"]
        indexes = [models.Index(fields=["organization", "state"])]
        verbose_name = "workflow action execution"

    def __str__(self) -> str:
        target = self.zoom_webinar_id or self.webinar_input or "?"
        return f"{self.email or 'contact ' + self.hubspot_object_id} → {target}"

    @property
    def is_final(self) -> bool:
        return self.state in (self.State.SUCCEEDED, self.State.FAILED)
