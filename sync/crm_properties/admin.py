"""CRM property sync screens: the settings (property lists, "Test sync", "Sync with HubSpot"),
runs and synced records (read-only for everyone).

Owners and managers change settings and press the buttons; members view. The buttons are POST
only and call one service each (sync.crm_properties).
"""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponseNotAllowed
from django.shortcuts import redirect
from django.urls import path, reverse
from django.utils.html import format_html

from accounts.admin_base import ReadOnlyTenantAdmin, TenantAdmin
from accounts.admin_common import OrganizationFieldMixin, admin_link, changelist_link
from accounts.selectors import (
    organization_id_of,
    organizations_for_user,
    user_can_edit_organization,
)
from jobs.admin_runs import run_fieldsets, run_readonly_fields
from sync.crm_properties.properties import (
    CrmSyncUnavailableError,
    crm_properties_check,
    crm_sync_settings_save,
    crm_test_sync,
    property_names_clean,
)
from sync.crm_properties.runs import crm_manual_sync_request, crm_manual_sync_state
from sync.models import CrmRecord, CrmSyncRun, CrmSyncSettings

PROPERTIES_NOTE = (
    "HubSpot internal names (Settings → Properties, “Internal name” column), one per line or "
    "separated by commas. They are checked against HubSpot on save. Contacts always bring their "
    "email, HubSpot owner and primary company; companies their domain and owner. Changing a "
    "list makes the next sync read every record again. Synced nightly; “Sync with HubSpot” "
    "at most every two hours."
)

HUBSPOT_LABEL = {CrmRecord.ObjectType.CONTACT: "contact", CrmRecord.ObjectType.COMPANY: "company"}


class PropertyNamesField(forms.CharField):
    """A list of property internal names, typed as text."""

    widget = forms.Textarea(attrs={"rows": 4, "cols": 60})

    def prepare_value(self, value):
        if isinstance(value, list | tuple):
            return "\n".join(str(v) for v in value)
        return value

    def to_python(self, value) -> list[str]:
        names, malformed = property_names_clean(super().to_python(value) or "")
        if malformed:
            raise ValidationError(
                "Not a HubSpot internal name (a letter, then letters, digits or underscores): "
                + ", ".join(malformed)
            )
        return names


class CrmSyncSettingsForm(forms.ModelForm):
    contact_properties = PropertyNamesField(required=False, label="Contact properties")
    company_properties = PropertyNamesField(required=False, label="Company properties")

    class Meta:
        model = CrmSyncSettings
        fields = ["organization", "contact_properties", "company_properties"]

    def clean(self):
        cleaned = super().clean()
        organization = (
            self.instance.organization if self.instance.pk else cleaned.get("organization")
        )
        fields = {
            CrmRecord.ObjectType.CONTACT: "contact_properties",
            CrmRecord.ObjectType.COMPANY: "company_properties",
        }
        if organization is None or any(name in self.errors for name in fields.values()):
            return cleaned
        try:
            check = crm_properties_check(
                organization=organization,
                names_by_type={kind: cleaned.get(name) or [] for kind, name in fields.items()},
            )
        except CrmSyncUnavailableError as error:
            raise ValidationError(str(error)) from error
        for kind, name in fields.items():
            missing = check.missing.get(kind)
            if missing:
                self.add_error(
                    name,
                    f"Not found among HubSpot's {HUBSPOT_LABEL[kind]} properties: "
                    + ", ".join(missing),
                )
        return cleaned


