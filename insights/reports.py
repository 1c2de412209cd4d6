"""The economic report: its figures computed from one row per decision, read from the live
decisions or from a replay's output; and the failure analysis.

The /reports/ page and the `economic_report` command both take an `EconomicReport` from here
and only draw it (insights/charts.py) or write its tables, so the two cannot disagree.

Costs are priced at one set of prices (the live cost settings, or the replay's): a return with
a label costs what its action really cost; one without is priced at its expected cost from the
model's probability. A review costs the same whatever the truth, so it counts as known. A
return that joined a customer's open case bought no review of its own: the case's one review is
counted on the case, and the return costs what the verdict made it (nothing while it waits).
"""

import csv
import json
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path

import numpy as np
from django.db.models import OuterRef, Q, Subquery
from django.utils import timezone

from budgets.models import CustomerHold
from casework.models import Label, ReviewCase
from intake.choices import Outcome
from intake.models import ReturnRequest
from ml.economics import ACTIONS, costs_known_or_expected
from scoring.choices import ReasonCode
from scoring.models import Decision
from scoring.services.policies import cost_settings_current, cost_snapshot, review_capacity_on

# A span of decisions up to a day is drawn in minutes, up to a week in hours, beyond in days.
# Within a day the shortest of these steps that keeps a chart to MAX_MINUTE_PERIODS points is
# taken, so a desk that opened an hour ago draws a line rather than a dot.
MINUTE_STEPS = (1, 2, 5, 10, 15, 30)
MAX_MINUTE_PERIODS = 96
HOURS_UP_TO = timedelta(days=7)
BREACH_CODES = (ReasonCode.BUDGET_EXCEEDED, ReasonCode.PORTFOLIO_BUDGET_EXCEEDED)
COST_CATEGORIES = {
    "fraud_loss": "Fraud loss (approved fraud)",
    "insult_cost": "Insult cost (rejected legitimate)",
    "review_cost": "Review cost",
    "audit_review_cost": "Audit-sample review cost",
}
# The action a verdict's outcome amounts to, for a return that joined a case.
SETTLED_AS = {Outcome.APPROVED: "approve", Outcome.REJECTED: "reject"}


@dataclass
class EconomicReport:
    """Everything the charts and CSV files show; lists of dicts are the CSV tables."""

    title: str
    source: str  # "live" or "replay"
    period_unit: str
    returns: int
    labelled: int
    false_reject_cost: float
    review_cost: float
    totals: dict
    cumulative: list[dict]
    mix: list[dict]
    costs: list[dict]
    breaches: list[dict]
    scores: list[dict]
    # Per action, the probabilities and OOD scores themselves, for the box plots.
    score_samples: dict = field(default_factory=dict)
    ood_threshold: float | None = None
    queue: list[dict] = field(default_factory=list)
    queue_now: dict | None = None
    queue_note: str = ""
    sla_hours: int | None = None
    # Review cases opened per (UTC) day against the day's capacity, as the capacity counts them.
    reviews_per_day: list[dict] = field(default_factory=list)
    reviews_per_day_note: str = ""
    # Per period, the constraint prices the decisions recorded (Decision.prices).
    prices: list[dict] = field(default_factory=list)
    prices_note: str = ""

    @property
    def labelled_share(self) -> float:
        return self.labelled / self.returns if self.returns else 0.0

    @property
    def basis(self) -> str:
        """How the costs were arrived at, in one sentence, for every chart that shows them."""
        return (
            f"Labels where known ({self.labelled_share:.0%} of {self.returns:,} returns), "
            f"expected loss from the model's probability otherwise; priced at false reject "
            f"${self.false_reject_cost:,.2f}, review ${self.review_cost:,.2f}."
        )

    def tables(self) -> dict[str, list[dict]]:
        return {
            "totals": [self.totals],
            "cumulative": self.cumulative,
            "mix": self.mix,
            "costs": self.costs,
            "breaches": self.breaches,
            "scores": self.scores,
            "queue": self.queue,
            "reviews_per_day": self.reviews_per_day,
            "prices": self.prices,
        }


