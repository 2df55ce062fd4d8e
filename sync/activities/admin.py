"""Salesforce ↔ HubSpot activity sync screens (issue 7).

Editable by owners and managers: the settings (with a row per HubSpot activity type whose task
type choices come from the org's Task describe) and the user mapping. Read-only for everyone:
links, runs and every skipped or failed item with its reason. Actions call one service each.
"""

from __future__ import annotations

import datetime as dt

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.helpers import ActionForm
from django.core.exceptions import PermissionDenied

from accounts.admin_base import ReadOnlyTenantAdmin, TenantAdmin, TenantInline
from accounts.admin_common import OrganizationFieldMixin, ReadOnlyTenantInline, changelist_link
from accounts.selectors import organization_id_of, user_can_edit_organization
from connectors.errors import ConnectorError
from jobs.admin_runs import run_fieldsets, run_readonly_fields
from sync.activities.configuration import (
    activity_settings_ensure,
    activity_settings_stamp,
    activity_type_stamp,
    task_type_choices,
    user_mappings_suggest_for,
)
from sync.activities.runs import activity_backfill_request, activity_sync_request
from sync.models import (
    ActivityFinding,
    ActivityLink,
    ActivitySyncRun,
    ActivitySyncSettings,
    ActivityTypeSetting,
    ActivityUserMapping,
)


class ActivityTypeSettingForm(forms.ModelForm):
    salesforce_task_type = forms.ChoiceField(required=False, label="Salesforce task type")

    class Meta:
        model = ActivityTypeSetting
        fields = ["enabled", "salesforce_task_type"]


class ActivityTypeSettingInline(TenantInline, admin.TabularInline):
    model = ActivityTypeSetting
    form = ActivityTypeSettingForm
    fields = ["activity_type", "enabled", "salesforce_task_type", "enabled_at"]
    readonly_fields = ["activity_type", "enabled_at"]
    extra = 0
    max_num = 0  # one row per type, created with the settings
    can_delete = False
    verbose_name_plural = "HubSpot activities synced to Salesforce as tasks (not retroactive)"

    def get_formset(self, request, obj=None, **kwargs):
        formset = super().get_formset(request, obj, **kwargs)
        choices, problem = task_type_choices(obj.organization_id) if obj else ([("", "—")], "")
        if problem:
            messages.warning(request, problem)
        stored = set(
            ActivityTypeSetting.objects.filter(sync_settings=obj)
            .exclude(salesforce_task_type="")
            .values_list("salesforce_task_type", flat=True)
            if obj
            else ()
        )
        known = {value for value, _ in choices}
        # A stored value the org no longer offers stays visible (runs report the picklist error).
        extra = [(value, f"{value} (not in Salesforce)") for value in sorted(stored - known)]
        formset.form.base_fields["salesforce_task_type"].choices = choices + extra
        return formset


class ActivityBackfillForm(ActionForm):
    backfill_from = forms.DateField(
        required=False,
        label="Backfill from (YYYY-MM-DD)",
        help_text="Only for the backfill action: records created since this day.",
    )


