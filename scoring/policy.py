"""The expected-cost policy: the cheapest action for one return, with reasons in words and numbers.

Pure functions of the facts about a return and the policy settings; no database. Workers, the
replay command and the what-if preview call `policy_decide` one return at a time; retraining,
the training report and the replay's reference design price many returns at once with
`policy_decide_frame`. Both take every price from the same functions below (each accepts one
return's facts or columns of many), so the paths cannot drift apart.

Approving a return costs its expected fraud loss. For an account that returns often, or one past
its loss budget, approving also leaves the account open: a review is the only action that can
find it out and put it on hold, so the approve price includes the loss the account could still
book (see `account_exposure`).

Limits are prices, never triggers. A payment method nearing its daily portfolio budget makes
each dollar of expected loss dearer (`portfolio_lambda`); a day nearing its review capacity
makes a review dearer, and a full day opens none (`capacity_price`). The cheapest action under
the prices in force wins, so no return buys a review worth less than the review costs.
"""

import math
from dataclasses import MISSING, dataclass, field, fields
from decimal import ROUND_HALF_UP, Decimal
from types import SimpleNamespace

import numpy as np
import pandas as pd

from ml.inference import ScoreBatch
from scoring.choices import Action, ReasonCode
from scoring.constants import CENT

# The OOD gate's threshold is set so that 2% of ordinary returns cross it: a return just past it
# is most likely one of those. Distrust of the model grows with the log-density gap past the
# threshold and is complete once the return is a thousand times less likely than that.
FULL_DISTRUST_GAP = math.log(1000)
# An unseen category or a value outside the training range means the model is extrapolating.
HARD_OOD_CODES = frozenset({ReasonCode.OOD_UNSEEN_VALUE, ReasonCode.OOD_OUT_OF_RANGE})
# Reasons that mark a bleeding account: a fraud verdict on such a case should hold the customer.
HOLD_REASON_CODES = frozenset({ReasonCode.BUDGET_EXCEEDED, ReasonCode.ACCOUNT_EXPOSURE})
# Portfolio pricing: below this share of a payment method's daily budget an approval is priced
# at its expected loss. Past it, each dollar of expected loss costs 1 + λ dollars, λ rising by
# PORTFOLIO_SLOPE per budget booked: at 96% of the budget ×1.8, at 100% ×2, at 150% ×4.5.
PORTFOLIO_KNEE = Decimal("0.8")
PORTFOLIO_SLOPE = Decimal("5")
# A zero budget prices every approval at this λ; it also bounds λ on a runaway day.
PORTFOLIO_MAX_LAMBDA = Decimal("100")
# Review capacity: below this share of the day's capacity a review costs its price. Past it
# the price rises by review_cost × (used − knee) / (1 − used): ×2 at 90%, ×5 at 96%, and a
# full day opens no review at all.
CAPACITY_KNEE = Decimal("0.8")
# An audit review of a would-be approval costs the review less the expected loss it removes;
# the cheaper that is, the likelier the return is sampled, up to this many times the base rate.
AUDIT_MAX_WEIGHT = 10.0


@dataclass(frozen=True)
class PolicySettings:
    false_reject_cost: Decimal
    review_cost: Decimal
    # Assumed for out-of-distribution returns when higher than the model's own probability.
    ood_fraud_probability: float
    # Reviews a day may spend on the audit sample, within the review capacity.
    audit_reviews_per_day: int = 0
    # Reviews a day may open; None is unlimited.
    review_capacity: int | None = None
    # A confirmed fraud from an account returning at least this often in 30 days puts the
    # account on hold; None prices no account exposure.
    hold_velocity: int | None = None