@dataclass(frozen=True)
class _Rows:
    """One entry per decision, oldest first, as arrays."""

    period: np.ndarray  # index into the period labels
    action: np.ndarray
    value: np.ndarray
    probability: np.ndarray
    ood_score: np.ndarray
    labelled: np.ndarray
    is_fraud: np.ndarray
    codes: list  # list of reason code lists
    joined: np.ndarray  # the return joined a customer's open case
    settled: np.ndarray  # "approve" or "reject" once a verdict settled it, else ""


def _money(value) -> float:
    return round(float(value), 2)


@dataclass(frozen=True)
class _Charged:
    """What each return is charged as, and what that cost."""

    action: np.ndarray  # a joined return as its verdict settled it
    cost: np.ndarray
    known: np.ndarray  # the cost is realized, not estimated
    reviewed: np.ndarray  # the return bought a review
    approve_all: np.ndarray  # what approving it would have cost
    leading: np.ndarray  # the decision's leading reason code


def _charge(rows: _Rows, *, false_reject_cost: float, review_cost: float) -> _Charged:
    waiting = rows.joined & (rows.settled == "")
    # A joined return is charged as its verdict settled it; one still waiting keeps "review"
    # here but costs nothing, its case's review being counted once.
    action = np.where(rows.joined & ~waiting, rows.settled, rows.action)
    cost, known = costs_known_or_expected(
        action,
        labelled=rows.labelled,
        is_fraud=rows.is_fraud,
        probability=rows.probability,
        value=rows.value,
        false_reject_cost=false_reject_cost,
        review_cost=review_cost,
    )
    return _Charged(
        action=action,
        cost=np.where(waiting, 0.0, cost),
        known=known,
        reviewed=(action == "review") & ~waiting,
        # Approving everything loses a labelled fraud's value, and p × value of an unlabelled.
        approve_all=np.where(
            rows.labelled, np.where(rows.is_fraud, rows.value, 0.0), rows.probability * rows.value
        ),
        leading=np.array([codes[0] if codes else "" for codes in rows.codes], dtype=object),
    )


def _per_period(rows: _Rows, periods: list[str], values: np.ndarray) -> np.ndarray:
    return np.bincount(rows.period, weights=values, minlength=len(periods))


def _cumulative(rows: _Rows, charged: _Charged, periods: list[str]) -> list[dict]:
    policy = _per_period(rows, periods, charged.cost)
    approve_all = _per_period(rows, periods, charged.approve_all)
    return [
        {
            "period": label,
            "returns": int(count),
            "cost": _money(c),
            "approve_all_cost": _money(a),
            "cumulative_cost": _money(cc),
            "cumulative_approve_all_cost": _money(ca),
            "estimated_cost": _money(e),
        }
        for label, count, c, a, cc, ca, e in zip(
            periods,
            np.bincount(rows.period, minlength=len(periods)),
            policy,
            approve_all,
            np.cumsum(policy),
            np.cumsum(approve_all),
            _per_period(rows, periods, np.where(charged.known, 0.0, charged.cost)),
            strict=True,
        )
    ]


def _mix(rows: _Rows, periods: list[str]) -> list[dict]:
    return [
        {"period": label, **{a: int(c) for a, c in zip(ACTIONS, counts, strict=True)}}
        for label, *counts in zip(
            periods,
            *(np.bincount(rows.period[rows.action == a], minlength=len(periods)) for a in ACTIONS),
            strict=True,
        )
    ]


def _cost_categories(charged: _Charged) -> list[dict]:
    audit = charged.leading == ReasonCode.AUDIT_SAMPLE
    masks = {
        "fraud_loss": charged.action == "approve",
        "insult_cost": charged.action == "reject",
        "review_cost": charged.reviewed & ~audit,
        "audit_review_cost": charged.reviewed & audit,
    }
    cost, known = charged.cost, charged.known
    return [
        {
            "category": name,
            "label": COST_CATEGORIES[name],
            "returns": int(mask.sum()),
            "known": _money(cost[mask & known].sum()),
            "estimated": _money(cost[mask & ~known].sum()),
            "total": _money(cost[mask].sum()),
        }
        for name, mask in masks.items()
    ]


