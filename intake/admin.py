"""Admin for customers, returns as submitted (read-only) and remembered responses."""

from django.contrib import admin, messages

from core.admin import ReadOnlyAdmin
from core.roles import user_is_admin
from intake.models import Customer, IdempotencyRecord, ReturnRequest
from intake.services.intake import returns_retry_failed


@admin.register(Customer)
class CustomerAdmin(ReadOnlyAdmin):
    """A customer is whoever a retailer's returns name; holds and budgets change on their pages."""

    list_display = ["external_id", "client", "created_at"]
    list_filter = ["client"]
    search_fields = ["external_id"]
    list_select_related = ["client"]


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
        "decide_attempts",
        "received_at",
    ]
    list_filter = ["status", "outcome", "product_category", "payment_method", "client"]
    search_fields = ["order_id", "customer__external_id"]
    list_select_related = ["customer"]
    date_hierarchy = "received_at"
    actions = ["retry"]

    def has_retry_permission(self, request):
        return user_is_admin(request.user)

    @admin.action(description="Retry deciding the selected failed returns", permissions=["retry"])
    def retry(self, request, queryset):
        count = returns_retry_failed(
            return_ids=list(queryset.values_list("pk", flat=True)), actor=request.user
        )
        self.message_user(request, f"{count} failed return(s) back in the queue.", messages.SUCCESS)


@admin.register(IdempotencyRecord)
class IdempotencyRecordAdmin(ReadOnlyAdmin):
    list_display = ["key", "client", "request_path", "response_status", "created_at"]
    search_fields = ["key"]
    list_filter = ["client"]
