"""Small pieces shared by the webinar sync screens."""

from __future__ import annotations

from django.contrib import admin
from django.urls import reverse
from django.utils.html import format_html
from django.utils.http import urlencode

from accounts.admin_base import TenantInline
from accounts.selectors import organizations_for_user


class ReadOnlyTenantInline(TenantInline, admin.TabularInline):
    """An inline of audit or Zoom-owned rows: shown to every member, changed by nobody."""

    extra = 0
    max_num = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class OrganizationFieldMixin:
    """For tenant settings rows: the organisation is chosen once, when the row is added.

    The add form preselects it when the user may edit exactly one organisation; afterwards it is
    read-only (a row never moves to another tenant).
    """

    def organizations_to_choose(self, request):
        """The organisations the add form may offer (narrowed further by subclasses)."""
        return organizations_for_user(request.user, editable=True)

    def get_changeform_initial_data(self, request):
        initial = super().get_changeform_initial_data(request)
        if "organization" not in initial:
            editable = list(self.organizations_to_choose(request)[:2])
            if len(editable) == 1:
                initial["organization"] = editable[0].pk
        return initial

    def get_readonly_fields(self, request, obj=None):
        readonly = list(super().get_readonly_fields(request, obj))
        if obj is not None and "organization" not in readonly:
            readonly.append("organization")
        return readonly


def admin_link(obj, text: str | None = None) -> str:
    """A link to `obj`'s admin change page (empty string for None)."""
    if obj is None:
        return ""
    meta = obj._meta
    url = reverse(f"admin:{meta.app_label}_{meta.model_name}_change", args=[obj.pk])
    return format_html('<a href="{}">{}</a>', url, text or str(obj))


def changelist_link(model, text: str, **params) -> str:
    """A link to `model`'s change list, filtered by `params` (query-string lookups)."""
    meta = model._meta
    url = reverse(f"admin:{meta.app_label}_{meta.model_name}_changelist")
    return format_html('<a href="{}?{}">{}</a>', url, urlencode(params), text)


def emails_summary(emails: list[str] | None, *, limit: int = 5) -> str:
    """`a@x, b@y … and 12 more`: a list column that stays one line."""
    emails = list(emails or [])
    shown = ", ".join(emails[:limit])
    if len(emails) > limit:
        shown += f" … and {len(emails) - limit} more"
    return shown
