"""Admin base classes every app uses, and the admin for API clients and the audit trail.

Tuning pages are deny-by-default by role (core.roles), not by Django model permissions.
"""

from django.contrib import admin, messages

from core.models import ApiClient, AuditEvent
from core.roles import user_is_admin
from core.services.api_clients import api_clients_revoke


class ReadOnlyAdmin(admin.ModelAdmin):
    """For records that are evidence: visible to staff, never editable or deletable."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class AdminRoleOnly:
    """Only the admin role (or a superuser) sees or changes these; everyone else is refused."""

    def has_module_permission(self, request):
        return user_is_admin(request.user)

    def has_view_permission(self, request, obj=None):
        return user_is_admin(request.user)

    def has_add_permission(self, request):
        return user_is_admin(request.user)

    def has_change_permission(self, request, obj=None):
        return user_is_admin(request.user)

    def has_delete_permission(self, request, obj=None):
        return user_is_admin(request.user)


@admin.register(ApiClient)
class ApiClientAdmin(admin.ModelAdmin):
    """Keys are created with `manage.py create_api_client`; here they can only be revoked."""

    list_display = ["name", "role", "key_prefix", "is_active", "created_at", "last_used_at"]
    list_filter = ["role", "is_active"]
    search_fields = ["name", "key_prefix"]
    fields = ["name", "role", "key_prefix", "is_active", "created_at", "last_used_at"]
    readonly_fields = fields
    actions = ["revoke"]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False  # revoked, not deleted: the audit trail and labels point at the client

    @admin.action(description="Revoke the selected keys", permissions=["change"])
    def revoke(self, request, queryset):
        count = api_clients_revoke(
            client_ids=list(queryset.values_list("pk", flat=True)), actor=request.user
        )
        self.message_user(request, f"Revoked {count} key(s).", messages.SUCCESS)


@admin.register(AuditEvent)
class AuditEventAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "actor_label", "action", "object_type", "object_id"]
    list_filter = ["action", "object_type"]
    search_fields = ["actor_label", "object_id", "action"]
    date_hierarchy = "created_at"
