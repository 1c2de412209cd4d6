"""Policy versions: immutable snapshots of costs and budgets that decisions refer to."""

from datetime import date
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.db import transaction

from budgets.selectors import budget_snapshot
from core.services.audit import audit_record
from scoring.models import CostSettings, PolicyVersion, weekday_capacities
from scoring.policy import PolicySettings
from scoring.selectors import rules_published


def cost_snapshot(costs: CostSettings) -> dict:
    return {
        "false_reject_cost": str(costs.false_reject_cost),
        "review_cost": str(costs.review_cost),
        "ood_fraud_probability": costs.ood_fraud_probability,
        "hold_velocity": costs.hold_velocity,
        "review_capacity_per_day": costs.review_capacity_per_day,
        "review_capacity_weekdays": weekday_capacities(costs.review_capacity_weekdays),
        "review_sla_hours": costs.review_sla_hours,
        "audit_reviews_per_day": costs.audit_reviews_per_day,
    }


def cost_settings_current() -> CostSettings:
    costs = CostSettings.objects.order_by("id").first()
    return costs if costs is not None else CostSettings.objects.create()


def policy_snapshot_current() -> dict:
    """The settings as they stand, in the shape of PolicyVersion.snapshot."""
    return {
        "costs": cost_snapshot(cost_settings_current()),
        "budgets": budget_snapshot(),
        "rules": rules_published(),
    }


@transaction.atomic
def policy_version_publish(*, actor=None, note: str = "") -> PolicyVersion:
    """Snapshots the current costs, budgets and published rules as a new version; new decisions
    use it."""
    previous = PolicyVersion.objects.order_by("-id").first()
    snapshot = policy_snapshot_current()
    version = PolicyVersion.objects.create(
        snapshot=snapshot,
        created_by=actor if isinstance(actor, get_user_model()) else None,
        note=note,
    )
    audit_record(
        actor=actor,
        action="policy.publish",
        obj=version,
        before=previous.snapshot if previous else None,
        after=snapshot,
    )
    return version


def policy_version_current() -> PolicyVersion:
    version = PolicyVersion.objects.order_by("-id").first()
    return version if version is not None else policy_version_publish(note="defaults")


def review_capacity_on(snapshot: dict, day: date) -> int:
    costs = snapshot["costs"]
    by_weekday = costs.get("review_capacity_weekdays")
    return by_weekday[day.weekday()] if by_weekday else costs["review_capacity_per_day"]


def policy_settings_from(snapshot: dict, *, day: date | None = None) -> PolicySettings:
    """The policy's settings; with `day`, the review capacity of that day (None: unlimited)."""
    costs = snapshot["costs"]
    return PolicySettings(
        false_reject_cost=Decimal(costs["false_reject_cost"]),
        review_cost=Decimal(costs["review_cost"]),
        ood_fraud_probability=float(costs["ood_fraud_probability"]),
        # Versions published before the audit sample had a daily budget sampled no returns here.
        audit_reviews_per_day=int(costs.get("audit_reviews_per_day", 0)),
        # Versions published before hold pricing existed priced no account exposure.
        hold_velocity=costs.get("hold_velocity"),
        review_capacity=None if day is None else review_capacity_on(snapshot, day),
    )
