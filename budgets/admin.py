"""Admin for ledgers (read-only), budgets (admins, via the tuning services), holds (leads)."""

from django.contrib import admin, messages

from budgets.forms import CustomerHoldForm
from budgets.models import CustomerHold, LedgerAccount, LedgerEntry
from budgets.services.holds import hold_place, hold_release
from core.admin import ReadOnlyAdmin
from core.roles import user_is_lead


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
    list_display = ["customer", "customer__client", "balance", "updated_at"]
    search_fields = ["customer__external_id"]
    list_select_related = ["customer__client"]
    inlines = [LedgerEntryInline]


@admin.register(LedgerEntry)
class LedgerEntryAdmin(ReadOnlyAdmin):
    list_display = ["effective_at", "account", "kind", "amount", "payment_method", "return_request"]
    list_filter = ["kind", "payment_method"]
    search_fields = ["account__customer__external_id", "return_request__order_id"]
    list_select_related = ["account__customer", "return_request"]


@admin.register(CustomerHold)
class CustomerHoldAdmin(admin.ModelAdmin):
    """Leads place and release holds; a hold is never edited or deleted."""

    list_display = [
        "customer",
        "customer__client",
        "mode",
        "reason",
        "created_by",
        "created_at",
        "released_at",
    ]
    list_filter = ["mode", ("released_at", admin.EmptyFieldListFilter)]
    search_fields = ["customer__external_id", "reason"]
    list_select_related = ["customer__client", "created_by"]
    actions = ["release"]
    readonly_fields = [
        "customer",
        "mode",
        "reason",
        "return_request",
        "created_by",
        "created_at",
        "released_at",
        "released_by",
    ]

    def has_module_permission(self, request):
        return user_is_lead(request.user)

    def has_view_permission(self, request, obj=None):
        return user_is_lead(request.user)

    def has_add_permission(self, request):
        return user_is_lead(request.user)

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def has_release_permission(self, request):
        return user_is_lead(request.user)

    def get_form(self, request, obj=None, change=False, **kwargs):
        if obj is None:
            kwargs["form"] = CustomerHoldForm
        return super().get_form(request, obj, change=change, **kwargs)

    def get_fields(self, request, obj=None):
        return CustomerHoldForm.Meta.fields if obj is None else self.readonly_fields

    def get_readonly_fields(self, request, obj=None):
        return [] if obj is None else self.readonly_fields

    def save_model(self, request, obj, form, change):
        hold = hold_place(
            customer=form.cleaned_data["customer"],
            actor=request.user,
            reason=form.cleaned_data["reason"],
            mode=form.cleaned_data["mode"],
        )
        obj.pk = hold.pk

    @admin.action(description="Release the selected holds", permissions=["release"])
    def release(self, request, queryset):
        active = list(queryset.filter(released_at__isnull=True).select_related("customer"))
        for hold in active:
            hold_release(hold=hold, actor=request.user)
        self.message_user(request, f"Released {len(active)} hold(s).", messages.SUCCESS)
