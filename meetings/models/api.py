"""Rows of the booking API: per-organisation tokens and idempotency records."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from accounts.models import TenantModel


class OrganizationApiToken(TenantModel):
    """A bearer token for one organisation's API clients. Only a SHA-256 of it is stored: the
    token is shown once, when created (`meetings.tokens.api_token_create`)."""

    name = models.CharField(max_length=100, help_text="Who uses it, e.g. 'website booking form'.")
    prefix = models.CharField(max_length=12, editable=False, help_text="To recognise it.")
    token_hash = models.CharField(max_length=64, unique=True, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        editable=False,
    )
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True, editable=False)
    revoked = models.BooleanField(default=False)

    class Meta:
        ordering = ["organization__name", "name"]
        verbose_name = "API token"

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"


class IdempotencyRecord(TenantModel):
    """The first response to a POST with an `Idempotency-Key`, replayed to retries."""

    key = models.CharField(max_length=255)
    request_hash = models.CharField(max_length=64)
    response_status = models.PositiveSmallIntegerField()
    response_body = models.JSONField(default=dict)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["organization", "key"], name="one_idempotency_key")
        ]

    def __str__(self) -> str:
        return self.key