def _breaches(
    rows: _Rows, charged: _Charged, periods: list[str], holds: list[dict] | None
) -> list[dict]:
    counts = {
        code: _per_period(rows, periods, np.array([code in c for c in rows.codes], dtype=float))
        for code in BREACH_CODES
    }
    stopped = _per_period(
        rows, periods, (charged.leading == ReasonCode.CUSTOMER_HOLD).astype(float)
    )
    return [
        {
            "period": label,
            "budget_exceeded": int(counts[ReasonCode.BUDGET_EXCEEDED][i]),
            "portfolio_budget_exceeded": int(counts[ReasonCode.PORTFOLIO_BUDGET_EXCEEDED][i]),
            "stopped_by_hold": int(stopped[i]),
            **(holds[i] if holds else {}),
        }
        for i, label in enumerate(periods)
    ]


def _score_samples(rows: _Rows) -> dict:
    return {
        a: {
            "probability": rows.probability[rows.action == a],
            "ood_score": rows.ood_score[rows.action == a],
        }
        for a in ACTIONS
    }


def _totals(rows: _Rows, charged: _Charged) -> dict:
    n, cost, known = len(rows.action), charged.cost, charged.known
    return {
        "returns": n,
        "labelled": int(rows.labelled.sum()),
        "policy_cost": _money(cost.sum()),
        "known_cost": _money(cost[known].sum()),
        "estimated_cost": _money(cost[~known].sum()),
        "approve_all_cost": _money(charged.approve_all.sum()),
        "saving_vs_approve_all": _money(charged.approve_all.sum() - cost.sum()),
        "policy_cost_per_return": _money(cost.sum() / n) if n else 0.0,
        "approve_all_cost_per_return": _money(charged.approve_all.sum() / n) if n else 0.0,
        **{a: int((rows.action == a).sum()) for a in ACTIONS},
        "reviews_opened": int(charged.reviewed.sum()),
        "joined_open_case": int(rows.joined.sum()),
    }


def _build(
    rows: _Rows,
    *,
    periods: list[str],
    title: str,
    source: str,
    period_unit: str,
    false_reject_cost: float,
    review_cost: float,
    holds: list[dict] | None,
    **extra,
) -> EconomicReport:
    """The report's figures from one row per decision: charge → per period → totals."""
    charged = _charge(rows, false_reject_cost=false_reject_cost, review_cost=review_cost)
    samples = _score_samples(rows)
    return EconomicReport(
        title=title,
        source=source,
        period_unit=period_unit,
        returns=len(rows.action),
        labelled=int(rows.labelled.sum()),
        false_reject_cost=false_reject_cost,
        review_cost=review_cost,
        totals=_totals(rows, charged),
        cumulative=_cumulative(rows, charged, periods),
        mix=_mix(rows, periods),
        costs=_cost_categories(charged),
        breaches=_breaches(rows, charged, periods, holds),
        scores=[
            {"action": a, "returns": int(len(s["probability"]))}
            | _quartiles("fraud_probability", s["probability"])
            | _quartiles("ood_score", s["ood_score"])
            for a, s in samples.items()
        ],
        score_samples=samples,
        **extra,
    )


def _quartiles(name: str, values: np.ndarray) -> dict:
    if not len(values):
        return {f"{name}_{s}": None for s in ("mean", "q1", "median", "q3")}
    q1, median, q3 = np.percentile(values, [25, 50, 75])
    return {
        f"{name}_mean": round(float(values.mean()), 4),
        f"{name}_q1": round(float(q1), 4),
        f"{name}_median": round(float(median), 4),
        f"{name}_q3": round(float(q3), 4),
    }


def _periods(first: datetime, last: datetime) -> tuple[list[datetime], timedelta, str]:
    """Period starts from `first` to `last`, their length, and that length in words."""
    span = last - first
    if span <= timedelta(days=1):
        minutes = next(
            (m for m in MINUTE_STEPS if span <= timedelta(minutes=m * (MAX_MINUTE_PERIODS - 1))),
            MINUTE_STEPS[-1],
        )
        step, unit = timedelta(minutes=minutes), f"{minutes} minute{'s' if minutes > 1 else ''}"
        start = first.replace(minute=first.minute - first.minute % minutes, second=0, microsecond=0)
    elif span <= HOURS_UP_TO:
        step, unit = timedelta(hours=1), "1 hour"
        start = first.replace(minute=0, second=0, microsecond=0)
    else:
        step, unit = timedelta(days=1), "1 day"
        start = first.replace(hour=0, minute=0, second=0, microsecond=0)
    starts = [start]
    while starts[-1] + step <= last:
        starts.append(starts[-1] + step)
    return starts, step, unit


