"""Admin for ledgers (read-only), budgets and holds."""

from django.contrib import admin

from budgets.models import BudgetPolicy, CustomerHold, LedgerAccount, LedgerEntry
from casework.admin import ReadOnlyAdmin


class LedgerEntryInline(admin.TabularInline):
    model = LedgerEntry
    fields = ["effective_at", "kind", "amount", "return_request", "note"]
    readonly_fields = fields
    extra = 0
    can_delete = False
    ordering = ["-effective_at"]

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(LedgerAccount)
class LedgerAccountAdmin(ReadOnlyAdmin):
    list_display = ["customer", "balance", "updated_at"]
    search_fields = ["customer__external_id"]
    list_select_related = ["customer"]
    inlines = [LedgerEntryInline]


@admin.register(LedgerEntry)
class LedgerEntryAdmin(ReadOnlyAdmin):
    list_display = ["effective_at", "account", "kind", "amount", "payment_method", "return_request"]
    list_filter = ["kind", "payment_method"]
    search_fields = ["account__customer__external_id", "return_request__order_id"]
    list_select_related = ["account__customer", "return_request"]


@admin.register(BudgetPolicy)
class BudgetPolicyAdmin(admin.ModelAdmin):
    list_display = ["__str__", "scope", "key", "amount", "window_days", "updated_at"]
    list_filter = ["scope"]
    search_fields = ["key"]


@admin.register(CustomerHold)
class CustomerHoldAdmin(admin.ModelAdmin):
    list_display = ["customer", "mode", "reason", "created_by", "created_at", "released_at"]
    list_filter = ["mode"]
    search_fields = ["customer__external_id", "reason"]
    list_select_related = ["customer", "created_by"]
