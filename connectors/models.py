"""Connections to vendors, and the records the one HTTP layer keeps."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import models
from django.utils import timezone

from accounts.models import Organization, TenantModel
from connectors.crypto import token_decrypt, token_encrypt
from connectors.registry import provider_choices


class ConnectionStatus(models.TextChoices):
    ACTIVE = "active", "Active"
    NEEDS_REAUTH = "needs_reauth", "Needs reconnecting"
    DISCONNECTED = "disconnected", "Disconnected"
    ERROR = "error", "Error"


class Connection(TenantModel):
    """One organisation's OAuth grant at one provider (one row per organisation and provider).

    The row survives a disconnect (tokens wiped, status `disconnected`) so that everything keyed to
    it or to the organisation resumes on reconnect. Tokens are stored encrypted and only exposed
    through the `access_token` / `refresh_token` properties; they never appear in `repr`, the
    admin, or serialised dumps (those see ciphertext).
    """

    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="connections"
    )
    provider = models.CharField(max_length=32, choices=provider_choices)
    status = models.CharField(
        max_length=16, choices=ConnectionStatus.choices, default=ConnectionStatus.DISCONNECTED
    )
    external_account_id = models.CharField(
        max_length=128,
        blank=True,
        help_text="Zoom account id, HubSpot portal (hub) id, Salesforce organisation id.",
    )
    external_user_id = models.CharField(max_length=128, blank=True)
    display_name = models.CharField(max_length=255, blank=True)
    scopes = models.JSONField(default=list, blank=True)
    config = models.JSONField(
        default=dict, blank=True, help_text="Vendor details such as Salesforce's instance_url."
    )
    access_token_ciphertext = models.TextField(blank=True, editable=False)
    refresh_token_ciphertext = models.TextField(blank=True, editable=False)
    expires_at = models.DateTimeField(null=True, blank=True)
    connected_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    connected_at = models.DateTimeField(null=True, blank=True)
    last_refreshed_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    last_error_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "provider"], name="one_connection_per_org_and_provider"
            )
        ]
        ordering = ["organization__name", "provider"]

    def __str__(self) -> str:
        label = self.display_name or self.external_account_id or "not connected"
        return f"{self.get_provider_display()} — {label}"

    def __repr__(self) -> str:
        return (
            f"<Connection {self.pk} org={self.organization_id} provider={self.provider} "
            f"status={self.status}>"
        )

    @property
    def access_token(self) -> str:
        return token_decrypt(self.access_token_ciphertext)

    @access_token.setter
    def access_token(self, value: str) -> None:
        self.access_token_ciphertext = token_encrypt(value)

    @property
    def refresh_token(self) -> str:
        return token_decrypt(self.refresh_token_ciphertext)

    @refresh_token.setter
    def refresh_token(self, value: str) -> None:
        self.refresh_token_ciphertext = token_encrypt(value)

    @property
    def is_active(self) -> bool:
        return self.status == ConnectionStatus.ACTIVE

    def expires_within(self, margin: dt.timedelta) -> bool:
        return self.expires_at is not None and self.expires_at <= timezone.now() + margin


class ConnectionEvent(TenantModel):
    """The audit trail of a connection: connected, refreshed, failed, disconnected, and why."""

    class Kind(models.TextChoices):
        CONNECTED = "connected", "Connected"
        RECONNECTED = "reconnected", "Reconnected"
        CONNECT_FAILED = "connect_failed", "Connect failed"
        CANCELLED = "cancelled", "Connect cancelled"
        REFRESHED = "refreshed", "Token refreshed"
        NEEDS_REAUTH = "needs_reauth", "Needs reconnecting"
        DISCONNECTED = "disconnected", "Disconnected"
        REVOKE_FAILED = "revoke_failed", "Revoke failed (will retry)"
        REVOKED = "revoked", "Revoked at provider"
        TESTED = "tested", "Connection tested"

    connection = models.ForeignKey(Connection, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(max_length=32, choices=Kind.choices)
    message = models.TextField(blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.message[:80]}"


class PendingRevocation(TenantModel):
    """A token a disconnect could not revoke at the provider; retried by a periodic job.

    The connection's own tokens are wiped at disconnect; this keeps only the refresh token (or
    the access token where the vendor revokes by it), encrypted, until the provider confirms.
    """

    provider = models.CharField(max_length=32, choices=provider_choices)
    token_ciphertext = models.TextField(editable=False)
    token_type_hint = models.CharField(max_length=32, default="refresh_token")
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField(default=timezone.now)
    last_error = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"{self.provider} revocation (attempt {self.attempts})"

    def __repr__(self) -> str:
        return f"<PendingRevocation {self.pk} provider={self.provider} attempts={self.attempts}>"


class ApiCall(models.Model):
    """One outbound vendor call (not its payload): provider, path template, status, timing."""

    organization = models.ForeignKey(
        Organization, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    connection = models.ForeignKey(
        Connection, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    provider = models.CharField(max_length=32)
    context = models.CharField(
        max_length=64, blank=True, db_index=True, help_text="What made the call, e.g. a sync run."
    )
    method = models.CharField(max_length=8)
    path_template = models.CharField(max_length=255)
    status = models.PositiveSmallIntegerField(null=True, blank=True)
    duration_ms = models.PositiveIntegerField(default=0)
    retries = models.PositiveSmallIntegerField(default=0)
    throttled = models.PositiveSmallIntegerField(
        default=0, help_text="429 answers received (and waited out) for this call."
    )
    error = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    tenant_lookup = "organization"

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = "API call"

    def __str__(self) -> str:
        return f"{self.provider} {self.method} {self.path_template} → {self.status}"


class RateLimitWindow(models.Model):
    """Requests counted in one window of one client-side bucket, shared by every worker."""

    key = models.CharField(max_length=200)
    window_start = models.BigIntegerField()  # epoch seconds // window length
    count = models.PositiveIntegerField(default=0)
    # Epoch seconds after which no estimate reads this row (the end of the next window).
    expires_at = models.BigIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["key", "window_start"], name="one_count_per_window")
        ]

    def __str__(self) -> str:
        return f"{self.key} #{self.window_start}: {self.count}"


class RateLimitLog(models.Model):
    """The send times of the last requests in one rolling-window bucket, shared by every worker.

    Rolling limits (HubSpot: 100 per any 10 s) are kept exactly: a request may go when fewer
    than `limit` stamps lie within the window. The row is locked while it is read and written.
    """

    key = models.CharField(max_length=200, unique=True)
    stamps = models.JSONField(default=list)

    def __str__(self) -> str:
        return f"{self.key}: {len(self.stamps)} recent"


class RateLimitBlock(models.Model):
    """A vendor said "not before": every worker waits until `until` for this bucket."""

    key = models.CharField(max_length=200, unique=True)
    until = models.DateTimeField()

    def __str__(self) -> str:
        return f"{self.key} blocked until {self.until:%H:%M:%S}"
