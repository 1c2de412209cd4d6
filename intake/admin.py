"""Admin for customers, returns as submitted (read-only) and remembered responses."""

from django.contrib import admin, messages

from core.admin import AdminRoleOnly, ReadOnlyAdmin
from core.roles import user_is_admin
from intake.models import AttributeDefinition, Customer, IdempotencyRecord, ReturnRequest
from intake.services.attributes import attribute_definition_save
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


@admin.register(AttributeDefinition)
class AttributeDefinitionAdmin(AdminRoleOnly, admin.ModelAdmin):
    """Admins declare the attributes retailers may send; a declaration is made inactive, never
    deleted, and its name and type are fixed once saved."""

    list_display = ["name", "type", "active", "description", "created_at"]
    list_filter = ["type", "active"]
    search_fields = ["name", "description"]

    def get_readonly_fields(self, request, obj=None):
        return ["name", "type", "created_at"] if obj is not None else ["created_at"]

    def has_delete_permission(self, request, obj=None):
        return False  # stored returns, rules and models name it: made inactive instead

    def save_model(self, request, obj, form, change):
        attribute_definition_save(definition=obj, actor=request.user)