def _period_label(start: datetime, step: timedelta) -> str:
    return start.strftime("%Y-%m-%d" if step >= timedelta(days=1) else "%Y-%m-%d %H:%M")


def economic_report_for(*, days: int, now: datetime | None = None) -> EconomicReport:
    """The report over the returns decided in the last `days` days, at the live prices."""
    now = now or timezone.now()
    since = now - timedelta(days=days)
    settings = cost_settings_current()
    newest_label = Label.objects.newest_of(OuterRef("return_request"))
    decisions = list(
        Decision.objects.filter(decided_at__gte=since)
        .annotate(label_is_fraud=Subquery(newest_label.values("is_fraud")[:1]))
        .order_by("decided_at", "id")
        .values_list(
            "decided_at",
            "action",
            "return_request__order_value",
            "fraud_probability",
            "ood_score",
            "ood_threshold",
            "reasons",
            "label_is_fraud",
            "return_request__joined__case_id",
            "return_request__outcome",
            "prices",
        )
    )
    first = decisions[0][0] if decisions else since
    starts, step, unit = _periods(first, now)
    ends = [min(start + step, now) for start in starts]
    labels = [_period_label(start, step) for start in starts]
    first_day = starts[0].replace(hour=0, minute=0, second=0, microsecond=0)

    def period_of(when: datetime) -> int:
        return min(int((when - starts[0]) / step), len(starts) - 1)

    holds = list(
        CustomerHold.objects.filter(
            Q(released_at__isnull=True) | Q(released_at__gte=starts[0]), created_at__lte=now
        ).values_list("created_at", "released_at")
    )
    # Cases open during the periods, for the queue, and every case of the days they touch, for
    # the reviews opened per day: the first day is counted whole, as its capacity is.
    cases = list(
        ReviewCase.objects.filter(
            Q(resolved_at__isnull=True)
            | Q(resolved_at__gte=starts[0])
            | Q(decision__decided_at__gte=first_day),
            created_at__lte=now,
        ).values_list("created_at", "resolved_at", "decision__decided_at")
    )
    period = np.array([period_of(d[0]) for d in decisions], dtype=int)
    rows = _Rows(
        period=period,
        action=np.array([d[1] for d in decisions], dtype=object),
        value=np.array([float(d[2]) for d in decisions], dtype=float),
        probability=np.array([d[3] for d in decisions], dtype=float),
        ood_score=np.array([d[4] for d in decisions], dtype=float),
        labelled=np.array([d[7] is not None for d in decisions], dtype=bool),
        is_fraud=np.array([bool(d[7]) for d in decisions], dtype=bool),
        codes=[[reason["code"] for reason in d[6]] for d in decisions],
        joined=np.array([d[8] is not None for d in decisions], dtype=bool),
        settled=np.array([SETTLED_AS.get(d[9], "") for d in decisions], dtype=object),
    )
    prices = [d[10] for d in decisions]
    unpriced = sum(not p for p in prices)
    return _build(
        rows,
        periods=labels,
        title=f"Returns decided in the last {days} day{'s' if days != 1 else ''}",
        source="live",
        period_unit=unit,
        false_reject_cost=float(settings.false_reject_cost),
        review_cost=float(settings.review_cost),
        holds=_holds_by_period(holds, starts, ends),
        ood_threshold=float(np.median([d[5] for d in decisions])) if decisions else None,
        queue=_queue_by_period(cases, labels, ends),
        queue_now=_queue_at(cases, now),
        sla_hours=settings.review_sla_hours,
        reviews_per_day=_reviews_per_day(
            opened=[decided for _, _, decided in cases if decided >= first_day],
            decisions=[(d[0], d[8] is not None, d[10]) for d in decisions],
            days=_days(first_day.date(), now.date()),
            snapshot={"costs": cost_snapshot(settings)},
        ),
        prices=_prices_by_period(prices, period=period, periods=labels),
        prices_note=(
            f"{unpriced:,} of {len(decisions):,} decisions were made before decisions recorded "
            "their prices and are left out."
            if unpriced
            else ""
        ),
    )


