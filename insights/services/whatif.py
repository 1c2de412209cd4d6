"""What-if: what proposed costs and budgets would have done to the returns decided lately.

Each decided return is decided again by `policy_decide` from the facts its decision stored
(probability, OOD score and reasons, the customer's booked loss and budget), once under the
live settings and once under the proposed ones. Both action sets are then priced alike: the
realized cost where the return has a label (the newest one), the expected cost from the model's
probability where it has none.

Approximations (the result's `reproduced` share shows how faithful the re-decision is): a
changed approval changes the bookings seen by the same customer's later returns in the period
(simulated), but not later labels, holds or ledger corrections. The stored booked loss was
summed over the window then in force, so a new window only changes which simulated bookings
count. Portfolio (per payment method per day) totals are likewise the stored total plus the
bookings the re-decision changes; a payment method without an absolute portfolio budget keeps
the budget its decision recorded (relative to its history then). Reviews opened that day are
the recorded count plus the reviews the re-decision opens or closes, priced against the
proposed capacity; a return that joined an open case joins it again.
"""

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal

import numpy as np
from django.db.models import OuterRef, Subquery
from django.utils import timezone

from budgets.selectors import budget_for, portfolio_budget_for
from casework.models import Label
from casework.services.pipeline import audit_draw
from ml.economics import ACTIONS, costs_known_or_expected
from scoring.choices import Action, ReasonCode
from scoring.constants import AUDIT_MIN_APPROVALS_PER_DAY
from scoring.models import Decision
from scoring.policy import ReturnFacts, expected_loss_of, money, policy_decide
from scoring.rules import rule_inputs, rules_evaluate
from scoring.selectors import block_lists_in_force, customer_mean_values, lists_of_rules
from scoring.services.policies import policy_settings_from, policy_snapshot_current

DEFAULT_DAYS = 30
# The changed returns a page lists; the counts and costs cover all of them.
CHANGES_SHOWN = 100
# Codes the policy adds itself; the rest of the ood_* reasons came from the OOD gate.
POLICY_OOD_CODES = frozenset({ReasonCode.OOD_PESSIMISTIC})


@dataclass(frozen=True)
class PolicyCost:
    """What one set of settings cost over the period, and how much of it is estimated."""

    total: Decimal
    # From returns whose cost is known: a label, or a review (which costs the same either way).
    known: Decimal
    # Expected cost of approvals and rejections of returns without a label.
    estimated: Decimal
    mix: dict  # action -> count


@dataclass(frozen=True)
class Change:
    """One return whose action the proposed settings change, and what each action costs it."""

    decision: Decision
    current: str
    proposed: str
    current_cost: Decimal
    proposed_cost: Decimal
    # The cost is the realized one (a label, or a review); else expected from the model.
    known: bool


@dataclass(frozen=True)
class WhatIf:
    days: int
    since: datetime
    returns: int
    labelled: int
    current: PolicyCost
    proposed: PolicyCost
    # Returns whose action the proposed settings would change.
    changed: int
    # Returns whose decision under the live settings is the one recorded: how faithful the
    # re-decision from stored facts is (settings changed in the period lower it too).
    reproduced: int
    # (current action, proposed action) -> count, for the returns that change.
    moves: dict
    # The returns that change, in decision order.
    changes: list = field(default_factory=list)
    # Rule name -> returns it held for under the proposed settings (shadow rules included).
    rule_hits: dict = field(default_factory=dict)

    @property
    def changes_shown(self) -> list:
        return self.changes[:CHANGES_SHOWN]

    @property
    def labelled_share(self) -> float:
        return self.labelled / self.returns if self.returns else 0.0

    @property
    def unlabelled(self) -> int:
        return self.returns - self.labelled

    @property
    def mix_change(self) -> dict:
        return {a: self.proposed.mix[a] - self.current.mix[a] for a in self.current.mix}

    @property
    def difference(self) -> Decimal:
        """Proposed minus current: negative is a saving."""
        return self.proposed.total - self.current.total

    @property
    def reproduced_share(self) -> float:
        return self.reproduced / self.returns if self.returns else 1.0


def policy_snapshot_live() -> dict:
    """The settings as they stand, in the shape of PolicyVersion.snapshot."""
    return policy_snapshot_current()


def snapshot_with_costs(snapshot: dict, *, values: dict) -> dict:
    costs = dict(snapshot["costs"])
    for name, value in values.items():
        costs[name] = str(value) if isinstance(value, Decimal) else value
    return {**snapshot, "costs": costs}


