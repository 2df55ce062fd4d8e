"""Salesforce ↔ HubSpot tasks and activities (issue 7): settings, user mapping, links, cursors,
runs and their per-item findings.

Nothing is retroactive: turning a direction or an activity type on stamps the time, which is
both the starting cursor and the "created after" bar. The link table is the memory that keeps
the two directions from echoing each other and re-runs from duplicating.
"""

from __future__ import annotations

from django.db import models
from django.db.models import Q

from accounts.models import Organization, TenantModel
from jobs.models import Run

NOT_RETROACTIVE = (
    "Not retroactive: only records created after this was switched on are synced. Existing "
    "ones can be brought over with an explicit backfill (admin action on the settings list)."
)


class ActivityType(models.TextChoices):
    """HubSpot activity types that can become Salesforce tasks."""

    SALES_EMAIL = "sales_email", "Sales emails"
    NOTE = "note", "Notes"
    CALL = "call", "Calls"
    MEETING = "meeting", "Meetings"
    HUBSPOT_TASK = "hubspot_task", "HubSpot tasks"
    MARKETING_EMAIL_SENT = "marketing_email_sent", "Marketing email sent"
    MARKETING_EMAIL_OPENED = "marketing_email_opened", "Marketing email opened"
    MARKETING_EMAIL_CLICKED = "marketing_email_clicked", "Marketing email clicked"
    FORM_SUBMISSION = "form_submission", "Form submissions"


class ActivitySyncSettings(TenantModel):
    organization = models.OneToOneField(
        Organization, on_delete=models.CASCADE, related_name="activity_sync_settings"
    )
    salesforce_task_sync = models.BooleanField(
        "Salesforce task sync",
        default=False,
        help_text="New Salesforce tasks become HubSpot tasks. " + NOT_RETROACTIVE,
    )
    salesforce_task_sync_enabled_at = models.DateTimeField(null=True, blank=True, editable=False)
    # Salesforce → HubSpot cursor (sync.cursors.ReadCursor): the newest SystemModstamp read, and
    # where the next read starts with what was read since ({"from", "seen"}).
    salesforce_cursor = models.DateTimeField(null=True, blank=True, editable=False)
    salesforce_cursor_ids = models.JSONField(default=list, blank=True, editable=False)
    paused_until = models.DateTimeField(
        null=True,
        blank=True,
        editable=False,
        help_text="Salesforce's daily API allocation is used up; syncing resumes after this.",
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "activity sync settings"
        verbose_name_plural = "activity sync settings"

    def __str__(self) -> str:
        return f"Activity sync for {self.organization}"


class ActivityTypeSetting(TenantModel):
    """One HubSpot activity type: synced to Salesforce as a task or not, and with which Type."""

    sync_settings = models.ForeignKey(
        ActivitySyncSettings, on_delete=models.CASCADE, related_name="type_settings"
    )
    activity_type = models.CharField(max_length=32, choices=ActivityType.choices)
    enabled = models.BooleanField(
        "sync to Salesforce as a task", default=False, help_text=NOT_RETROACTIVE
    )
    enabled_at = models.DateTimeField(null=True, blank=True, editable=False)
    salesforce_task_type = models.CharField(
        "Salesforce task type",
        max_length=40,
        blank=True,
        help_text="A value of the org's Task Type picklist; empty = “-- no task type --”.",
    )
    # HubSpot → Salesforce cursor (sync.cursors.ReadCursor): the newest modification time read
    # (ms), and where the next read starts with what was read since ({"from", "seen"}).
    cursor_ms = models.BigIntegerField(default=0, editable=False)
    cursor_ids = models.JSONField(default=list, blank=True, editable=False)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["sync_settings", "activity_type"], name="one_activity_type_setting"
            )
        ]
        ordering = ["sync_settings", "activity_type"]

    def __str__(self) -> str:
        return self.get_activity_type_display()


class ActivityUserMapping(TenantModel):
    """HubSpot owner ↔ Salesforce user, suggested by email and editable."""

    class Source(models.TextChoices):
        SUGGESTED = "suggested", "Suggested by email"
        MANUAL = "manual", "Set by hand"

    hubspot_owner_id = models.CharField(max_length=32)
    hubspot_email = models.EmailField(blank=True)
    salesforce_user_id = models.CharField(max_length=18, blank=True)
    salesforce_email = models.EmailField(blank=True)
    source = models.CharField(max_length=16, choices=Source.choices, default=Source.MANUAL)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "hubspot_owner_id"], name="one_mapping_per_hubspot_owner"
            )
        ]
        ordering = ["hubspot_email", "hubspot_owner_id"]
        verbose_name = "activity user mapping"

    def __str__(self) -> str:
        return f"{self.hubspot_email or self.hubspot_owner_id} → {self.salesforce_user_id or '—'}"


