"""Meetings in the admin: meeting types (hosts, routing rules, host warnings), bookings
(read-only, with their CRM work and a "retry" action), and API tokens (shown once, when made)."""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.utils.html import format_html, format_html_join

from accounts.admin_base import ReadOnlyTenantAdmin, TenantAdmin, TenantInline
from accounts.selectors import organizations_for_user, user_can_edit_organization
from meetings.crm import booking_crm_retry
from meetings.host_checks import meeting_type_warnings
from meetings.models import Booking, MeetingType, OrganizationApiToken, RoutingRule
from meetings.tokens import api_token_create


class RoutingRuleInline(TenantInline, admin.TabularInline):
    model = RoutingRule
    extra = 0
    fields = ["order", "field", "operator", "value", "host"]


class MeetingTypeForm(forms.ModelForm):
    class Meta:
        model = MeetingType
        fields = [
            "organization",
            "name",
            "slug",
            "active",
            "duration_minutes",
            "hosts",
            "video_conference",
            "timezone",
            "zoom_passcode",
            "zoom_waiting_room",
            "sync_to_hubspot",
            "title_template",
            "body_template",
        ]

    def clean(self):
        cleaned = super().clean()
        organization, hosts = cleaned.get("organization"), cleaned.get("hosts")
        if organization is not None and hosts is not None:
            outsiders = [
                h.get_username()
                for h in hosts
                if not h.memberships.filter(organization=organization).exists()
            ]
            if outsiders:
                self.add_error(
                    "hosts", f"Not members of {organization}: {', '.join(sorted(outsiders))}."
                )
        return cleaned


@admin.register(MeetingType)
class MeetingTypeAdmin(TenantAdmin):
    form = MeetingTypeForm
    list_display = [
        "name",
        "slug",
        "organization",
        "active",
        "duration_minutes",
        "video_conference",
        "sync_to_hubspot",
        "host_warnings",
    ]
    list_filter = ["organization", "active", "video_conference", "sync_to_hubspot"]
    search_fields = ["name", "slug"]
    prepopulated_fields = {"slug": ["name"]}
    filter_horizontal = ["hosts"]
    readonly_fields = ["host_warnings"]
    inlines = [RoutingRuleInline]

    def get_readonly_fields(self, request, obj=None):
        # A type with bookings cannot move to another organisation.
        fields = list(super().get_readonly_fields(request, obj))
        return [*fields, "organization"] if obj is not None else fields

    fieldsets = [
        (None, {"fields": ["organization", "name", "slug", "active", "duration_minutes"]}),
        ("Hosts", {"fields": ["hosts", "host_warnings"]}),
        (
            "Video conference",
            {"fields": ["video_conference", "timezone", "zoom_passcode", "zoom_waiting_room"]},
        ),
        ("HubSpot", {"fields": ["sync_to_hubspot", "title_template", "body_template"]}),
    ]

    @admin.display(description="Host warnings")
    def host_warnings(self, obj: MeetingType) -> str:
        warnings = meeting_type_warnings(obj)
        if not warnings:
            return "—"
        return format_html(
            "<ul style='margin:0;color:#b45309'>{}</ul>",
            format_html_join("", "<li>{}</li>", ((w,) for w in warnings)),
        )

    def change_view(self, request, object_id, form_url="", extra_context=None):
        if request.method == "GET":
            obj = self.get_object(request, object_id)
            for warning in meeting_type_warnings(obj):
                messages.warning(request, warning)
        return super().change_view(request, object_id, form_url, extra_context)


