from __future__ import annotations

from django.contrib import admin
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import GroupAdmin, UserAdmin
from django.contrib.auth.models import Group
from django.core.exceptions import PermissionDenied

from accounts.admin_base import SuperuserOnlyMixin, TenantAdmin, TenantInline
from accounts.models import Membership, Organization, Role

admin.site.site_header = "Meetbridge"
admin.site.site_title = "Meetbridge"
admin.site.index_title = "Settings"


class MembershipInline(TenantInline, admin.TabularInline):
    model = Membership
    extra = 0


@admin.register(Organization)
class OrganizationAdmin(TenantAdmin):
    list_display = ["name", "slug", "created_at"]
    search_fields = ["name", "slug"]
    prepopulated_fields = {"slug": ["name"]}
    inlines = [MembershipInline]

    def has_add_permission(self, request, *args):
        # New tenants are created by the operator (superuser), never by a tenant's staff.
        return request.user.is_superuser

    def has_delete_permission(self, request, obj=None):
        return request.user.is_superuser


@admin.register(Membership)
class MembershipAdmin(TenantAdmin):
    list_display = ["user", "organization", "role", "created_at"]
    list_filter = ["role", "organization"]
    search_fields = ["user__username", "user__email", "organization__name"]

    def save_model(self, request, obj, form, change):
        # Only an owner can make someone an owner.
        if obj.role == Role.OWNER and not request.user.is_superuser:
            is_owner = Membership.objects.filter(
                user=request.user, organization=obj.organization, role=Role.OWNER
            ).exists()
            if not is_owner:
                raise PermissionDenied("Only an owner can grant the owner role.")
        super().save_model(request, obj, form, change)


class SuperuserUserAdmin(SuperuserOnlyMixin, UserAdmin):
    """Users span organisations, so only the operator creates accounts and sets passwords;
    owners and managers then grant roles in their organisation's membership screen."""


class SuperuserGroupAdmin(SuperuserOnlyMixin, GroupAdmin):
    pass


User = get_user_model()
admin.site.unregister(User)
admin.site.register(User, SuperuserUserAdmin)
admin.site.unregister(Group)
admin.site.register(Group, SuperuserGroupAdmin)