@dataclass(frozen=True)
class ReturnFacts:
    order_value: Decimal
    fraud_probability: float
    ood: bool
    ood_reasons: list = field(default_factory=list)
    ood_score: float = 0.0
    ood_threshold: float = 0.0
    # Of the returns the gate flagged lately, the share beyond its designed false-alarm rate:
    # the chance that a density flag marks something new rather than an ordinary outlier.
    ood_novelty_share: float = 1.0
    returns_velocity_30d: int = 0
    booked_loss: Decimal = Decimal("0.00")
    budget: Decimal | None = None
    portfolio_booked: Decimal = Decimal("0.00")
    portfolio_budget: Decimal | None = None
    payment_method: str = ""
    hold_mode: str | None = None
    # The audit sample: a would-be approval is reviewed with probability min(1, base rate ×
    # how cheap it is to check), decided by a stable uniform draw, while the day's audit
    # reviews last (see `audit_inclusion_probability`).
    audit_base_rate: float = 0.0
    audit_draw: float = 1.0
    audits_left: int = 0
    # Review cases opened so far on the decision's day, against PolicySettings.review_capacity.
    reviews_opened: int = 0
    # The customer has a case waiting for a verdict: this return can join it at no extra review.
    open_case: bool = False
    # What the fraud team's rules say (scoring.rules.RuleEffects): the probability and the
    # approval price are at least the floors; a forced action overrides the prices.
    probability_floor: float = 0.0
    approve_floor: Decimal = Decimal("0.00")
    forced_action: str | None = None
    rule_reasons: list = field(default_factory=list)


@dataclass(frozen=True)
class PolicyOutcome:
    action: str
    probability_used: float
    costs: dict  # action -> Decimal
    reasons: list  # [{"code", "text"}]
    expected_loss: Decimal  # booked to the ledger when approved
    # Loss an approval leaves open to an account a fraud verdict would hold (priced into
    # approving at probability_used); a reviewer should hold the account on a fraud verdict.
    exposure: Decimal = Decimal("0.00")
    # The constraint prices the decision used, enough to reproduce it: the portfolio budget and
    # λ, the review price and the capacity used, whether a review could open at all.
    prices: dict = field(default_factory=dict)
    # A review that joins the customer's open case instead of opening one.
    joins_case: bool = False

    @property
    def priority(self) -> Decimal:
        """What a review saves: the cheaper of approve and reject, minus the review's price."""
        return (
            min(self.costs[Action.APPROVE], self.costs[Action.REJECT]) - self.costs[Action.REVIEW]
        )


def score_facts(
    scores: ScoreBatch, index: int, *, ood_threshold: float, ood_novelty_share: float
) -> dict:
    """What the model and the OOD gate said about one scored return, as ReturnFacts fields."""
    return {
        "fraud_probability": float(scores.fraud_probability[index]),
        "ood": bool(scores.ood_flag[index]),
        "ood_reasons": list(scores.ood_reasons[index]),
        "ood_score": float(scores.ood_score[index]),
        "ood_threshold": ood_threshold,
        "ood_novelty_share": ood_novelty_share,
    }


def money(value) -> Decimal:
    return Decimal(value).quantize(CENT, rounding=ROUND_HALF_UP)


def usd(amount: Decimal) -> str:
    return f"${amount:,.2f}"


# The prices below take one return's facts or columns of many (numpy arrays; amounts as object
# arrays of Decimal, so a column is priced with exactly the arithmetic of a single return).
_money = np.frompyfunc(money, 1, 1)
_exact = np.frompyfunc(lambda probability: Decimal(repr(float(probability))), 1, 1)
_count = np.frompyfunc(lambda n: Decimal(int(n)), 1, 1)
NO_COST = Decimal("0.00")


def _one(value):
    """A price of one return as a plain value, not the 0-d array numpy makes of it."""
    if isinstance(value, np.generic) or (isinstance(value, np.ndarray) and value.ndim == 0):
        return value.item()
    return value


def _where(condition, if_true, if_false):
    """np.where, without its cost when one return is priced (the workers' hot path)."""
    if isinstance(condition, bool | np.bool_):
        return if_true if condition else if_false
    return np.where(condition, if_true, if_false)


def _absent(amount):
    """Where an optional amount (a budget) is not set."""
    if amount is None or isinstance(amount, Decimal):
        return amount is None
    return np.asarray(pd.isna(amount))


def expected_loss_of(probability, order_value):
    """The loss an approval books to the ledger: probability times order value."""
    return _money(_exact(probability) * order_value)


def action_costs(*, probability: float, order_value: Decimal, settings: PolicySettings) -> dict:
    p = Decimal(repr(probability))
    return {
        Action.APPROVE: money(p * order_value),
        Action.REJECT: money((1 - p) * settings.false_reject_cost),
        Action.REVIEW: money(settings.review_cost),
    }


def hard_ood(reasons: list) -> bool:
    """Whether the OOD gate's reasons say the model is extrapolating, not merely surprised."""
    return any(reason["code"] in HARD_OOD_CODES for reason in reasons)