def _days(first: date, last: date) -> list[date]:
    return [first + timedelta(days=i) for i in range((last - first).days + 1)]


def _reviews_per_day(*, opened, decisions, days: list[date], snapshot: dict) -> list[dict]:
    """Cases opened on each day against that day's capacity: the capacity its last decision
    priced with, or for a day without one the current settings' capacity for that weekday."""
    cases = Counter(decided.date() for decided in opened)
    joined = Counter(decided.date() for decided, was_joined, _ in decisions if was_joined)
    recorded = {
        decided.date(): prices["capacity"]
        for decided, _, prices in decisions
        if prices.get("capacity") is not None
    }
    return [
        {
            "day": day.isoformat(),
            "cases_opened": cases[day],
            "capacity": recorded.get(day, review_capacity_on(snapshot, day)),
            "returns_joined": joined[day],
        }
        for day in days
    ]


def _prices_by_period(prices: list[dict], *, period: np.ndarray, periods: list[str]) -> list[dict]:
    """Per period, the portfolio λ and review price the decisions were priced at.

    Decisions made before prices were recorded (`prices == {}`) are left out. A return that
    joined an open case was offered its review free, so it says nothing of the review price.
    """
    count = len(periods)
    recorded = np.array([bool(p) for p in prices], dtype=bool)
    lam = np.array([float(p.get("portfolio_lambda") or 0) for p in prices], dtype=float)
    priced = recorded & (lam > 0)
    own = recorded & ~np.array([bool(p.get("joins_case")) for p in prices], dtype=bool)
    full = own & np.array([p.get("review_price", "") is None for p in prices], dtype=bool)

    def number(key: str, mask: np.ndarray) -> np.ndarray:
        return np.array(
            [
                float(p[key]) if m and p.get(key) is not None else np.nan
                for p, m in zip(prices, mask, strict=True)
            ],
            dtype=float,
        )

    def period_max(values: np.ndarray) -> np.ndarray:
        result = np.full(count, np.nan)
        np.fmax.at(result, period, values)
        return result

    def maybe(value: float, digits: int) -> float | None:
        return None if np.isnan(value) else round(float(value), digits)

    def whole(value: float) -> int | None:
        return None if np.isnan(value) else int(value)

    decided = np.bincount(period[recorded], minlength=count)
    by_portfolio = np.bincount(period[priced], minlength=count)
    lam_sum = np.bincount(period, weights=np.where(priced, lam, 0.0), minlength=count)
    lam_max = period_max(np.where(priced, lam, np.nan))
    share = np.where(decided > 0, by_portfolio / np.maximum(decided, 1), np.nan)
    lam_mean = np.where(by_portfolio > 0, lam_sum / np.maximum(by_portfolio, 1), np.nan)
    review_price = period_max(number("review_price", own))
    fulls = np.bincount(period[full], minlength=count)
    used = period_max(number("capacity_used", recorded))
    capacity = period_max(number("capacity", recorded))
    return [
        {
            "period": label,
            "decisions_priced": int(decided[i]),
            "portfolio_priced": int(by_portfolio[i]),
            "portfolio_priced_share": maybe(share[i], 4),
            "lambda_mean": maybe(lam_mean[i], 4),
            "lambda_max": maybe(lam_max[i], 4),
            # "full": some decision of the period found the day's reviews all opened.
            "review_price": "full" if fulls[i] else maybe(review_price[i], 2),
            "capacity_used": whole(used[i]),
            "capacity": whole(capacity[i]),
        }
        for i, label in enumerate(periods)
    ]


def _holds_by_period(holds, starts, ends) -> list[dict]:
    return [
        {
            "holds_placed": sum(start <= created < end for created, _ in holds),
            "holds_released": sum(
                released is not None and start <= released < end for _, released in holds
            ),
            "holds_active": sum(
                created < end and (released is None or released >= end)
                for created, released in holds
            ),
        }
        for start, end in zip(starts, ends, strict=True)
    ]