class ActivityLink(TenantModel):
    """One HubSpot activity ↔ one Salesforce task, and which side it came from.

    A row is written PENDING with the source side's id *before* the target is created, and the
    target carries a marker naming the source (see sync.activities.links); a run that finds a
    pending row looks the target up by that marker instead of creating it again.
    """

    class Origin(models.TextChoices):
        SALESFORCE = "salesforce", "Salesforce task"
        HUBSPOT = "hubspot", "HubSpot activity"

    class State(models.TextChoices):
        PENDING = "pending", "Pending (being created)"
        LINKED = "linked", "Linked"
        FAILED = "failed", "Failed (see findings)"

    origin = models.CharField(max_length=16, choices=Origin.choices)
    state = models.CharField(max_length=16, choices=State.choices, default=State.PENDING)
    hubspot_object_type = models.CharField(
        max_length=16, help_text="tasks, notes, calls, ..., email_events, form_submissions"
    )
    # Engagement ids are numbers; email event ids and form conversion ids are UUIDs.
    hubspot_id = models.CharField(max_length=64, blank=True)
    salesforce_id = models.CharField(max_length=18, blank=True)
    activity_type = models.CharField(max_length=32, choices=ActivityType.choices, blank=True)
    last_seen_hash = models.CharField(max_length=64, blank=True)
    assignment = models.CharField(
        max_length=255, blank=True, help_text="Assigned To / owner decision and its reason."
    )
    error = models.TextField(blank=True)
    attempts = models.PositiveSmallIntegerField(
        default=1,
        help_text="Create attempts; a failed link is retried by later runs up to a bound.",
    )
    source = models.JSONField(
        default=dict,
        blank=True,
        help_text="What a retry needs to build the target again when the source cannot be read "
        "back by id (marketing email events, form submissions).",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "hubspot_object_type", "hubspot_id"],
                condition=~Q(hubspot_id=""),
                name="one_link_per_hubspot_activity",
            ),
            models.UniqueConstraint(
                fields=["organization", "salesforce_id"],
                condition=~Q(salesforce_id=""),
                name="one_link_per_salesforce_task",
            ),
        ]
        ordering = ["-created_at", "-pk"]
        verbose_name = "activity link"

    def __str__(self) -> str:
        hubspot = f"{self.hubspot_object_type}/{self.hubspot_id or '?'}"
        return f"{hubspot} ↔ Task {self.salesforce_id or '?'} ({self.get_origin_display()})"


class ActivitySyncRun(Run):
    """One activity sync of one organisation, both directions (jobs.models.Run)."""

    backfill_from = models.DateTimeField(
        null=True, blank=True, help_text="Backfill: sync records created since this time."
    )
    salesforce_read = models.PositiveIntegerField(default=0)
    hubspot_created = models.PositiveIntegerField(default=0)
    hubspot_updated = models.PositiveIntegerField(default=0)
    hubspot_read = models.PositiveIntegerField(default=0)
    salesforce_created = models.PositiveIntegerField(default=0)
    salesforce_updated = models.PositiveIntegerField(default=0)
    retried = models.PositiveIntegerField(default=0, help_text="Failed links tried again.")
    echoes_skipped = models.PositiveIntegerField(default=0)
    skipped = models.PositiveIntegerField(default=0)
    failed = models.PositiveIntegerField(default=0)

    class Meta(Run.Meta):
        indexes = [models.Index(fields=["organization", "status"])]
        verbose_name = "activity sync run"

    def __str__(self) -> str:
        return f"{self.get_trigger_display()} {self.created_at:%Y-%m-%d %H:%M} ({self.status})"


class ActivityFindingReason(models.TextChoices):
    UNMAPPED_OWNER = "unmapped_owner", "Owner not mapped (fell back)"
    NO_MATCHING_CONTACT = "no_matching_contact", "No matching contact"
    TYPE_DISABLED = "type_disabled", "Activity type disabled"
    CREATED_BEFORE_ENABLING = "created_before_enabling", "Created before enabling"
    TYPE_UNSUPPORTED = "type_unsupported", "Activity type not readable yet"  # old runs only
    INVALID_FIELD = "invalid_field", "Invalid field"
    PICKLIST_VALUE = "picklist_value", "Picklist value refused"
    SALESFORCE_REFUSED = "salesforce_refused", "Salesforce refused the task"
    HUBSPOT_REFUSED = "hubspot_refused", "HubSpot refused the task"
    QUOTA_EXCEEDED = "quota_exceeded", "Salesforce API quota used up (paused)"
    CONNECTION = "connection", "Connection missing or needs reconnecting"
    GAVE_UP = "gave_up", "Gave up after repeated failures"


class ActivityFinding(TenantModel):
    """One item a run skipped, failed, or synced with a fallback, and why."""

    class Outcome(models.TextChoices):
        SYNCED = "synced", "Synced (with a fallback)"
        SKIPPED = "skipped", "Skipped"
        FAILED = "failed", "Failed"
        PAUSED = "paused", "Paused"

    class Direction(models.TextChoices):
        TO_HUBSPOT = "to_hubspot", "Salesforce → HubSpot"
        TO_SALESFORCE = "to_salesforce", "HubSpot → Salesforce"
        RUN = "run", "Whole run"

    run = models.ForeignKey(ActivitySyncRun, on_delete=models.CASCADE, related_name="findings")
    direction = models.CharField(max_length=16, choices=Direction.choices)
    outcome = models.CharField(max_length=16, choices=Outcome.choices)
    reason = models.CharField(max_length=32, choices=ActivityFindingReason.choices)
    source_type = models.CharField(max_length=32, blank=True, help_text="Task, notes, calls, ...")
    source_id = models.CharField(max_length=64, blank=True)
    field_name = models.CharField(max_length=80, blank=True)
    message = models.TextField(blank=True)

    class Meta:
        ordering = ["run", "pk"]
        verbose_name = "activity sync finding"

    def __str__(self) -> str:
        return f"{self.get_reason_display()}: {self.source_type} {self.source_id}".strip()
