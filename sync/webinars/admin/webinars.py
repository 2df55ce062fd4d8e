"""Webinars: Zoom's data read-only, the "Sync?" box, "Sync now", sessions and recent runs."""

from __future__ import annotations

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db import models
from django.db.models import OuterRef, Subquery
from django.forms.models import BaseInlineFormSet
from django.http import HttpResponseNotAllowed
from django.shortcuts import redirect
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html

from accounts.admin_base import TenantAdmin
from accounts.admin_common import ReadOnlyTenantInline, admin_link, changelist_link
from sync.models import (
    Attendance,
    SyncFinding,
    SyncRun,
    Webinar,
    WebinarSession,
    WebinarSyncSettings,
)
from sync.webinars.runs import webinar_sync_request

RECENT_RUNS = 10
# Zoom's URLs are shown, never typed; this only keeps Django 5.x's assume_scheme warning quiet
# when the list's "Sync?" form is built.
URL_FORMFIELD = {models.URLField: {"assume_scheme": "https"}}


class WebinarSessionInline(ReadOnlyTenantInline):
    model = WebinarSession
    fields = [
        "start_time",
        "occurrence_key",
        "duration_minutes",
        "ended",
        "report_fetched_at",
        "recording_state",
        "recording_checked_at",
    ]
    readonly_fields = fields
    verbose_name_plural = "sessions (occurrences)"


class RecentRunsFormSet(BaseInlineFormSet):
    """Only the latest runs: a webinar synced nightly for years has thousands."""

    def get_queryset(self):
        if not hasattr(self, "_recent_runs"):
            self._recent_runs = super().get_queryset()[:RECENT_RUNS]
        return self._recent_runs


class RecentRunInline(ReadOnlyTenantInline):
    model = SyncRun
    formset = RecentRunsFormSet
    fields = [
        "created_at",
        "trigger",
        "status",
        "started_at",
        "finished_at",
        "registrants",
        "attendees",
        "contacts_created",
        "contacts_updated",
        "contacts_skipped",
        "contacts_failed",
    ]
    readonly_fields = fields
    ordering = ["-created_at", "-pk"]
    show_change_link = True
    verbose_name_plural = f"recent runs (latest {RECENT_RUNS})"


# Webinar fields that come from Zoom: shown, never edited here.
ZOOM_FIELDS = [
    "organization",
    "topic",
    "zoom_webinar_id",
    "host",
    "status",
    "start_time",
    "duration_minutes",
    "timezone",
    "zoom_type",
    "registration_required",
    "is_zoom_events",
    "join_url",
    "registration_url",
    "discovered_at",
]


