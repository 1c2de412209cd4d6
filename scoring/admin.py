"""Admin for model versions, policy versions and decisions.

Only admins see or change models (core.admin.AdminRoleOnly); models change only through
activate and roll back. Costs and budgets are tuned in insights' admin, with a what-if.
"""

from django.contrib import admin, messages

from core.admin import ReadOnlyAdmin
from core.roles import user_is_admin
from ml.artifacts import TamperedArtifactError
from scoring.models import Decision, ModelVersion, PolicyVersion
from scoring.services.models import model_version_activate, model_version_rollback


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
