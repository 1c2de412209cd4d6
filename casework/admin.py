"""Admin for returns, cases, verdicts, labels, API clients and the (read-only) audit trail."""

from django.contrib import admin, messages

from casework.models import (
    ApiClient,
    AuditEvent,
    Customer,
    FeedEvent,
    IdempotencyRecord,
    Label,
    ReturnRequest,
    ReviewCase,
    Verdict,
)
from casework.services.api_clients import api_clients_revoke


class ReadOnlyAdmin(admin.ModelAdmin):
    """For records that are evidence: visible to staff, never editable or deletable."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Customer)
class CustomerAdmin(admin.ModelAdmin):
    list_display = ["external_id", "created_at"]
    search_fields = ["external_id"]


@admin.register(ReturnRequest)
class ReturnRequestAdmin(ReadOnlyAdmin):
    list_display = [
        "order_id",
        "customer",
        "order_value",
        "product_category",
        "payment_method",
        "status",
        "outcome",
        "received_at",
    ]
    list_filter = ["status", "outcome", "product_category", "payment_method", "client"]
    search_fields = ["order_id", "customer__external_id"]
    list_select_related = ["customer"]
    date_hierarchy = "received_at"


@admin.register(ReviewCase)
class ReviewCaseAdmin(ReadOnlyAdmin):
    list_display = ["id", "return_request", "status", "priority", "assignee", "created_at"]
    list_filter = ["status"]
    search_fields = ["return_request__order_id", "return_request__customer__external_id"]
    list_select_related = ["return_request", "assignee"]


@admin.register(Verdict)
class VerdictAdmin(ReadOnlyAdmin):
    list_display = ["case", "verdict", "hold_customer", "reviewer", "reviewer_client", "created_at"]
    list_filter = ["verdict", "hold_customer"]
    search_fields = ["case__return_request__order_id"]
    list_select_related = ["case", "reviewer", "reviewer_client"]


@admin.register(Label)
class LabelAdmin(ReadOnlyAdmin):
    list_display = ["return_request", "is_fraud", "source", "observed_at", "reviewer", "client"]
    list_filter = ["source", "is_fraud"]
    search_fields = ["return_request__order_id"]
    list_select_related = ["return_request", "reviewer", "client"]


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


@admin.register(IdempotencyRecord)
class IdempotencyRecordAdmin(ReadOnlyAdmin):
    list_display = ["key", "client", "request_path", "response_status", "created_at"]
    search_fields = ["key"]
    list_filter = ["client"]


@admin.register(FeedEvent)
class FeedEventAdmin(ReadOnlyAdmin):
    list_display = ["id", "xact_id", "kind", "return_request", "created_at"]
    list_filter = ["kind"]
    search_fields = ["return_request__order_id"]
    list_select_related = ["return_request"]


@admin.register(AuditEvent)
class AuditEventAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "actor_label", "action", "object_type", "object_id"]
    list_filter = ["action", "object_type"]
    search_fields = ["actor_label", "object_id", "action"]
    date_hierarchy = "created_at"