def snapshot_with_budget(snapshot: dict, *, before: dict | None, after: dict) -> dict:
    """The snapshot with one budget row changed from `before` (None: a new row) to `after`."""
    budgets = {
        name: dict(value) if isinstance(value, dict) else value
        for name, value in snapshot["budgets"].items()
    }
    if before is not None and before["scope"] is not None:
        budgets[before["scope"]].pop(before["key"], None)
    if after["scope"] is None:
        budgets["default"] = str(after["amount"])
        budgets["window_days"] = after["window_days"]
    else:
        budgets[after["scope"]][after["key"]] = str(after["amount"])
    return {**snapshot, "budgets": budgets}


def _decisions_since(since: datetime) -> list[Decision]:
    newest_label = Label.objects.newest_of(OuterRef("return_request"))
    return list(
        Decision.objects.filter(decided_at__gte=since)
        .select_related("return_request__customer", "return_request__client")
        .annotate(label_is_fraud=Subquery(newest_label.values("is_fraud")[:1]))
        .order_by("decided_at", "id")
    )


def _hold_mode(decision: Decision) -> str | None:
    if decision.reasons and decision.reasons[0]["code"] == ReasonCode.CUSTOMER_HOLD:
        return "review" if decision.action == Action.REVIEW else "reject"
    return None


def _budget(decision: Decision, budgets: dict, live_budgets: dict):
    """The budget the decision had, or the snapshot's where it differs from the live one."""
    r = decision.return_request
    where = {
        "client_name": r.client.name,
        "customer_id": r.customer.external_id,
        "payment_method": r.payment_method,
        "product_category": r.product_category,
    }
    proposed = budget_for(budgets=budgets, **where)
    if proposed == budget_for(budgets=live_budgets, **where):
        return decision.budget
    return proposed


def _audit_base_rate(prices: dict, live: int, proposed: int) -> float:
    """The recorded base rate scaled to the proposed daily audit budget."""
    if live > 0 and "audit_base_rate" in prices:
        return prices["audit_base_rate"] * proposed / live
    return proposed / AUDIT_MIN_APPROVALS_PER_DAY


def _portfolio_budget(decision: Decision, budgets: dict) -> Decimal | None:
    """The snapshot's absolute budget for the method, else the one the decision recorded."""
    absolute = portfolio_budget_for(
        budgets=budgets, payment_method=decision.return_request.payment_method, typical_day=None
    )
    if absolute is not None:
        return absolute
    recorded = decision.prices.get("portfolio_budget")
    return None if recorded is None else Decimal(recorded)


@dataclass(frozen=True)
class Redecided:
    action: str
    # The rules of the snapshot that held (scoring.rules.RuleEffects.fired).
    fired: list


def decisions_redecide(
    *, decisions: list[Decision], snapshot: dict, live_snapshot: dict
) -> list[Redecided]:
    """What each decision would have been under `snapshot`, in decision order."""
    rules = snapshot.get("rules", [])
    means = (
        customer_mean_values(customer_ids={d.return_request.customer_id for d in decisions})
        if rules
        else {}
    )
    # Lists as they stand now: entries are not versioned with the policy.
    lists = lists_of_rules(rules=rules)
    blocks = block_lists_in_force()
    budgets = snapshot["budgets"]
    window = timedelta(days=budgets["window_days"])
    # Per customer: bookings the re-decision makes minus those the recorded decisions made.
    booking_delta = defaultdict(list)
    portfolio_delta = defaultdict(Decimal)
    # Per day: reviews (and audit reviews) the re-decision opens minus those recorded.
    opened_delta = defaultdict(int)
    audit_delta = defaultdict(int)
    live_audits = policy_settings_from(live_snapshot).audit_reviews_per_day
    actions = []
    for decision in decisions:
        r = decision.return_request
        settings = policy_settings_from(snapshot, day=decision.decided_at.date())
        prices = decision.prices
        since = r.received_at - window
        extra = sum(
            (amount for at, amount in booking_delta[r.customer_id] if at > since), Decimal("0")
        )
        day = (r.payment_method, r.received_at.date())
        inputs = rule_inputs(r, customer_mean=means.get(r.customer_id))
        effects = rules_evaluate(rules, inputs, lists=lists, blocks=blocks)
        facts = ReturnFacts(
            order_value=r.order_value,
            fraud_probability=decision.fraud_probability,
            ood=decision.ood,
            ood_reasons=[
                reason
                for reason in decision.reasons
                if reason["code"].startswith("ood_") and reason["code"] not in POLICY_OOD_CODES
            ],
            ood_score=decision.ood_score,
            ood_threshold=decision.ood_threshold,
            ood_novelty_share=decision.ood_novelty_share,
            returns_velocity_30d=r.returns_velocity_30d,
            booked_loss=decision.booked_loss + extra,
            budget=_budget(decision, budgets, live_snapshot["budgets"]),
            portfolio_booked=decision.portfolio_booked + portfolio_delta[day],
            portfolio_budget=_portfolio_budget(decision, budgets),
            payment_method=r.payment_method,
            hold_mode=_hold_mode(decision),
            audit_base_rate=_audit_base_rate(prices, live_audits, settings.audit_reviews_per_day),
            audit_draw=audit_draw(r),
            audits_left=prices.get("audits_left", 0)
            + settings.audit_reviews_per_day
            - live_audits
            - audit_delta[decision.decided_at.date()],
            reviews_opened=max(
                prices.get("capacity_used", 0) + opened_delta[decision.decided_at.date()], 0
            ),
            open_case=prices.get("joins_case", False),
            probability_floor=effects.probability_floor,
            approve_floor=effects.cost_floor,
            forced_action=effects.forced_action,
            rule_reasons=effects.reasons,
        )
        outcome = policy_decide(facts, settings)
        opens = outcome.action == Action.REVIEW and not outcome.joins_case
        recorded_opens = decision.action == Action.REVIEW and not prices.get("joins_case", False)
        opened_delta[decision.decided_at.date()] += int(opens) - int(recorded_opens)
        audits = outcome.reasons[0]["code"] == ReasonCode.AUDIT_SAMPLE
        audit_delta[decision.decided_at.date()] += int(audits) - int(r.is_audit_sample)
        booked = outcome.expected_loss if outcome.action == Action.APPROVE else Decimal("0")
        recorded = (
            expected_loss_of(decision.probability_used, r.order_value)
            if decision.action == Action.APPROVE
            else Decimal("0")
        )
        if booked != recorded:
            booking_delta[r.customer_id].append((r.received_at, booked - recorded))
            portfolio_delta[day] += booked - recorded
        actions.append(Redecided(str(outcome.action), effects.fired))
    return actions