@admin.register(Booking)
class BookingAdmin(ReadOnlyTenantAdmin):
    list_display = [
        "start_at",
        "meeting_type",
        "host",
        "invitee_email",
        "status",
        "zoom_state",
        "hubspot_state",
    ]
    list_filter = ["organization", "status", "zoom_state", "hubspot_state", "meeting_type"]
    search_fields = ["invitee_email", "invitee_name", "invitee_company", "public_id"]
    date_hierarchy = "start_at"
    list_select_related = ["meeting_type", "host"]
    fieldsets = [
        (
            None,
            {
                "fields": [
                    "public_id",
                    "organization",
                    "meeting_type",
                    "host",
                    "routing_reason",
                    "start_at",
                    "end_at",
                    "status",
                    "reschedule_count",
                    "cancel_reason",
                ]
            },
        ),
        (
            "Invitee",
            {"fields": ["invitee_email", "invitee_name", "invitee_company", "answers"]},
        ),
        (
            "Zoom",
            {
                "fields": [
                    "zoom_state",
                    "zoom_reason",
                    "zoom_user_id",
                    "zoom_meeting_id",
                    "zoom_join_url",
                ]
            },
        ),
        (
            "HubSpot",
            {
                "fields": [
                    "hubspot_state",
                    "hubspot_reason",
                    "hubspot_contact_id",
                    "hubspot_owner_id",
                    "hubspot_meeting_id",
                ]
            },
        ),
        (
            "Work",
            {
                "fields": [
                    "zoom_create_started_at",
                    "hubspot_create_started_at",
                    "created_at",
                    "updated_at",
                ]
            },
        ),
    ]
    actions = ["retry_crm_work"]

    def has_retry_permission(self, request) -> bool:
        # The screen is read-only; retrying is a write that owners and managers may do.
        return organizations_for_user(request.user, editable=True).exists()

    @admin.action(description="Retry the failed Zoom/HubSpot work", permissions=["retry"])
    def retry_crm_work(self, request, queryset):
        queued = sum(
            booking_crm_retry(booking_id=pk) for pk in queryset.values_list("pk", flat=True)
        )
        skipped = queryset.count() - queued
        message = f"{queued} booking(s) queued again."
        if skipped:
            message += f" {skipped} had nothing failed or pending."
        self.message_user(request, message)


class ApiTokenAddForm(forms.ModelForm):
    class Meta:
        model = OrganizationApiToken
        fields = ["organization", "name"]


@admin.register(OrganizationApiToken)
class OrganizationApiTokenAdmin(TenantAdmin):
    list_display = [
        "name",
        "organization",
        "prefix",
        "created_by",
        "created_at",
        "last_used_at",
        "revoked",
    ]
    list_filter = ["organization", "revoked"]
    search_fields = ["name", "prefix"]
    actions = ["revoke"]

    def get_form(self, request, obj=None, change=False, **kwargs):
        if obj is None:
            kwargs["form"] = ApiTokenAddForm
        return super().get_form(request, obj, change=change, **kwargs)

    def get_fields(self, request, obj=None):
        if obj is None:
            return ["organization", "name"]
        return [
            "organization",
            "name",
            "prefix",
            "created_by",
            "created_at",
            "last_used_at",
            "revoked",
        ]

    def get_readonly_fields(self, request, obj=None):
        if obj is None:
            return []
        return ["organization", "prefix", "created_by", "created_at", "last_used_at"]

    def save_model(self, request, obj, form, change):
        if change:
            return super().save_model(request, obj, form, change)
        if not request.user.is_superuser and not user_can_edit_organization(
            request.user, obj.organization_id
        ):
            raise PermissionDenied
        token, raw = api_token_create(
            organization=obj.organization, name=obj.name, created_by=request.user
        )
        # The admin carries on with `obj` (log entry, redirect): make it the saved row.
        obj.pk, obj.prefix, obj.token_hash = token.pk, token.prefix, token.token_hash
        obj.created_by, obj.created_at = token.created_by, token.created_at
        obj._state.adding, obj._state.db = False, token._state.db
        messages.warning(
            request,
            format_html(
                "Token for <b>{}</b>: <code>{}</code> — copy it now, it is not shown again.",
                obj.name,
                raw,
            ),
        )

    @admin.action(description="Revoke selected tokens", permissions=["change"])
    def revoke(self, request, queryset):
        count = queryset.update(revoked=True)
        self.message_user(request, f"Revoked {count} token(s).")
