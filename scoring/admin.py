"""Admin for model versions, cost settings, policy versions and decisions."""

from django.contrib import admin

from casework.admin import ReadOnlyAdmin
from scoring.models import CostSettings, Decision, ModelVersion, PolicyVersion


@admin.register(ModelVersion)
class ModelVersionAdmin(ReadOnlyAdmin):
    list_display = ["version", "is_active", "activated_at", "created_at", "training_data"]
    list_filter = ["is_active"]
    search_fields = ["version"]


@admin.register(CostSettings)
class CostSettingsAdmin(admin.ModelAdmin):
    list_display = ["__str__", "ood_fraud_probability", "review_capacity_per_day", "updated_at"]


@admin.register(PolicyVersion)
class PolicyVersionAdmin(ReadOnlyAdmin):
    list_display = ["id", "created_by", "created_at", "note"]


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
