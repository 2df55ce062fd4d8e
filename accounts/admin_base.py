"""Admin base classes that make the Django admin safe for many organisations.

`TenantAdmin` is what every settings screen derives from: a staff user sees, changes and deletes
only rows of their own organisations, in every place the admin exposes rows (change lists, object
URLs, foreign-key dropdowns, list filters, autocomplete, actions). Owners and managers change;
members only view. `SuperuserOnlyAdmin` is for screens that span tenants (the task queue).
A test walks every registered admin and fails on any that is neither.
"""

from __future__ import annotations

from django.contrib import admin
from django.contrib.admin.filters import RelatedFieldListFilter
from django.contrib.admin.utils import get_fields_from_path
from django.core.exceptions import FieldDoesNotExist, PermissionDenied
from django.http import Http404

from accounts.selectors import (
    organization_id_of,
    organizations_for_user,
    scope_queryset,
    user_can_edit_organization,
)


class ScopedRelatedFieldListFilter(RelatedFieldListFilter):
    """A related-field filter that offers only the choices the user may see."""

    def field_choices(self, field, request, model_admin):
        ordering = self.field_admin_ordering(field, request, model_admin)
        queryset = scope_queryset(field.related_model._default_manager.all(), request.user)
        if ordering:
            queryset = queryset.order_by(*ordering)
        return [(obj.pk, str(obj)) for obj in queryset]


class TenantScopingMixin:
    """Shared by model admins and inlines: querysets and dropdowns limited to the user's tenants."""

    def get_queryset(self, request):
        return scope_queryset(super().get_queryset(request), request.user)

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        queryset = kwargs.get("queryset", db_field.remote_field.model._default_manager.all())
        # Choosing a parent is a write: offer only organisations the user may edit.
        kwargs["queryset"] = scope_queryset(queryset, request.user, editable=True)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        queryset = kwargs.get("queryset", db_field.remote_field.model._default_manager.all())
        kwargs["queryset"] = scope_queryset(queryset, request.user, editable=True)
        return super().formfield_for_manytomany(db_field, request, **kwargs)

    def has_module_permission(self, request):
        user = request.user
        return user.is_active and user.is_staff and organizations_for_user(user).exists()

    def has_view_permission(self, request, obj=None):
        return self.has_module_permission(request)

    def has_add_permission(self, request, *args):
        return organizations_for_user(request.user, editable=True).exists()

    def has_change_permission(self, request, obj=None):
        if obj is None:
            return organizations_for_user(request.user, editable=True).exists()
        return user_can_edit_organization(request.user, organization_id_of(obj))

    def has_delete_permission(self, request, obj=None):
        return self.has_change_permission(request, obj)


class TenantAdmin(TenantScopingMixin, admin.ModelAdmin):
    """Base of every admin for organisation-owned rows."""

    def get_object(self, request, object_id, from_field=None):
        # Another tenant's id must look exactly like an id that does not exist.
        obj = super().get_object(request, object_id, from_field)
        if obj is None:
            raise Http404("No such object.")
        return obj

    def get_list_filter(self, request):
        return [self._scoped_list_filter(item) for item in super().get_list_filter(request)]

    def _scoped_list_filter(self, item):
        if not isinstance(item, str):
            return item
        try:
            field = get_fields_from_path(self.model, item)[-1]
        except (FieldDoesNotExist, admin.utils.NotRelationField):
            return item
        return (item, ScopedRelatedFieldListFilter) if field.is_relation else item

    def response_action(self, request, queryset):
        # Actions write: a member of one tenant and manager of another acts on the latter only.
        return super().response_action(
            request, scope_queryset(queryset, request.user, editable=True)
        )

    def save_model(self, request, obj, form, change):
        if not request.user.is_superuser and not user_can_edit_organization(
            request.user, organization_id_of(obj)
        ):
            raise PermissionDenied
        super().save_model(request, obj, form, change)


class TenantInline(TenantScopingMixin):
    """Mix into `admin.TabularInline` / `admin.StackedInline` for tenant rows."""

    def has_add_permission(self, request, obj=None):
        if obj is None:
            return super().has_add_permission(request)
        return user_can_edit_organization(request.user, organization_id_of(obj))

    def has_view_permission(self, request, obj=None):
        return self.has_module_permission(request)


class ReadOnlyTenantAdmin(TenantAdmin):
    """Audit screens: visible to every member, changed by nobody."""

    def has_add_permission(self, request, *args):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class SuperuserOnlyMixin:
    """Screens that span tenants (task queue, schedules): superusers only."""

    def has_module_permission(self, request):
        return request.user.is_active and request.user.is_superuser

    def has_view_permission(self, request, obj=None):
        return self.has_module_permission(request)

    def has_add_permission(self, request, *args):
        return self.has_module_permission(request)

    def has_change_permission(self, request, obj=None):
        return self.has_module_permission(request)

    def has_delete_permission(self, request, obj=None):
        return self.has_module_permission(request)