@admin.register(Webinar)
class WebinarAdmin(TenantAdmin):
    list_display = [
        "topic_or_id",
        "zoom_webinar_id",
        "host",
        "start_time",
        "status",
        "sync_enabled",
        "last_synced_at",
        "last_run_status",
    ]
    list_editable = ["sync_enabled"]
    formfield_overrides = URL_FORMFIELD
    list_filter = ["status", "sync_enabled", "host"]
    list_select_related = ["host"]
    search_fields = ["topic", "zoom_webinar_id"]
    fieldsets = [
        ("Sync", {"fields": ["sync_enabled", "last_synced_at", "audit"]}),
        ("From Zoom", {"fields": ZOOM_FIELDS}),
    ]
    readonly_fields = ["last_synced_at", "audit", *ZOOM_FIELDS]
    inlines = [WebinarSessionInline, RecentRunInline]
    actions = ["sync_now_action"]

    def get_queryset(self, request):
        latest = SyncRun.objects.filter(webinar=OuterRef("pk")).order_by("-created_at", "-pk")
        return (
            super()
            .get_queryset(request)
            .annotate(latest_run_status=Subquery(latest.values("status")[:1]))
        )

    @admin.display(description="Topic", ordering="topic")
    def topic_or_id(self, obj: Webinar) -> str:
        return obj.topic or f"Webinar {obj.zoom_webinar_id}"

    @admin.display(description="Last run")
    def last_run_status(self, obj: Webinar) -> str:
        status = getattr(obj, "latest_run_status", None)
        return SyncRun.Status(status).label if status else "—"

    @admin.display(description="Audit and ledger")
    def audit(self, obj: Webinar) -> str:
        return format_html(
            "{} · {} · {}",
            changelist_link(SyncRun, "All runs", webinar__id__exact=obj.pk),
            changelist_link(Attendance, "Attendance ledger", webinar__id__exact=obj.pk),
            changelist_link(SyncFinding, "Findings", run__webinar__id__exact=obj.pk),
        )

    def has_add_permission(self, request, *args):
        return False  # webinars are discovered in Zoom

    def has_delete_permission(self, request, obj=None):
        return False  # deleting would drop the attendance ledger Zoom no longer keeps

    # --- Sync now ---------------------------------------------------------------------------

    def get_urls(self):
        custom = [
            path(
                "<path:object_id>/sync-now/",
                self.admin_site.admin_view(self.sync_now_view),
                name="sync_webinar_sync_now",
            )
        ]
        return custom + super().get_urls()

    def change_view(self, request, object_id, form_url="", extra_context=None):
        webinar = self.get_object(request, object_id)
        context = {
            **(extra_context or {}),
            "can_sync_now": self.has_change_permission(request, webinar),
        }
        return super().change_view(request, object_id, form_url, context)

    def sync_now_view(self, request, object_id):
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        webinar = self.get_object(request, object_id)
        if not self.has_change_permission(request, webinar):
            raise PermissionDenied
        run, joined = self._sync_now(request, webinar)
        self._announce(request, webinar, run, joined=joined)
        return redirect(reverse("admin:sync_webinar_change", args=[webinar.pk]))

    @admin.action(description="Sync now", permissions=["change"])
    def sync_now_action(self, request, queryset):
        queued = joined = switched_off = 0
        for webinar in queryset:
            _, already_open = self._sync_now(request, webinar)
            if already_open:
                joined += 1
            else:
                queued += 1
            switched_off += not self._sync_is_on(webinar)
        parts = []
        if queued:
            parts.append(f"{queued} sync(s) queued")
        if joined:
            parts.append(f"{joined} already queued or running: your request was added")
        messages.success(request, "; ".join(parts) + ".")
        if switched_off:
            messages.warning(
                request,
                f"Sync is switched off for {switched_off} of them (organisation or “Sync?”): "
                "their runs will only record that.",
            )

    @staticmethod
    def _sync_now(request, webinar: Webinar) -> tuple[SyncRun, bool]:
        """Ask for a run: the run that will do it, and whether it was already queued/running."""
        asked_at = timezone.now()
        run = webinar_sync_request(
            webinar=webinar, trigger=SyncRun.Trigger.MANUAL, user=request.user
        )
        # The service returns the open run it joined, or the one it just created.
        return run, run.created_at < asked_at

    def _announce(self, request, webinar: Webinar, run: SyncRun, *, joined: bool) -> None:
        link = admin_link(run, f"run {run.pk}")
        if not joined:
            text = "Sync of “{}” queued: {}."
        elif run.status == SyncRun.Status.RUNNING:
            text = (
                "A sync of “{}” is already running: your request was added, and it runs again "
                "when this one finishes: {}."
            )
        else:
            text = "A sync of “{}” is already queued: your request was added to it: {}."
        messages.success(request, format_html(text, webinar, link))
        if not self._sync_is_on(webinar):
            messages.warning(
                request,
                "Sync is switched off (for the organisation or by “Sync?”): the run will only "
                "record that in its audit log.",
            )

    @staticmethod
    def _sync_is_on(webinar: Webinar) -> bool:
        return (
            webinar.sync_enabled
            and WebinarSyncSettings.objects.filter(
                organization_id=webinar.organization_id, sync_enabled=True
            ).exists()
        )