def ood_distrust(*, ood, hard, gap, novelty_share):
    """How far the model's probability is set aside for the pessimistic one, from 0 to 1.

    `gap` is the OOD score past the gate's threshold. A density flag alone is discounted by the
    novelty share: while the gate flags no more returns than its designed false-alarm rate, its
    flags are mostly ordinary outliers that the model priced fairly; when far more are flagged,
    most flags are something new.
    """
    graded = np.minimum(np.maximum(gap / FULL_DISTRUST_GAP, 0.0), 1.0) * novelty_share
    return _one(_where(ood, _where(hard, 1.0, graded), 0.0))


def priced_probability(*, probability, distrust, ood_fraud_probability):
    """(the probability actions are priced at, whether distrust raised it): the model's own,
    moved `distrust` of the way to the pessimistic probability when that is higher."""
    raised = np.logical_and(distrust > 0, ood_fraud_probability > probability)
    moved = probability + distrust * (ood_fraud_probability - probability)
    return _one(_where(raised, moved, probability)), _one(raised)


def ood_novelty_share(
    *, flagged: int, total: int, false_alarm_rate: float, prior_returns: int
) -> float:
    """The chance that a density flag marks a new kind of return rather than a false alarm.

    The gate is set to flag `false_alarm_rate` of ordinary returns. If a share r of recent
    returns was flagged, about false_alarm_rate / r of the flags are those false alarms. The
    recent counts start from `prior_returns` flagged at the designed rate.
    """
    if total + prior_returns == 0:
        return 0.0
    rate = (flagged + false_alarm_rate * prior_returns) / (total + prior_returns)
    if rate <= 0:
        return 0.0
    return min(max(1.0 - false_alarm_rate / rate, 0.0), 1.0)


def hold_recommended(*, reason_codes, customer_had_fraud: bool) -> bool:
    """Whether a fraud verdict should hold the customer: the case came from a bleeding account
    (budget breach or account exposure), or the customer already had a confirmed fraud. A
    one-off fraud by an ordinary customer is rejected without stopping the account."""
    return customer_had_fraud or bool(HOLD_REASON_CODES.intersection(reason_codes))


def budget_breached(*, booked_loss, expected_loss, budget):
    """Whether booking `expected_loss` takes the account past its budget (None: no budget)."""
    absent = _absent(budget)
    over = booked_loss + expected_loss > _where(absent, NO_COST, budget)
    return _one(np.logical_and(np.logical_not(absent), over))


def frequent_returner(*, velocity, hold_velocity: int | None):
    """Whether the account returns at least as often as the hold rule (None: no rule)."""
    if hold_velocity is None:
        return _one(np.zeros(np.shape(velocity), dtype=bool))
    return _one(np.asarray(np.asarray(velocity) >= hold_velocity, dtype=bool))


def account_exposure(*, velocity, order_value, frequent, breached):
    """Loss an approval leaves open to an account that a fraud verdict would put on hold.

    If the account is a fraudster, approving lets it go on returning at its own pace, about
    `velocity` more returns of this size in 30 days; reviewing now would end that with a hold.
    That counts for an account returning at least as often as the hold rule, and for any
    account already past its loss budget (its bookings say it may be bleeding). A lower budget
    can only add exposure, never remove it.
    """
    return _one(_where(np.logical_or(frequent, breached), _money(velocity * order_value), NO_COST))


def portfolio_lambda(*, booked, budget):
    """The price of one more dollar of expected loss on a payment method today, over one dollar.

    Zero below PORTFOLIO_KNEE of the budget, then PORTFOLIO_SLOPE per budget booked past it;
    zero without a budget, PORTFOLIO_MAX_LAMBDA with a zero one.
    """
    absent = _absent(budget)
    limit = _where(absent, Decimal("1"), budget)
    empty = limit <= 0
    used = booked / _where(empty, Decimal("1"), limit)
    lam = np.minimum(
        np.maximum((used - PORTFOLIO_KNEE) * PORTFOLIO_SLOPE, Decimal("0")), PORTFOLIO_MAX_LAMBDA
    )
    return _one(_where(absent, Decimal("0"), _where(empty, PORTFOLIO_MAX_LAMBDA, lam)))


def portfolio_priced_alike_to(budget: Decimal | None) -> Decimal | None:
    """The day's booked total up to which portfolio_lambda is zero whatever the total: two
    workers booking on the day below it price alike in either order. None when no total
    changes the price (no budget, or a zero one)."""
    if budget is None or budget <= 0:
        return None
    return budget * PORTFOLIO_KNEE


