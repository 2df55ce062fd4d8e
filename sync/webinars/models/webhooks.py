"""Zoom webhook deliveries we accepted: the dedupe record and what each one caused."""

from __future__ import annotations

from django.db import models

from accounts.models import TenantModel
from sync.webinars.models.audit import SyncRun
from sync.webinars.models.ledger import Webinar


class ZoomWebhookEvent(TenantModel):
    """One accepted Zoom event, for one organisation whose Zoom connection it concerns.

    Zoom retries a delivery it did not see answered with 2xx within 3 s (after 5, 20 and 60
    minutes) and sometimes sends an event twice; the unique (organization, dedupe_key) row makes
    the second delivery a no-op. One delivery for an account connected by several organisations
    leaves one row per organisation.
    """

    event = models.CharField(max_length=64)
    event_ts = models.BigIntegerField(
        null=True, blank=True, help_text="Zoom's event time, milliseconds since the epoch."
    )
    dedupe_key = models.CharField(max_length=64, editable=False)
    tracking_id = models.CharField(
        max_length=128, blank=True, help_text="Zoom's x-zm-trackingid (quote it to Zoom support)."
    )
    zoom_webinar_id = models.CharField("Zoom webinar ID", max_length=32, blank=True)
    webinar = models.ForeignKey(
        Webinar, null=True, blank=True, on_delete=models.SET_NULL, related_name="webhook_events"
    )
    run = models.ForeignKey(
        SyncRun,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="The run this event asked for (or joined, when one was already queued).",
    )
    outcome = models.CharField(max_length=200, blank=True)
    received_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "dedupe_key"], name="one_zoom_event_per_org"
            )
        ]
        indexes = [models.Index(fields=["received_at"])]
        ordering = ["-received_at", "-pk"]
        verbose_name = "Zoom webhook event"

    def __str__(self) -> str:
        return f"{self.event} {self.zoom_webinar_id or ''} @ {self.received_at:%Y-%m-%d %H:%M:%S}"
