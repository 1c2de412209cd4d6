"""Admin for customers, returns as submitted (read-only) and remembered responses."""

from django.contrib import admin

from core.admin import ReadOnlyAdmin
from intake.models import Customer, IdempotencyRecord, ReturnRequest


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


@admin.register(IdempotencyRecord)
class IdempotencyRecordAdmin(ReadOnlyAdmin):
    list_display = ["key", "client", "request_path", "response_status", "created_at"]
    search_fields = ["key"]
    list_filter = ["client"]
