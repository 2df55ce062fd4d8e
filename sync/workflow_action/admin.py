"""HubSpot workflow-action executions, read-only for every member: who was registered for which
webinar, the outcome HubSpot was answered with, and why an execution failed.

Personal Zoom join links (which let anyone join as that registrant) are not shown.
"""

from __future__ import annotations

from django.contrib import admin
from django.utils.html import format_html_join

from accounts.admin_base import ReadOnlyTenantAdmin
from sync.models import WorkflowActionExecution
from sync.workflow_action.outcomes import OUT_JOIN_URL


@admin.register(WorkflowActionExecution)
class WorkflowActionExecutionAdmin(ReadOnlyTenantAdmin):
    list_display = [
        "received_at",
        "email",
        "zoom_webinar_id",
        "webinar",
        "state",
        "reason",
        "registration_status",
        "attempts",
        "replays",
    ]
    list_display_links = ["received_at", "email"]
    list_filter = ["state", "reason", "registration_status", "webinar"]
    list_select_related = ["webinar"]
    search_fields = ["email", "callback_id", "zoom_webinar_id", "hubspot_object_id"]
    date_hierarchy = "received_at"
    fieldsets = [
        (
            "Who and which webinar",
            {
                "fields": [
                    "email",
                    "hubspot_object_id",
                    "webinar_input",
                    "zoom_webinar_id",
                    "webinar",
                ]
            },
        ),
        (
            "Outcome",
            {
                "fields": [
                    "state",
                    "reason",
                    "message",
                    "answered",
                    "registration_status",
                    "zoom_registrant_id",
                    "property_error",
                ]
            },
        ),
        (
            "HubSpot execution",
            {
                "fields": [
                    "callback_id",
                    "portal_id",
                    "workflow_id",
                    "attempts",
                    "replays",
                    "received_at",
                    "claimed_at",
                    "completed_at",
                ]
            },
        ),
    ]
    readonly_fields = ["answered"]

    @admin.display(description="Answered to HubSpot")
    def answered(self, obj: WorkflowActionExecution) -> str:
        shown = {
            key: ("(personal join link)" if key == OUT_JOIN_URL and value else value)
            for key, value in (obj.output_fields or {}).items()
        }
        if not shown:
            return "—"
        return format_html_join("", "{}: {}<br>", shown.items())