def _queue_at(cases, when: datetime) -> dict:
    ages = sorted(
        (when - created).total_seconds() / 3600
        for created, resolved, *_ in cases
        if created <= when and (resolved is None or resolved > when)
    )
    return {
        "open_cases": len(ages),
        "oldest_age_hours": round(ages[-1], 2) if ages else 0.0,
        "median_age_hours": round(float(np.median(ages)), 2) if ages else 0.0,
    }


def _queue_by_period(cases, labels, ends) -> list[dict]:
    return [
        {"period": label, **_queue_at(cases, end)} for label, end in zip(labels, ends, strict=True)
    ]


def economic_report_from_replay(*, directory: Path, per_period: int = 1000) -> EconomicReport:
    """The report of a `replay --out DIR`: its decisions.csv, in replay order, and summary.json.

    decisions.csv has no times; returns arrive in file order, so periods are blocks of
    `per_period` returns. Reviews per day come from the summary. Every replayed return has its
    true label.
    """
    summary = json.loads((directory / "summary.json").read_text())
    with (directory / "decisions.csv").open(newline="") as handle:
        decisions = list(csv.DictReader(handle))
    n = len(decisions)
    blocks = max(1, -(-n // per_period))
    codes = [d["reason_codes"].split() for d in decisions]
    rows = _Rows(
        period=np.arange(n, dtype=int) // per_period,
        action=np.array([d["action"] for d in decisions], dtype=object),
        value=np.array([float(d["order_value"]) for d in decisions], dtype=float),
        probability=np.array([float(d["fraud_probability"]) for d in decisions], dtype=float),
        ood_score=np.array([float(d["ood_score"]) for d in decisions], dtype=float),
        labelled=np.ones(n, dtype=bool),
        is_fraud=np.array([d["is_fraud"] == "1" for d in decisions], dtype=bool),
        codes=codes,
        # A return that joined an open case leads with the reason that says so.
        joined=np.array([c[:1] == [ReasonCode.OPEN_CASE] for c in codes], dtype=bool),
        settled=np.array([SETTLED_AS.get(d.get("outcome"), "") for d in decisions], dtype=object),
    )
    policy = summary["policy"]
    opened = summary.get("reviews_per_day")
    return _build(
        rows,
        periods=[str(i + 1) for i in range(blocks)],
        title=f"Replay in {directory.name}",
        source="replay",
        period_unit=f"{per_period:,} returns",
        false_reject_cost=float(policy["false_reject_cost"]),
        review_cost=float(policy["review_cost"]),
        holds=None,
        queue_note="The replay's oracle reviewer resolves each case as it arises: no queue.",
        reviews_per_day=[
            {
                "day": day,
                "cases_opened": count,
                "capacity": review_capacity_on({"costs": policy}, date.fromisoformat(day)),
            }
            for day, count in (opened or {}).items()
        ],
        reviews_per_day_note="" if opened else "This replay's summary has no reviews per day.",
        prices_note="A replay's output does not record the prices its decisions were made at.",
    )


# --- Failure analysis ------------------------------------------------------------------------


@dataclass
class FailureGroup:
    """Approved returns later confirmed fraud, sharing the decision's leading reason."""

    code: str
    returns: list = field(default_factory=list)

    @property
    def value(self):
        return sum(r.order_value for r in self.returns)


def failures_approved_fraud() -> list[FailureGroup]:
    """Approved returns whose newest label says fraud, grouped by the decision's leading
    reason, the largest loss first. Each return carries `label_source` and `label_observed_at`.
    """
    newest = Label.objects.newest_of(OuterRef("pk"))
    returns = (
        ReturnRequest.objects.filter(outcome=Outcome.APPROVED, decision__isnull=False)
        .annotate(
            label_is_fraud=Subquery(newest.values("is_fraud")[:1]),
            label_source=Subquery(newest.values("source")[:1]),
            label_observed_at=Subquery(newest.values("observed_at")[:1]),
        )
        .filter(label_is_fraud=True)
        .select_related("customer", "decision")
        .order_by("decision__decided_at", "id")
    )
    groups: dict[str, FailureGroup] = {}
    for return_request in returns:
        reasons = return_request.decision.reasons
        code = reasons[0]["code"] if reasons else "none"
        groups.setdefault(code, FailureGroup(code=code)).returns.append(return_request)
    return sorted(groups.values(), key=lambda g: (-g.value, g.code))
