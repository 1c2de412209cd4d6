"""Tuning costs and budgets: every change writes its row and publishes a new policy version.

The admin pages call these and nothing else, so each change has an author, a time, a policy
version the next decisions name, and an audit event with the snapshots before and after.
"""

from django.core.exceptions import ValidationError
from django.db import transaction

from budgets.models import BudgetPolicy
from scoring.models import CostSettings, PolicyVersion
from scoring.services.policies import (
    cost_settings_current,
    policy_version_current,
    policy_version_publish,
)

COST_FIELDS = (
    "false_reject_cost",
    "review_cost",
    "ood_fraud_probability",
    "hold_velocity",
    "review_capacity_per_day",
    "review_capacity_weekdays",
    "review_sla_hours",
    "audit_reviews_per_day",
)
BUDGET_FIELDS = ("scope", "key", "amount", "window_days")
NOTE_LENGTH = PolicyVersion._meta.get_field("note").max_length


def _values_of(row, names) -> dict:
    return {name: getattr(row, name) for name in names}


def _change_note(subject: str, before: dict, after: dict) -> str:
    changed = [
        f"{name} {before.get(name)} → {after[name]}"
        for name in after
        if str(before.get(name)) != str(after[name])
    ]
    note = f"{subject}: {', '.join(changed) or 'saved unchanged'}"
    return note if len(note) <= NOTE_LENGTH else note[: NOTE_LENGTH - 1] + "…"


@transaction.atomic
def cost_settings_update(*, actor, values: dict) -> tuple[CostSettings, PolicyVersion]:
    """Writes the cost settings (only the names in COST_FIELDS) and publishes them."""
    unknown = set(values) - set(COST_FIELDS)
    if unknown:
        raise ValueError(f"not cost settings: {', '.join(sorted(unknown))}")
    costs = CostSettings.objects.select_for_update().get(pk=cost_settings_current().pk)
    before = _values_of(costs, COST_FIELDS)
    for name, value in values.items():
        setattr(costs, name, value)
    costs.full_clean()
    after = _values_of(costs, COST_FIELDS)
    if after == before:
        return costs, policy_version_current()  # nothing changed: no new version, no event
    costs.save()
    version = policy_version_publish(actor=actor, note=_change_note("costs", before, after))
    return costs, version


def budget_is_builtin(budget: BudgetPolicy) -> bool:
    """The default budget always exists; it is only changed."""
    return budget.scope is None


def _budget_subject(budget: BudgetPolicy) -> str:
    return "default budget" if budget.scope is None else f"{budget.scope} budget {budget.key}"


@transaction.atomic
def budget_policy_save(
    *, actor, values: dict, budget_id: int | None = None
) -> tuple[BudgetPolicy, PolicyVersion]:
    """Creates a budget (no `budget_id`) or changes one, and publishes the budgets."""
    unknown = set(values) - set(BUDGET_FIELDS)
    if unknown:
        raise ValueError(f"not budget fields: {', '.join(sorted(unknown))}")
    if budget_id is None:
        budget, before = BudgetPolicy(), {}
    else:
        budget = BudgetPolicy.objects.select_for_update().get(pk=budget_id)
        before = _values_of(budget, BUDGET_FIELDS)
        if budget.scope is None and values.get("scope") is not None:
            raise ValidationError({"scope": "The default budget cannot become an override."})
    for name, value in values.items():
        setattr(budget, name, value)
    budget.full_clean()
    budget.save()
    after = _values_of(budget, BUDGET_FIELDS)
    verb = "added" if budget_id is None else "changed"
    version = policy_version_publish(
        actor=actor, note=_change_note(f"{_budget_subject(budget)} {verb}", before, after)
    )
    return budget, version


@transaction.atomic
def budget_policy_delete(*, actor, budget_id: int) -> PolicyVersion:
    """Removes an override and publishes the budgets; the default budget stays."""
    budget = BudgetPolicy.objects.select_for_update().get(pk=budget_id)
    if budget.scope is None:
        raise ValidationError("The default budget cannot be deleted; change its amount instead.")
    subject = _budget_subject(budget)
    amount = budget.amount
    budget.delete()
    return policy_version_publish(actor=actor, note=f"{subject} removed (was {amount})")
