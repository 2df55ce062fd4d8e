"""HubSpot contact and company properties kept locally for booking routing.

Per organisation: which properties to sync, the incremental cursors, each run, and the stored
records. Meetings' routing rules read `CrmRecord`s; nothing here writes to HubSpot.
"""

from __future__ import annotations

from django.db import models

from accounts.models import Organization, TenantModel
from jobs.models import Run


class CrmSyncSettings(TenantModel):
    organization = models.OneToOneField(
        Organization, on_delete=models.CASCADE, related_name="crm_sync_settings"
    )
    contact_properties = models.JSONField(
        default=list, blank=True, help_text="HubSpot contact property internal names to sync."
    )
    company_properties = models.JSONField(
        default=list, blank=True, help_text="HubSpot company property internal names to sync."
    )
    # Incremental cursors (sync.cursors.ReadCursor): the newest last-modified time read (ms), and
    # where the next read starts with what was read since ({"from", "seen"}).
    contact_cursor_ms = models.BigIntegerField(default=0)
    contact_cursor_ids = models.JSONField(default=list, blank=True)
    company_cursor_ms = models.BigIntegerField(default=0)
    company_cursor_ids = models.JSONField(default=list, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "CRM property sync settings"
        verbose_name_plural = "CRM property sync settings"

    def __str__(self) -> str:
        return f"CRM property sync for {self.organization}"


class CrmSyncRun(Run):
    """One sync of the chosen HubSpot properties into `CrmRecord`s (jobs.models.Run)."""

    contacts = models.PositiveIntegerField(default=0)
    companies = models.PositiveIntegerField(default=0)

    class Meta(Run.Meta):
        verbose_name = "CRM property sync run"

    def __str__(self) -> str:
        return f"{self.get_trigger_display()} {self.created_at:%Y-%m-%d %H:%M} ({self.status})"


class CrmRecord(TenantModel):
    """A HubSpot contact or company with the synced properties, as of the last sync."""

    class ObjectType(models.TextChoices):
        CONTACT = "contact", "Contact"
        COMPANY = "company", "Company"

    object_type = models.CharField(max_length=8, choices=ObjectType.choices)
    hubspot_id = models.CharField(max_length=32)
    email = models.EmailField(blank=True, db_index=True, help_text="Contacts: primary email.")
    domain = models.CharField(max_length=253, blank=True, help_text="Companies: domain.")
    hubspot_owner_id = models.CharField(max_length=32, blank=True)
    company_hubspot_id = models.CharField(
        max_length=32, blank=True, help_text="Contacts: their primary company."
    )
    properties = models.JSONField(default=dict, blank=True)
    modified_at = models.DateTimeField(null=True, blank=True)
    synced_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "object_type", "hubspot_id"], name="one_crm_record"
            )
        ]
        indexes = [models.Index(fields=["organization", "object_type", "email"])]
        ordering = ["object_type", "email", "domain"]
        verbose_name = "CRM record"

    def __str__(self) -> str:
        label = self.email or self.domain or self.hubspot_id
        return f"{self.get_object_type_display()} {label}"