@admin.register(ActivitySyncSettings)
class ActivitySyncSettingsAdmin(OrganizationFieldMixin, TenantAdmin):
    list_display = ["organization", "salesforce_task_sync", "enabled_types", "paused_until"]
    fields = [
        "organization",
        "salesforce_task_sync",
        "salesforce_task_sync_enabled_at",
        "salesforce_cursor",
        "paused_until",
        "runs",
    ]
    readonly_fields = [
        "salesforce_task_sync_enabled_at",
        "salesforce_cursor",
        "paused_until",
        "runs",
    ]
    inlines = [ActivityTypeSettingInline]
    action_form = ActivityBackfillForm
    actions = ["sync_now", "suggest_user_mapping", "backfill"]

    @admin.display(description="Activity types synced to Salesforce")
    def enabled_types(self, obj: ActivitySyncSettings) -> str:
        names = [str(t) for t in obj.type_settings.filter(enabled=True)]
        return ", ".join(names) or "—"

    @admin.display(description="Runs")
    def runs(self, obj: ActivitySyncSettings) -> str:
        return changelist_link(
            ActivitySyncRun, "runs and findings", organization__id__exact=obj.organization_id
        )

    def has_delete_permission(self, request, obj=None):
        return False  # switch things off instead; the row keeps the cursors

    def _check_editable(self, request, obj) -> None:
        if not request.user.is_superuser and not user_can_edit_organization(
            request.user, organization_id_of(obj)
        ):
            raise PermissionDenied

    def save_model(self, request, obj, form, change):
        self._check_editable(request, obj)
        previous = ActivitySyncSettings.objects.filter(pk=obj.pk).first()
        activity_settings_stamp(obj, was_on=bool(previous and previous.salesforce_task_sync))
        obj.save()
        activity_settings_ensure(obj.organization)

    def save_formset(self, request, form, formset, change):
        for inline_form in formset.forms:
            setting = inline_form.instance
            if setting.pk and inline_form.has_changed():
                was_on = ActivityTypeSetting.objects.get(pk=setting.pk).enabled
                activity_type_stamp(setting, was_on=was_on)
        formset.save()

    # --- actions (each calls one service) ------------------------------------------------------
    @admin.action(description="Sync now")
    def sync_now(self, request, queryset):
        for row in queryset:
            activity_sync_request(
                organization=row.organization,
                trigger=ActivitySyncRun.Trigger.MANUAL,
                user=request.user,
            )
        self.message_user(request, f"{queryset.count()} run(s) queued.")

    @admin.action(description="Suggest user mapping by email")
    def suggest_user_mapping(self, request, queryset):
        for row in queryset:
            try:
                changed = user_mappings_suggest_for(row.organization)
            except ConnectorError as error:
                self.message_user(request, f"{row.organization}: {error}", messages.ERROR)
                continue
            self.message_user(request, f"{row.organization}: {changed} mapping(s) suggested.")

    @admin.action(description="Backfill from the date below (audited)")
    def backfill(self, request, queryset):
        form = ActivityBackfillForm(request.POST)
        day = form.cleaned_data.get("backfill_from") if form.is_valid() else None
        if day is None:
            self.message_user(request, "Choose a “Backfill from” date.", messages.ERROR)
            return
        since = dt.datetime.combine(day, dt.time(), tzinfo=dt.UTC)
        for row in queryset:
            run = activity_backfill_request(
                organization=row.organization, since=since, user=request.user
            )
            self.message_user(request, f"{row.organization}: backfill run {run.pk} queued.")


@admin.register(ActivityUserMapping)
class ActivityUserMappingAdmin(TenantAdmin):
    list_display = [
        "hubspot_owner_id",
        "hubspot_email",
        "salesforce_user_id",
        "salesforce_email",
        "source",
        "organization",
    ]
    list_filter = ["source"]
    search_fields = ["hubspot_email", "salesforce_email", "hubspot_owner_id", "salesforce_user_id"]
    fields = [
        "organization",
        "hubspot_owner_id",
        "hubspot_email",
        "salesforce_user_id",
        "salesforce_email",
        "source",
    ]
    readonly_fields = ["source"]

    def save_model(self, request, obj, form, change):
        obj.source = ActivityUserMapping.Source.MANUAL  # edited by hand: suggestions keep off it
        super().save_model(request, obj, form, change)


@admin.register(ActivityLink)
class ActivityLinkAdmin(ReadOnlyTenantAdmin):
    list_display = [
        "created_at",
        "origin",
        "state",
        "hubspot_object_type",
        "hubspot_id",
        "salesforce_id",
        "assignment",
    ]
    list_filter = ["origin", "state", "hubspot_object_type"]
    search_fields = ["hubspot_id", "salesforce_id"]
    fields = [
        *list_display,
        "activity_type",
        "attempts",
        "last_seen_hash",
        "error",
        "updated_at",
        "organization",
    ]
    readonly_fields = fields


class ActivityFindingInline(ReadOnlyTenantInline):
    model = ActivityFinding
    fields = ["direction", "outcome", "reason", "source_type", "source_id", "field_name", "message"]
    readonly_fields = fields


RUN_COUNTS = [
    "salesforce_read",
    "hubspot_created",
    "hubspot_updated",
    "hubspot_read",
    "salesforce_created",
    "salesforce_updated",
    "retried",
    "echoes_skipped",
    "skipped",
    "failed",
]


@admin.register(ActivitySyncRun)
class ActivitySyncRunAdmin(ReadOnlyTenantAdmin):
    list_display = ["created_at", "trigger", "status", "finished_at", *RUN_COUNTS]
    list_filter = ["status", "trigger"]
    fieldsets = run_fieldsets("backfill_from", counts=RUN_COUNTS)
    readonly_fields = run_readonly_fields(fieldsets)
    inlines = [ActivityFindingInline]


@admin.register(ActivityFinding)
class ActivityFindingAdmin(ReadOnlyTenantAdmin):
    list_display = [
        "run",
        "direction",
        "outcome",
        "reason",
        "source_type",
        "source_id",
        "field_name",
        "message",
    ]
    list_filter = ["reason", "outcome", "direction"]
    search_fields = ["source_id", "message", "field_name"]
    fields = ["organization", *list_display]
    readonly_fields = fields