@admin.register(CrmSyncSettings)
class CrmSyncSettingsAdmin(OrganizationFieldMixin, TenantAdmin):
    form = CrmSyncSettingsForm
    list_display = ["organization", "contact_list", "company_list", "updated_at"]
    list_display_links = ["organization"]
    fieldsets = [
        (None, {"fields": ["organization"]}),
        (
            "Properties to sync",
            {
                "fields": ["contact_properties", "company_properties"],
                "description": PROPERTIES_NOTE,
            },
        ),
        ("Sync", {"fields": ["sync_status"]}),
    ]
    readonly_fields = ["sync_status"]
    change_form_template = "admin/sync/crmsyncsettings/change_form.html"

    @admin.display(description="Contact properties")
    def contact_list(self, obj: CrmSyncSettings) -> str:
        return ", ".join(obj.contact_properties) or "—"

    @admin.display(description="Company properties")
    def company_list(self, obj: CrmSyncSettings) -> str:
        return ", ".join(obj.company_properties) or "—"

    @admin.display(description="Status")
    def sync_status(self, obj: CrmSyncSettings) -> str:
        if obj.pk is None:
            return "—"
        last = CrmSyncRun.objects.filter(organization_id=obj.organization_id).first()
        state = crm_manual_sync_state(organization=obj.organization)
        last_text = (
            format_html("Last run: {}.", admin_link(last)) if last else "No sync has run yet."
        )
        return format_html(
            "{} {} ({})",
            last_text,
            state.message,
            changelist_link(CrmSyncRun, "all runs", organization__id__exact=obj.organization_id),
        )

    # --- one row per organisation -------------------------------------------------------------
    @staticmethod
    def _organizations_without_settings(request):
        return organizations_for_user(request.user, editable=True).filter(
            crm_sync_settings__isnull=True
        )

    def organizations_to_choose(self, request):
        return self._organizations_without_settings(request)

    def has_add_permission(self, request, *args):
        return self._organizations_without_settings(request).exists()

    def has_delete_permission(self, request, obj=None):
        return False  # empty the lists instead; the row keeps the sync's cursors

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        formfield = super().formfield_for_foreignkey(db_field, request, **kwargs)
        if db_field.name == "organization":
            formfield.queryset = formfield.queryset.filter(crm_sync_settings__isnull=True)
        return formfield

    def save_model(self, request, obj, form, change):
        if not request.user.is_superuser and not user_can_edit_organization(
            request.user, organization_id_of(obj)
        ):
            raise PermissionDenied
        crm_sync_settings_save(settings=obj)

    # --- buttons ------------------------------------------------------------------------------
    def get_urls(self):
        custom = [
            path(
                "<path:object_id>/test-sync/",
                self.admin_site.admin_view(self.test_sync_view),
                name="sync_crmsyncsettings_test_sync",
            ),
            path(
                "<path:object_id>/sync-now/",
                self.admin_site.admin_view(self.sync_now_view),
                name="sync_crmsyncsettings_sync_now",
            ),
        ]
        return custom + super().get_urls()

    def change_view(self, request, object_id, form_url="", extra_context=None):
        settings = self.get_object(request, object_id)
        context = {
            **(extra_context or {}),
            "can_sync": self.has_change_permission(request, settings),
            "manual_sync": crm_manual_sync_state(organization=settings.organization),
        }
        return super().change_view(request, object_id, form_url, context)

    def _button_target(self, request, object_id) -> CrmSyncSettings:
        settings = self.get_object(request, object_id)  # another tenant's id: 404
        if not self.has_change_permission(request, settings):
            raise PermissionDenied
        return settings

    def test_sync_view(self, request, object_id):
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        settings = self._button_target(request, object_id)
        try:
            check = crm_test_sync(organization=settings.organization)
        except CrmSyncUnavailableError as error:
            messages.error(request, f"Test sync failed: {error}")
        else:
            if not check.ok:
                messages.error(request, f"Test sync: {check.summary()}")
            elif not any(check.checked.values()):
                messages.warning(request, "Test sync: no properties are chosen yet.")
            else:
                messages.success(
                    request, f"Test sync: {check.summary()} Nothing was stored (test only)."
                )
        return redirect(reverse("admin:sync_crmsyncsettings_change", args=[settings.pk]))

    def sync_now_view(self, request, object_id):
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        settings = self._button_target(request, object_id)
        outcome = crm_manual_sync_request(organization=settings.organization, user=request.user)
        if outcome.started:
            messages.success(
                request,
                format_html("{} Follow it here: {}.", outcome.message, admin_link(outcome.run)),
            )
        else:
            messages.warning(request, f"Sync with HubSpot refused: {outcome.message}")
        return redirect(reverse("admin:sync_crmsyncsettings_change", args=[settings.pk]))


@admin.register(CrmSyncRun)
class CrmSyncRunAdmin(ReadOnlyTenantAdmin):
    list_display = [
        "created_at",
        "trigger",
        "status",
        "requested_by",
        "contacts",
        "companies",
        "finished_at",
        "short_summary",
    ]
    list_display_links = ["created_at"]
    list_filter = ["status", "trigger", "organization"]
    list_select_related = ["requested_by"]
    date_hierarchy = "created_at"
    fieldsets = run_fieldsets(counts=["contacts", "companies"])
    readonly_fields = run_readonly_fields(fieldsets)

    @admin.display(description="Summary")
    def short_summary(self, obj: CrmSyncRun) -> str:
        return (obj.summary[:117] + "…") if len(obj.summary) > 120 else obj.summary


@admin.register(CrmRecord)
class CrmRecordAdmin(ReadOnlyTenantAdmin):
    list_display = [
        "object_type",
        "email",
        "domain",
        "hubspot_id",
        "hubspot_owner_id",
        "company_hubspot_id",
        "modified_at",
        "synced_at",
    ]
    list_display_links = ["object_type", "email", "domain"]
    list_filter = ["object_type"]
    search_fields = ["email", "domain", "hubspot_id"]
    fields = [
        "organization",
        "object_type",
        "hubspot_id",
        "email",
        "domain",
        "hubspot_owner_id",
        "company_hubspot_id",
        "properties",
        "modified_at",
        "synced_at",
    ]
    readonly_fields = fields
