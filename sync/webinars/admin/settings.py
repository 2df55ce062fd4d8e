"""Settings screens: the organisation's webinar sync switch, Zoom users, exclusions.

Owners and managers change them; members view (accounts.admin_base.TenantAdmin).
"""

from __future__ import annotations

from django.contrib import admin, messages
from django.db import models
from django.db.models import Count
from django.urls import reverse
from django.utils.http import urlencode

from accounts.admin_base import TenantAdmin, TenantInline
from accounts.admin_common import OrganizationFieldMixin
from accounts.selectors import organizations_for_user
from sync.models import (
    ContactExclusion,
    RecordingExclusion,
    Webinar,
    WebinarSyncSettings,
    ZoomUser,
)

SYNC_SWITCH_NOTE = (
    "When “Sync webinar data” is off, nothing is synced to HubSpot: no contacts, properties, "
    "marketing events, timeline entries or recordings. Runs still happen and each run's audit "
    "log says that sync is disabled for the organisation, so turning it back on catches up."
)
RECORDINGS_NOTE = (
    "“For selected Zoom users” uses each Zoom user's “Sync this user's recordings and "
    "transcripts” box (Zoom users screen). Recording exclusions keep links away from attendees "
    "of the domains listed there."
)


@admin.register(WebinarSyncSettings)
class WebinarSyncSettingsAdmin(OrganizationFieldMixin, TenantAdmin):
    list_display = ["organization", "sync_enabled", "recordings_mode", "updated_at"]
    list_display_links = ["organization"]
    fieldsets = [
        (None, {"fields": ["organization"]}),
        ("Webinars", {"fields": ["sync_enabled"], "description": SYNC_SWITCH_NOTE}),
        (
            "Recordings and transcripts",
            {"fields": ["recordings_mode"], "description": RECORDINGS_NOTE},
        ),
    ]
    change_list_template = "admin/sync/webinarsyncsettings/change_list.html"

    @staticmethod
    def _organizations_without_settings(request, *, editable: bool):
        return organizations_for_user(request.user, editable=editable).filter(
            webinar_sync_settings__isnull=True
        )

    def organizations_to_choose(self, request):
        return self._organizations_without_settings(request, editable=True)

    def has_add_permission(self, request, *args):
        # One row per organisation: adding is possible while an editable one has none yet.
        return self._organizations_without_settings(request, editable=True).exists()

    def has_delete_permission(self, request, obj=None):
        return False  # switch sync off instead; the row keeps the choices for later

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        formfield = super().formfield_for_foreignkey(db_field, request, **kwargs)
        if db_field.name == "organization":
            formfield.queryset = formfield.queryset.filter(webinar_sync_settings__isnull=True)
        return formfield

    def changelist_view(self, request, extra_context=None):
        missing = self._organizations_without_settings(request, editable=False)
        editable = set(
            self._organizations_without_settings(request, editable=True).values_list(
                "pk", flat=True
            )
        )
        add_url = reverse("admin:sync_webinarsyncsettings_add")
        create_links = []
        for organization in missing:
            messages.info(
                request,
                f"{organization} has no webinar sync settings yet, so nothing of it is synced.",
            )
            if organization.pk in editable:
                create_links.append(
                    {
                        "label": f"Set up webinar sync for {organization}",
                        "url": f"{add_url}?{urlencode({'organization': organization.pk})}",
                    }
                )
        return super().changelist_view(
            request, {**(extra_context or {}), "create_links": create_links}
        )


class ZoomUserWebinarInline(TenantInline, admin.TabularInline):
    """The user's webinars with their "Sync?" box; everything else comes from Zoom."""

    model = Webinar
    fk_name = "host"
    extra = 0
    can_delete = False
    show_change_link = True
    fields = ["topic", "zoom_webinar_id", "start_time", "status", "sync_enabled", "last_synced_at"]
    readonly_fields = ["topic", "zoom_webinar_id", "start_time", "status", "last_synced_at"]
    ordering = ["-start_time"]
    verbose_name_plural = "webinars hosted by this user"
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}

    def has_add_permission(self, request, obj=None):
        return False  # webinars are discovered in Zoom


@admin.register(ZoomUser)
class ZoomUserAdmin(TenantAdmin):
    list_display = [
        "email",
        "display_name",
        "sync_new_webinars",
        "sync_recordings",
        "active",
        "webinar_count",
    ]
    list_editable = ["sync_new_webinars", "sync_recordings"]
    list_filter = ["active", "sync_new_webinars", "sync_recordings", "organization"]
    search_fields = ["email", "display_name", "zoom_user_id"]
    fieldsets = [
        (
            "From Zoom",
            {
                "fields": [
                    "organization",
                    "email",
                    "display_name",
                    "zoom_user_id",
                    "active",
                    "last_seen_at",
                ]
            },
        ),
        ("Webinar sync for this user", {"fields": ["sync_new_webinars", "sync_recordings"]}),
    ]
    readonly_fields = [
        "organization",
        "email",
        "display_name",
        "zoom_user_id",
        "active",
        "last_seen_at",
    ]
    inlines = [ZoomUserWebinarInline]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(webinar_total=Count("webinars"))

    @admin.display(description="Webinars", ordering="webinar_total")
    def webinar_count(self, obj: ZoomUser) -> int:
        return obj.webinar_total

    def has_add_permission(self, request, *args):
        return False  # Zoom users are discovered by the sync

    def has_delete_permission(self, request, obj=None):
        return False  # the next discovery would bring them back; "active" tracks leavers


@admin.register(ContactExclusion)
class ContactExclusionAdmin(OrganizationFieldMixin, TenantAdmin):
    list_display = ["value", "kind", "organization", "created_at"]
    list_filter = ["kind", "organization"]
    search_fields = ["value"]
    fields = ["organization", "kind", "value"]


@admin.register(RecordingExclusion)
class RecordingExclusionAdmin(OrganizationFieldMixin, TenantAdmin):
    list_display = ["domain", "organization", "created_at"]
    list_filter = ["organization"]
    search_fields = ["domain"]
    fields = ["organization", "domain"]
