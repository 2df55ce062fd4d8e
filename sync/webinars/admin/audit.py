"""The audit, read-only for every member: runs, their findings, the latest decision per email.

"Why is jane@example.com not in HubSpot?" is answered by searching her email in Contact sync
states (the latest decision, its reason and how to fix it) or in Findings (every run that
grouped her under a reason).
"""

from __future__ import annotations

from django.contrib import admin
from django.db.models import TextField
from django.db.models.functions import Cast
from django.utils.html import format_html, format_html_join

from accounts.admin_base import ReadOnlyTenantAdmin
from accounts.admin_common import ReadOnlyTenantInline, admin_link, changelist_link, emails_summary
from jobs.admin_runs import run_fieldsets, run_readonly_fields
from sync.models import ContactSyncState, SyncFinding, SyncRun

RUN_COUNTS = [
    "registrants",
    "attendees",
    "contacts_created",
    "contacts_updated",
    "contacts_skipped",
    "contacts_failed",
    "api_calls",
]


def _emails_block(emails: list[str] | None) -> str:
    if not emails:
        return "—"
    return format_html_join("", "{}<br>", ((email,) for email in emails))


class SyncFindingInline(ReadOnlyTenantInline):
    model = SyncFinding
    fields = ["category", "count", "message", "fix_hint", "affected_emails"]
    readonly_fields = fields
    show_change_link = True

    @admin.display(description="Emails")
    def affected_emails(self, obj: SyncFinding) -> str:
        return _emails_block(obj.emails)


@admin.register(SyncRun)
class SyncRunAdmin(ReadOnlyTenantAdmin):
    list_display = [
        "created_at",
        "webinar",
        "trigger",
        "status",
        "started_at",
        "finished_at",
        *RUN_COUNTS,
        "timeline_mode",
    ]
    list_display_links = ["created_at"]
    list_filter = ["status", "trigger", "timeline_mode", "webinar"]
    list_select_related = ["webinar"]
    search_fields = ["webinar__topic", "webinar__zoom_webinar_id", "summary"]
    date_hierarchy = "created_at"
    fieldsets = run_fieldsets("webinar", "timeline_mode", counts=RUN_COUNTS)
    readonly_fields = run_readonly_fields(fieldsets)
    inlines = [SyncFindingInline]


@admin.register(SyncFinding)
class SyncFindingAdmin(ReadOnlyTenantAdmin):
    list_display = ["run_created_at", "webinar", "category", "count", "message", "emails_short"]
    list_filter = ["category", "run__webinar"]
    list_select_related = ["run__webinar"]
    # `emails_text` is the JSON list cast to text (get_queryset), so an email or a part of one
    # matches with icontains on SQLite and PostgreSQL alike.
    search_fields = ["emails_text", "message"]
    fields = ["run_link", "category", "count", "message", "fix_hint", "affected_emails"]
    readonly_fields = fields

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(emails_text=Cast("emails", TextField()))

    @admin.display(description="Run", ordering="run__created_at")
    def run_created_at(self, obj: SyncFinding):
        return obj.run.created_at

    @admin.display(description="Webinar", ordering="run__webinar__topic")
    def webinar(self, obj: SyncFinding):
        return obj.run.webinar

    @admin.display(description="Emails")
    def emails_short(self, obj: SyncFinding) -> str:
        return emails_summary(obj.emails)

    @admin.display(description="Emails")
    def affected_emails(self, obj: SyncFinding) -> str:
        return _emails_block(obj.emails)

    @admin.display(description="Run")
    def run_link(self, obj: SyncFinding) -> str:
        return admin_link(obj.run)


@admin.register(ContactSyncState)
class ContactSyncStateAdmin(ReadOnlyTenantAdmin):
    list_display = ["email", "outcome", "why", "hubspot_contact_id", "last_run_link", "updated_at"]
    list_filter = ["outcome", "reason"]
    list_select_related = ["last_run__webinar"]
    search_fields = ["email", "hubspot_contact_id"]
    fields = [
        "email",
        "outcome",
        "why",
        "how_to_fix",
        "hubspot_contact_id",
        "last_run_link",
        "findings",
        "updated_at",
    ]
    readonly_fields = fields

    @admin.display(description="Why", ordering="reason")
    def why(self, obj: ContactSyncState) -> str:
        """The reason's label with the run's detail, e.g. “Excluded: domain — example.com”."""
        label = obj.get_reason_display() if obj.reason else ""
        return " — ".join(part for part in (label, obj.detail) if part) or "—"

    @admin.display(description="How to fix")
    def how_to_fix(self, obj: ContactSyncState) -> str:
        if not obj.reason or obj.last_run_id is None:
            return "—"
        finding = (
            SyncFinding.objects.filter(run_id=obj.last_run_id, category=obj.reason)
            .exclude(fix_hint="")
            .first()
        )
        return finding.fix_hint if finding else "—"

    @admin.display(description="Last run", ordering="last_run__created_at")
    def last_run_link(self, obj: ContactSyncState) -> str:
        return admin_link(obj.last_run) or "—"

    @admin.display(description="Findings")
    def findings(self, obj: ContactSyncState) -> str:
        return format_html(
            "{} (every run that grouped this email under a reason)",
            changelist_link(SyncFinding, "Findings mentioning this email", q=obj.email),
        )
