"""Admin for tuning costs and budgets with a what-if preview, and retraining's comparisons.

Only admins tune (core.admin.AdminRoleOnly). Saves go through scoring.services.tuning, so each
one publishes a policy version that new decisions use.
"""

from django.contrib import admin

from budgets.models import BudgetPolicy
from core.admin import AdminRoleOnly, ReadOnlyAdmin
from insights.forms import BudgetPolicyForm, CostSettingsForm, PreviewForm
from insights.models import ModelComparison
from insights.services.whatif import (
    DEFAULT_DAYS,
    policy_snapshot_live,
    snapshot_with_budget,
    snapshot_with_costs,
    whatif_compare,
)
from scoring.models import CostSettings
from scoring.services.tuning import (
    BUDGET_FIELDS,
    COST_FIELDS,
    budget_is_builtin,
    budget_policy_delete,
    budget_policy_save,
    cost_settings_update,
)


class WhatIfAdmin(admin.ModelAdmin):
    """A change form with a Preview button showing what the proposed values would have cost.

    The form (a PreviewForm) reports itself invalid when Preview is pressed, so Django
    re-renders it unsaved; here the what-if figures are added to that page.
    """

    change_form_template = "admin/whatif_change_form.html"

    def proposed_snapshot(self, form, obj) -> dict:
        raise NotImplementedError

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        form = context["adminform"].form
        context["preview_button"] = PreviewForm.PREVIEW_BUTTON
        if getattr(form, "preview_ready", False):
            whatif = whatif_compare(
                proposed_snapshot=self.proposed_snapshot(form, obj),
                days=form.cleaned_data.get("preview_days") or DEFAULT_DAYS,
            )
            context["whatif"] = whatif
            context["whatif_mix"] = [
                (action, whatif.current.mix[action], whatif.proposed.mix[action], change)
                for action, change in whatif.mix_change.items()
            ]
            context["whatif_moves"] = ", ".join(
                f"{before} → {after} {count}"
                for (before, after), count in sorted(whatif.moves.items(), key=lambda m: -m[1])
            )
        return super().render_change_form(request, context, add, change, form_url, obj)


@admin.register(CostSettings)
class CostSettingsAdmin(AdminRoleOnly, WhatIfAdmin):
    form = CostSettingsForm
    list_display = [
        "__str__",
        "ood_fraud_probability",
        "hold_velocity",
        "review_capacity_per_day",
        "review_sla_hours",
        "audit_reviews_per_day",
        "updated_at",
    ]
    fieldsets = [
        (None, {"fields": COST_FIELDS}),
        ("What-if", {"fields": ["preview_days"]}),
    ]

    # One row of settings, created by the migrations; it is changed, never added or removed.
    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def proposed_snapshot(self, form, obj) -> dict:
        values = {name: form.cleaned_data[name] for name in COST_FIELDS}
        return snapshot_with_costs(policy_snapshot_live(), values=values)

    def save_model(self, request, obj, form, change):
        _costs, version = cost_settings_update(
            actor=request.user, values={name: form.cleaned_data[name] for name in COST_FIELDS}
        )
        self.message_user(request, f"Published as {version}; new decisions use it.")


@admin.register(BudgetPolicy)
class BudgetPolicyAdmin(AdminRoleOnly, WhatIfAdmin):
    form = BudgetPolicyForm
    list_display = ["__str__", "scope", "key", "amount", "window_days", "updated_at"]
    list_filter = ["scope"]
    search_fields = ["key"]
    fieldsets = [
        (None, {"fields": BUDGET_FIELDS}),
        ("What-if", {"fields": ["preview_days"]}),
    ]

    def has_delete_permission(self, request, obj=None):
        return super().has_delete_permission(request, obj) and (
            obj is None or not budget_is_builtin(obj)
        )

    def get_actions(self, request):
        # Each removal publishes a policy version; one at a time, from the change page.
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)
        return actions

    def proposed_snapshot(self, form, obj) -> dict:
        before = (
            None
            if obj is None or obj.pk is None
            else {name: form.initial.get(name) for name in BUDGET_FIELDS}
        )
        return snapshot_with_budget(
            policy_snapshot_live(), before=before, after=form.budget_values()
        )

    def save_model(self, request, obj, form, change):
        budget, version = budget_policy_save(
            actor=request.user, values=form.budget_values(), budget_id=obj.pk if change else None
        )
        obj.pk = budget.pk
        self.message_user(request, f"Published as {version}; new decisions use it.")

    def delete_model(self, request, obj):
        version = budget_policy_delete(actor=request.user, budget_id=obj.pk)
        self.message_user(request, f"Published as {version}; new decisions use it.")


@admin.register(ModelComparison)
class ModelComparisonAdmin(ReadOnlyAdmin):
    list_display = [
        "created_at",
        "challenger",
        "champion",
        "holdout_size",
        "challenger_cost",
        "champion_cost",
        "margin",
        "promoted",
    ]
    list_filter = ["promoted"]
    list_select_related = ["challenger", "champion"]