def capacity_price(*, opened, capacity: int | None, review_cost: Decimal):
    """What opening one more review today costs beyond the review itself; None when the day is
    full. Zero below CAPACITY_KNEE of capacity, then rising steeply as the last slots go."""
    if capacity is None:
        return _one(np.full(np.shape(opened), NO_COST, dtype=object))
    full = np.asarray(opened) >= capacity
    # A full day has no price: its share is taken as 0 (and a zero capacity as 1) only to keep
    # the arithmetic of the other returns finite.
    used = _count(_where(full, 0, opened)) / Decimal(max(capacity, 1))
    rising = _money(review_cost * (used - CAPACITY_KNEE) / (1 - used))
    price = _where(used <= CAPACITY_KNEE, NO_COST, rising)
    return _one(_where(full, None, price))


def audit_inclusion_probability(*, base_rate, approve_cost, review_cost):
    """The chance a would-be approval joins the audit sample: the base rate times how cheap it
    is to check, review_cost / (review_cost − approve_cost), between 1 and AUDIT_MAX_WEIGHT.

    The probability is recorded on the decision, so labels from the sample are weighted by its
    inverse wherever they stand for all approvals.
    """
    net = np.asarray(review_cost - approve_cost, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        cheapness = np.asarray(review_cost, dtype=float) / net
    weight = _where(net <= 0, AUDIT_MAX_WEIGHT, cheapness)
    chance = np.minimum(base_rate * np.minimum(np.maximum(weight, 1.0), AUDIT_MAX_WEIGHT), 1.0)
    return _one(_where(np.asarray(base_rate) <= 0, 0.0, chance))


def cheapest_action(*, approve, reject, review, review_open):
    """The cheapest action priced, review only where one can open. On equal cost the action that
    bothers the customer least: approve, then review, then reject."""
    approve_wins = np.logical_and(
        approve <= reject, np.logical_not(np.logical_and(review_open, review < approve))
    )
    review_wins = np.logical_and(review_open, review <= reject)
    return _one(
        _where(approve_wins, Action.APPROVE, _where(review_wins, Action.REVIEW, Action.REJECT))
    )


@dataclass(frozen=True)
class _Prices:
    """Every number a decision rests on, for one return or as columns of many."""

    distrust: object
    probability: object  # priced at: the model's, or raised by OOD distrust
    pessimistic: object  # OOD distrust raised it
    p: object  # `probability` as an exact Decimal
    expected_loss: object
    breached: object
    exposure: object
    lam: object
    # The review's price beyond the review itself: zero for a return joining an open case,
    # None where no review can open today.
    surcharge: object
    review_open: object
    approve: object
    reject: object
    review: object


def _priced(facts, settings: PolicySettings, *, hard) -> _Prices:
    """The prices of `facts`: a ReturnFacts, or its fields as columns (see policy_decide_frame)."""
    distrust = ood_distrust(
        ood=facts.ood,
        hard=hard,
        gap=facts.ood_score - facts.ood_threshold,
        novelty_share=facts.ood_novelty_share,
    )
    probability, pessimistic = priced_probability(
        probability=facts.fraud_probability,
        distrust=distrust,
        ood_fraud_probability=settings.ood_fraud_probability,
    )
    floor = facts.probability_floor
    probability = _one(_where(probability < floor, floor, probability))
    p = _exact(probability)
    expected_loss = expected_loss_of(probability, facts.order_value)
    breached = budget_breached(
        booked_loss=facts.booked_loss, expected_loss=expected_loss, budget=facts.budget
    )
    exposure = account_exposure(
        velocity=facts.returns_velocity_30d,
        order_value=facts.order_value,
        frequent=frequent_returner(
            velocity=facts.returns_velocity_30d, hold_velocity=settings.hold_velocity
        ),
        breached=breached,
    )
    lam = portfolio_lambda(booked=facts.portfolio_booked, budget=facts.portfolio_budget)
    capacity = capacity_price(
        opened=facts.reviews_opened,
        capacity=settings.review_capacity,
        review_cost=settings.review_cost,
    )
    # A return joining its customer's open case is decided by that case's one review.
    surcharge = _one(_where(facts.open_case, NO_COST, capacity))
    review_open = _one(np.logical_not(_absent(surcharge)))
    review = _where(
        facts.open_case,
        NO_COST,
        _money(settings.review_cost + _where(review_open, surcharge, Decimal("0"))),
    )
    approve = _money(p * facts.order_value * (1 + lam) + p * exposure)
    return _Prices(
        distrust=distrust,
        probability=probability,
        pessimistic=pessimistic,
        p=p,
        expected_loss=expected_loss,
        breached=breached,
        exposure=exposure,
        lam=lam,
        surcharge=surcharge,
        review_open=review_open,
        approve=_one(_where(approve < facts.approve_floor, facts.approve_floor, approve)),
        reject=_money((1 - p) * settings.false_reject_cost),
        review=_one(review),
    )


def policy_decide(facts: ReturnFacts, settings: PolicySettings) -> PolicyOutcome:
    reasons = list(facts.ood_reasons)
    priced = _priced(facts, settings, hard=hard_ood(facts.ood_reasons))
    probability, p = priced.probability, priced.p
    if priced.pessimistic:
        distrust = priced.distrust
        reasons.append(
            {
                "code": ReasonCode.OOD_PESSIMISTIC,
                "text": f"model probability {facts.fraud_probability:.3f} "
                f"{'not trusted' if distrust == 1 else f'trusted {1 - distrust:.0%}'} out of "
                f"distribution; priced at {probability:.2f}",
            }
        )
    expected_loss, breached, exposure = priced.expected_loss, priced.breached, priced.exposure
    lam, extra, review_open = priced.lam, priced.surcharge, priced.review_open
    costs = {
        Action.APPROVE: priced.approve,
        Action.REJECT: priced.reject,
        Action.REVIEW: priced.review,
    }
    prices = {
        "portfolio_budget": None if facts.portfolio_budget is None else str(facts.portfolio_budget),
        "portfolio_lambda": str(lam.quantize(Decimal("0.0001"))),
        "review_price": str(costs[Action.REVIEW]) if review_open else None,
        "capacity": settings.review_capacity,
        "capacity_used": facts.reviews_opened,
        "joins_case": facts.open_case,
    }
    available = {a: c for a, c in costs.items() if a != Action.REVIEW or review_open}
    ranked = sorted(available.items(), key=lambda item: item[1])
    reasons.append(
        {
            "code": ReasonCode.EXPECTED_COST,
            "text": " < ".join(f"{action} {usd(cost)}" for action, cost in ranked),
        }
    )
    reasons.extend(facts.rule_reasons)
    if exposure:
        why = (
            f"account is past its budget ({usd(facts.booked_loss)} + {usd(expected_loss)} > "
            f"{usd(facts.budget)})"
            if breached
            else f"account returns {facts.returns_velocity_30d} times in 30 days"
        )
        reasons.append(
            {
                "code": ReasonCode.BUDGET_EXCEEDED if breached else ReasonCode.ACCOUNT_EXPOSURE,
                "text": f"{why}: approving leaves about {usd(exposure)} of returns open, so "
                f"approving is priced with {usd(money(p * exposure))} more; a fraud verdict "
                "should hold it",
            }
        )
    if lam > 0:
        where = (
            f"at {facts.portfolio_booked / facts.portfolio_budget:.0%} of today's "
            f"{usd(facts.portfolio_budget)}"
            if facts.portfolio_budget
            else "with a zero portfolio budget"
        )
        reasons.append(
            {
                "code": ReasonCode.PORTFOLIO_BUDGET_EXCEEDED,
                "text": f"{facts.payment_method} {where}: approving priced ×{1 + lam:.1f}",
            }
        )
    if extra:
        reasons.append(
            {
                "code": ReasonCode.REVIEW_CAPACITY,
                "text": f"{facts.reviews_opened} of today's {settings.review_capacity} reviews "
                f"opened: a review priced {usd(costs[Action.REVIEW])}",
            }
        )
    elif not review_open:
        reasons.append(
            {
                "code": ReasonCode.REVIEW_CAPACITY,
                "text": f"all {settings.review_capacity} of today's reviews are opened: "
                "the cheaper of approving and rejecting",
            }
        )

    def outcome(action, code=None, text=None):
        if code:
            leading = [r for r in reasons if r["code"] == code]
            reasons[:] = [r for r in reasons if r["code"] != code]
            reasons.insert(
                0, leading[0] if leading and text is None else {"code": code, "text": text}
            )
        return PolicyOutcome(
            action,
            probability,
            costs,
            reasons,
            expected_loss,
            exposure,
            prices,
            joins_case=action == Action.REVIEW and facts.open_case,
        )

    if facts.hold_mode:
        action = Action.REVIEW if facts.hold_mode == "review" else Action.REJECT
        return outcome(action, ReasonCode.CUSTOMER_HOLD, f"customer is on hold ({facts.hold_mode})")

    if facts.forced_action:
        # The forcing rule's reason leads (scoring.rules puts it first).
        if facts.rule_reasons:
            reasons.remove(facts.rule_reasons[0])
            reasons.insert(0, facts.rule_reasons[0])
        return outcome(facts.forced_action)

    action = cheapest_action(
        approve=costs[Action.APPROVE],
        reject=costs[Action.REJECT],
        review=costs[Action.REVIEW],
        review_open=review_open,
    )
    if action == Action.REVIEW and facts.open_case:
        return outcome(
            action,
            ReasonCode.OPEN_CASE,
            "the customer's open case decides this return too: it waits for that verdict "
            "at no extra review",
        )
    if action != Action.APPROVE:
        # Name the price that moved the decision off approving, if one did.
        plain = money(p * facts.order_value)
        with_exposure = money(plain + p * exposure)
        if plain <= min(available.values()):
            if with_exposure > costs[action]:
                return outcome(
                    action, ReasonCode.BUDGET_EXCEEDED if breached else ReasonCode.ACCOUNT_EXPOSURE
                )
            if lam > 0:
                return outcome(action, ReasonCode.PORTFOLIO_BUDGET_EXCEEDED)
    if action == Action.REVIEW:
        return outcome(
            action,
            ReasonCode.UNCERTAIN,
            f"a review ({usd(costs[Action.REVIEW])}) is cheaper than approving "
            f"({usd(costs[Action.APPROVE])}) or rejecting ({usd(costs[Action.REJECT])})",
        )
    if action == Action.REJECT:
        if not review_open and costs[Action.REVIEW] < costs[Action.REJECT]:
            return outcome(action, ReasonCode.REVIEW_CAPACITY)
        return outcome(action)
    if facts.audits_left > 0 and review_open and not facts.open_case:
        chance = audit_inclusion_probability(
            base_rate=facts.audit_base_rate,
            approve_cost=costs[Action.APPROVE],
            review_cost=costs[Action.REVIEW],
        )
        prices.update(
            audit_probability=round(chance, 6),
            audit_base_rate=round(facts.audit_base_rate, 6),
            audits_left=facts.audits_left,
        )
        if facts.audit_draw < chance:
            return outcome(
                Action.REVIEW,
                ReasonCode.AUDIT_SAMPLE,
                f"picked for the audit sample (chance {chance:.2%}) so that labels include "
                "returns the model trusts",
            )
    return outcome(Action.APPROVE)


# The columns policy_decide_frame reads besides the required ones, with ReturnFacts' defaults.
_FACT_DEFAULTS = {
    f.name: f.default if f.default is not MISSING else f.default_factory()
    for f in fields(ReturnFacts)
    if f.default is not MISSING or f.default_factory is not MISSING
}
_AMOUNTS = (
    "order_value",
    "booked_loss",
    "budget",
    "portfolio_booked",
    "portfolio_budget",
    "approve_floor",
)
_REQUIRED = ("order_value", "fraud_probability", "ood")


def _amounts(values: list) -> np.ndarray:
    """Amounts as Decimals, a float read as its shortest repr (as a CSV writes it); None where
    there is none (None or NaN)."""
    return np.array(
        [
            None
            if pd.isna(value)
            else value
            if isinstance(value, Decimal)
            else Decimal(repr(value))
            for value in values
        ],
        dtype=object,
    )


def policy_decide_frame(frame: pd.DataFrame, settings: PolicySettings) -> pd.DataFrame:
    """`policy_decide` for every row of `frame` at once: the same actions, the same prices to the
    cent, from the same price functions.

    The columns are ReturnFacts' fields; order_value, fraud_probability and ood are required,
    any other missing column takes the field's default (the rules' probability_floor,
    approve_floor and forced_action included). Amounts may be Decimals or floats (read
    as their shortest repr, as a CSV writes them); a budget that is not set is None or NaN.

    Each row is decided on its own columns. What the row path sees evolve through a day — the
    account's booked loss, the payment method's portfolio booked so far, the reviews opened so
    far, the audit reviews left, an open case of the customer — are per-row inputs here, taken
    as given: nothing one row decides reaches another. A caller whose returns must feed into
    each other's decisions (the workers, a replay) decides them in order with policy_decide.

    Returns, on the frame's index: action; probability_used; cost_approve, cost_reject,
    cost_review, expected_loss, exposure and portfolio_lambda (Decimals); joins_case; and, for
    each reason code that follows from the prices, whether policy_decide's reasons carry it:
    ood_pessimistic, budget_exceeded, account_exposure, portfolio_budget_exceeded,
    review_capacity, customer_hold, audit_sample.
    """
    missing = [name for name in _REQUIRED if name not in frame.columns]
    if missing:
        raise ValueError(f"policy_decide_frame needs the columns {', '.join(missing)}")

    def column(name: str) -> list:
        return (
            frame[name].tolist() if name in frame.columns else [_FACT_DEFAULTS[name]] * len(frame)
        )

    def numbers(name: str, dtype) -> np.ndarray:
        return np.asarray(column(name), dtype=dtype)

    facts = SimpleNamespace(
        **{name: _amounts(column(name)) for name in _AMOUNTS},
        fraud_probability=numbers("fraud_probability", float),
        ood=numbers("ood", bool),
        ood_score=numbers("ood_score", float),
        ood_threshold=numbers("ood_threshold", float),
        ood_novelty_share=numbers("ood_novelty_share", float),
        # Python ints, which Decimal arithmetic accepts and numpy's do not.
        returns_velocity_30d=np.array([int(v) for v in column("returns_velocity_30d")], object),
        reviews_opened=np.array([int(v) for v in column("reviews_opened")], dtype=object),
        open_case=numbers("open_case", bool),
        probability_floor=numbers("probability_floor", float),
    )
    hard = np.array([hard_ood(reasons) for reasons in column("ood_reasons")], dtype=bool)
    priced = _priced(facts, settings, hard=hard)
    cheapest = cheapest_action(
        approve=priced.approve,
        reject=priced.reject,
        review=priced.review,
        review_open=priced.review_open,
    )
    hold_mode = np.array([mode if isinstance(mode, str) else "" for mode in column("hold_mode")])
    held = hold_mode != ""
    forced = np.array([a if isinstance(a, str) else "" for a in column("forced_action")])
    chance = audit_inclusion_probability(
        base_rate=numbers("audit_base_rate", float),
        approve_cost=priced.approve,
        review_cost=priced.review,
    )
    audited = (
        ~held
        & (forced == "")
        & (cheapest == Action.APPROVE)
        & (numbers("audits_left", int) > 0)
        & priced.review_open
        & ~facts.open_case
        & (numbers("audit_draw", float) < chance)
    )
    action = np.where(
        held,
        np.where(hold_mode == "review", Action.REVIEW, Action.REJECT),
        np.where(forced != "", forced, np.where(audited, Action.REVIEW, cheapest)),
    )
    exposed = np.asarray(priced.exposure != 0, dtype=bool)
    surcharge = np.where(priced.review_open, priced.surcharge, NO_COST)
    return pd.DataFrame(
        {
            "action": action.astype(object),
            "probability_used": priced.probability,
            "cost_approve": priced.approve,
            "cost_reject": priced.reject,
            "cost_review": priced.review,
            "expected_loss": priced.expected_loss,
            "exposure": priced.exposure,
            "portfolio_lambda": priced.lam,
            "joins_case": (action == Action.REVIEW) & facts.open_case,
            ReasonCode.OOD_PESSIMISTIC: priced.pessimistic,
            ReasonCode.BUDGET_EXCEEDED: exposed & priced.breached,
            ReasonCode.ACCOUNT_EXPOSURE: exposed & ~priced.breached,
            ReasonCode.PORTFOLIO_BUDGET_EXCEEDED: np.asarray(priced.lam > 0, dtype=bool),
            ReasonCode.REVIEW_CAPACITY: ~priced.review_open
            | np.asarray(surcharge != 0, dtype=bool),
            ReasonCode.CUSTOMER_HOLD: held,
            ReasonCode.AUDIT_SAMPLE: audited,
        },
        index=frame.index,
    )
