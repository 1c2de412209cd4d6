"""Admin for model versions, cost settings, policy versions and decisions.

Tuning pages are deny-by-default by role (casework.roles), not by Django model permissions:
only admins change costs, budgets and models. Saves go through scoring.services.tuning, so
each one publishes a policy version; models change only through activate and roll back.
"""

from django.contrib import admin, messages

from casework.admin import ReadOnlyAdmin
from casework.roles import user_is_admin
from ml.artifacts import TamperedArtifactError
from scoring.forms import CostSettingsForm, PreviewForm
from scoring.models import CostSettings, Decision, ModelComparison, ModelVersion, PolicyVersion
from scoring.services.models import model_version_activate, model_version_rollback
from scoring.services.tuning import COST_FIELDS, cost_settings_update
from scoring.services.whatif import (
    DEFAULT_DAYS,
    policy_snapshot_live,
    snapshot_with_costs,
    whatif_compare,
)


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


@admin.register(ModelVersion)
class ModelVersionAdmin(ReadOnlyAdmin):
    list_display = ["version", "is_active", "activated_at", "created_at", "training_data"]
    list_filter = ["is_active"]
    search_fields = ["version"]
    actions = ["activate", "rollback"]

    def has_module_permission(self, request):
        return user_is_admin(request.user)

    def has_view_permission(self, request, obj=None):
        return user_is_admin(request.user)

    def has_activate_permission(self, request):
        return user_is_admin(request.user)

    @admin.action(description="Activate the selected version", permissions=["activate"])
    def activate(self, request, queryset):
        chosen = list(queryset[:2])
        if len(chosen) != 1:
            self.message_user(request, "Select exactly one version to activate.", messages.ERROR)
            return
        try:
            version = model_version_activate(version=chosen[0].version, actor=request.user)
        except TamperedArtifactError:
            self.message_user(
                request,
                f"{chosen[0]} not activated: its files are missing or altered.",
                messages.ERROR,
            )
            return
        self.message_user(
            request, f"{version} is active; workers use it from their next batch.", messages.SUCCESS
        )

    @admin.action(
        description="Roll back to the version active before the current one (selection ignored)",
        permissions=["activate"],
    )
    def rollback(self, request, queryset):
        try:
            version = model_version_rollback(actor=request.user)
        except ModelVersion.DoesNotExist:
            self.message_user(request, "No earlier active version to roll back to.", messages.ERROR)
            return
        except TamperedArtifactError:
            self.message_user(
                request,
                "Not rolled back: the earlier version's files are missing or altered.",
                messages.ERROR,
            )
            return
        self.message_user(request, f"Rolled back: {version} is active again.", messages.SUCCESS)


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


@admin.register(PolicyVersion)
class PolicyVersionAdmin(ReadOnlyAdmin):
    list_display = ["id", "created_by", "created_at", "note"]
    list_select_related = ["created_by"]


@admin.register(Decision)
class DecisionAdmin(ReadOnlyAdmin):
    list_display = [
        "return_request",
        "action",
        "fraud_probability",
        "ood",
        "cost_approve",
        "cost_reject",
        "model_version",
        "policy_version",
        "decided_at",
    ]
    list_filter = ["action", "ood", "model_version"]
    search_fields = ["return_request__order_id"]
    list_select_related = ["return_request", "model_version", "policy_version"]
    date_hierarchy = "decided_at"


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
