from __future__ import annotations

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import HttpResponseNotAllowed
from django.shortcuts import redirect
from django.urls import path, reverse
from django.utils.html import format_html

from accounts.admin_base import ReadOnlyTenantAdmin, TenantAdmin, TenantInline
from accounts.selectors import organizations_for_user
from connectors.installations import connected_providers
from connectors.models import (
    ApiCall,
    Connection,
    ConnectionEvent,
    ConnectionStatus,
    PendingRevocation,
)
from connectors.registry import provider_get, provider_keys
from connectors.selectors import connections_sharing_account
from connectors.services import connection_disconnect, connection_test

_STATUS_COLOURS = {
    ConnectionStatus.ACTIVE: "#2e7d32",
    ConnectionStatus.NEEDS_REAUTH: "#e65100",
    ConnectionStatus.DISCONNECTED: "#616161",
    ConnectionStatus.ERROR: "#c62828",
}


class ConnectionEventInline(TenantInline, admin.TabularInline):
    model = ConnectionEvent
    extra = 0
    fields = ["created_at", "kind", "message", "actor"]
    readonly_fields = fields
    ordering = ["-created_at", "-pk"]
    max_num = 0
    can_delete = False


@admin.register(Connection)
class ConnectionAdmin(TenantAdmin):
    list_display = [
        "organization",
        "provider",
        "status_badge",
        "display_name",
        "expires_at",
        "last_refreshed_at",
        "connected_at",
    ]
    list_filter = ["provider", "status", "organization"]
    search_fields = ["display_name", "external_account_id", "organization__name"]
    fields = [
        "organization",
        "provider",
        "status_badge",
        "display_name",
        "external_account_id",
        "external_user_id",
        "scopes",
        "expires_at",
        "last_refreshed_at",
        "connected_by",
        "connected_at",
        "last_error",
        "last_error_at",
    ]
    readonly_fields = fields
    inlines = [ConnectionEventInline]
    change_list_template = "admin/connectors/connection/change_list.html"
    change_form_template = "admin/connectors/connection/change_form.html"

    @admin.display(description="Status", ordering="status")
    def status_badge(self, obj: Connection):
        return format_html(
            '<b style="color:{}">{}</b>', _STATUS_COLOURS[obj.status], obj.get_status_display()
        )

    def has_add_permission(self, request, *args):
        return False  # connections are made through the provider's consent page

    def get_urls(self):
        custom = [
            path(
                "<path:object_id>/disconnect/",
                self.admin_site.admin_view(self.disconnect_view),
                name="connectors_connection_disconnect",
            ),
            path(
                "<path:object_id>/test/",
                self.admin_site.admin_view(self.test_view),
                name="connectors_connection_test",
            ),
        ]
        return custom + super().get_urls()

    def _editable_connection(self, request, object_id) -> Connection:
        if request.method != "POST":
            raise PermissionDenied
        connection = self.get_object(request, object_id)
        if not self.has_change_permission(request, connection):
            raise PermissionDenied
        return connection

    def disconnect_view(self, request, object_id):
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        connection = self._editable_connection(request, object_id)
        revoked = connection_disconnect(connection=connection, user=request.user)
        if revoked:
            messages.success(request, f"{connection} disconnected and revoked. Settings are kept.")
        else:
            messages.warning(
                request,
                f"{connection} disconnected; revoking at the provider failed and will be retried.",
            )
        return redirect(reverse("admin:connectors_connection_change", args=[connection.pk]))

    def test_view(self, request, object_id):
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        connection = self._editable_connection(request, object_id)
        check = connection_test(connection=connection, user=request.user)
        (messages.success if check.ok else messages.error)(request, check.message)
        return redirect(reverse("admin:connectors_connection_change", args=[connection.pk]))

    def changelist_view(self, request, extra_context=None):
        visible = self.get_queryset(request)
        for connection in visible.filter(status=ConnectionStatus.NEEDS_REAUTH):
            messages.warning(request, f"{connection}: {connection.last_error or 'reconnect it.'}")
        self._warn_shared_accounts(request, visible)
        organizations = organizations_for_user(request.user, editable=True)
        connected = {org.pk: connected_providers(organization_id=org.pk) for org in organizations}
        connect_links = [
            {
                "label": f"Connect {provider_get(key).name}"
                + (f" for {org.name}" if len(organizations) > 1 else ""),
                "url": reverse("connectors:connect", args=[key]) + f"?organization={org.pk}",
            }
            for org in organizations
            for key in provider_keys()
            if key not in connected[org.pk]
        ]
        return super().changelist_view(
            request, {**(extra_context or {}), "connect_links": connect_links}
        )

    def change_view(self, request, object_id, form_url="", extra_context=None):
        connection = self.get_object(request, object_id)
        self._warn_shared_accounts(request, [connection])
        context = {
            **(extra_context or {}),
            "can_manage": self.has_change_permission(request, connection),
            "connect_url": reverse("connectors:connect", args=[connection.provider])
            + f"?organization={connection.organization_id}",
            "is_connected": connection.status != ConnectionStatus.DISCONNECTED,
        }
        return super().change_view(request, object_id, form_url, context)

    @staticmethod
    def _warn_shared_accounts(request, connections) -> None:
        for connection in connections:
            shared = connections_sharing_account(connection)
            if shared:
                messages.warning(
                    request,
                    f"{connection}: the same {connection.get_provider_display()} account is "
                    f"also connected to {len(shared)} other organisation(s); its data is "
                    "visible to each.",
                )


@admin.register(ConnectionEvent)
class ConnectionEventAdmin(ReadOnlyTenantAdmin):
    list_display = ["created_at", "organization", "connection", "kind", "message", "actor"]
    list_filter = ["kind", "organization"]
    search_fields = ["message"]


@admin.register(ApiCall)
class ApiCallAdmin(ReadOnlyTenantAdmin):
    list_display = [
        "created_at",
        "organization",
        "provider",
        "context",
        "method",
        "path_template",
        "status",
        "duration_ms",
        "retries",
        "error",
    ]
    list_filter = ["provider", "status", "organization"]
    search_fields = ["path_template", "context", "error"]


@admin.register(PendingRevocation)
class PendingRevocationAdmin(ReadOnlyTenantAdmin):
    list_display = ["organization", "provider", "attempts", "next_attempt_at", "last_error"]
    exclude = ["token_ciphertext"]