def _costs(actions, *, labelled, is_fraud, probability, value, frc, review):
    """Per return: (the cost of `actions`, whether it is known rather than expected)."""
    return costs_known_or_expected(
        np.asarray(actions, dtype=object),
        labelled=labelled,
        is_fraud=is_fraud,
        probability=probability,
        value=value,
        false_reject_cost=frc,
        review_cost=review,
    )


def _policy_cost(actions, cost, known) -> PolicyCost:
    actions = np.asarray(actions, dtype=object)
    return PolicyCost(
        total=money(str(round(float(cost.sum()), 2))),
        known=money(str(round(float(cost[known].sum()), 2))),
        estimated=money(str(round(float(cost[~known].sum()), 2))),
        mix={action: int((actions == action).sum()) for action in ACTIONS},
    )


def whatif_compare(
    *, proposed_snapshot: dict, days: int = DEFAULT_DAYS, now: datetime | None = None
) -> WhatIf:
    """Live against proposed settings over the returns decided in the last `days` days.

    Both are priced at the proposed costs: they are what the person tuning says a review and
    a wronged customer cost.
    """
    since = (now or timezone.now()) - timedelta(days=days)
    live = policy_snapshot_live()
    decisions = _decisions_since(since)
    current = decisions_redecide(decisions=decisions, snapshot=live, live_snapshot=live)
    redecided = decisions_redecide(
        decisions=decisions, snapshot=proposed_snapshot, live_snapshot=live
    )

    prices = policy_settings_from(proposed_snapshot)
    frc, review = float(prices.false_reject_cost), float(prices.review_cost)
    value = np.array([float(d.return_request.order_value) for d in decisions])
    p = np.array([d.fraud_probability for d in decisions])
    labelled = np.array([d.label_is_fraud is not None for d in decisions], dtype=bool)
    is_fraud = np.array([bool(d.label_is_fraud) for d in decisions], dtype=bool)
    priced = {
        "labelled": labelled,
        "is_fraud": is_fraud,
        "probability": p,
        "value": value,
        "frc": frc,
        "review": review,
    }
    current = [r.action for r in current]
    current_cost, current_known = _costs(current, **priced)
    proposed_cost, proposed_known = _costs([r.action for r in redecided], **priced)
    changes = [
        Change(d, a, b, money(str(round(x, 2))), money(str(round(y, 2))), bool(k and j))
        for d, a, b, x, y, k, j in zip(
            decisions,
            current,
            [r.action for r in redecided],
            current_cost,
            proposed_cost,
            current_known,
            proposed_known,
            strict=True,
        )
        if a != b
    ]
    hits = Counter(hit["name"] for r in redecided for hit in r.fired)
    return WhatIf(
        days=days,
        since=since,
        returns=len(decisions),
        labelled=int(labelled.sum()),
        current=_policy_cost(current, current_cost, current_known),
        proposed=_policy_cost([r.action for r in redecided], proposed_cost, proposed_known),
        changed=len(changes),
        reproduced=sum(a == d.action for a, d in zip(current, decisions, strict=True)),
        moves=dict(Counter((c.current, c.proposed) for c in changes)),
        changes=changes,
        rule_hits=dict(hits.most_common()),
    )
