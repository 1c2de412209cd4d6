"""The economic report's figures, from live decisions or a replay's output, and the failures.

The /reports/ page and the `economic_report` command both take an `EconomicReport` from here
and only draw it (scoring/charts.py) or write its tables, so the two cannot disagree.

Costs are priced at one set of prices (the live cost settings, or the replay's): a return with
a label costs what its action really cost; one without is priced at its expected cost from the
model's probability. A review costs the same whatever the truth, so it counts as known.
"""

import csv
import json
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

import numpy as np
from django.db.models import OuterRef, Q, Subquery
from django.utils import timezone

from budgets.models import CustomerHold
from casework.choices import Outcome
from casework.models import Label, ReturnRequest, ReviewCase
from ml.economics import ACTIONS, expected_costs_batch, realized_costs_batch
from scoring.models import Decision
from scoring.services.policies import cost_settings_current

# Below this span of decisions, hours are the periods; above it, days.
HOURLY_BELOW = timedelta(days=2)
BREACH_CODES = ("budget_exceeded", "portfolio_budget_exceeded")
COST_CATEGORIES = {
    "fraud_loss": "Fraud loss (approved fraud)",
    "insult_cost": "Insult cost (rejected legitimate)",
    "review_cost": "Review cost",
    "audit_review_cost": "Audit-sample review cost",
}


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


def _money(value) -> float:
    return round(float(value), 2)


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
    n = len(rows.action)
    action = rows.action
    known_cost = realized_costs_batch(
        action, rows.is_fraud, rows.value, false_reject_cost, review_cost
    )
    expected = expected_costs_batch(rows.probability, rows.value, false_reject_cost, review_cost)
    columns = np.array([ACTIONS.index(a) for a in action], dtype=int)
    estimate = expected[np.arange(n), columns] if n else np.zeros(0)
    known = rows.labelled | (action == "review")
    cost = np.where(known, known_cost, estimate)
    # Approving everything loses a labelled fraud's value, and p × value of an unlabelled one.
    approve_all = np.where(
        rows.labelled, np.where(rows.is_fraud, rows.value, 0.0), rows.probability * rows.value
    )
    leading = np.array([codes[0] if codes else "" for codes in rows.codes], dtype=object)
    audit = leading == "audit_sample"

    def per_period(values: np.ndarray) -> np.ndarray:
        return np.bincount(rows.period, weights=values, minlength=len(periods))

    policy_by_period = per_period(cost)
    approve_all_by_period = per_period(approve_all)
    cumulative = [
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
            policy_by_period,
            approve_all_by_period,
            np.cumsum(policy_by_period),
            np.cumsum(approve_all_by_period),
            per_period(np.where(known, 0.0, cost)),
            strict=True,
        )
    ]
    mix = [
        {"period": label, **{a: int(c) for a, c in zip(ACTIONS, counts, strict=True)}}
        for label, *counts in zip(
            periods,
            *(np.bincount(rows.period[action == a], minlength=len(periods)) for a in ACTIONS),
            strict=True,
        )
    ]
    masks = {
        "fraud_loss": action == "approve",
        "insult_cost": action == "reject",
        "review_cost": (action == "review") & ~audit,
        "audit_review_cost": audit,
    }
    costs = [
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
    breach_counts = {
        code: per_period(np.array([code in codes for codes in rows.codes], dtype=float))
        for code in BREACH_CODES
    }
    stopped = per_period((leading == "customer_hold").astype(float))
    breaches = [
        {
            "period": label,
            "budget_exceeded": int(breach_counts["budget_exceeded"][i]),
            "portfolio_budget_exceeded": int(breach_counts["portfolio_budget_exceeded"][i]),
            "stopped_by_hold": int(stopped[i]),
            **(holds[i] if holds else {}),
        }
        for i, label in enumerate(periods)
    ]
    samples = {
        a: {"probability": rows.probability[action == a], "ood_score": rows.ood_score[action == a]}
        for a in ACTIONS
    }
    scores = [
        {"action": a, "returns": int(len(s["probability"]))}
        | _quartiles("fraud_probability", s["probability"])
        | _quartiles("ood_score", s["ood_score"])
        for a, s in samples.items()
    ]
    totals = {
        "returns": n,
        "labelled": int(rows.labelled.sum()),
        "policy_cost": _money(cost.sum()),
        "known_cost": _money(cost[known].sum()),
        "estimated_cost": _money(cost[~known].sum()),
        "approve_all_cost": _money(approve_all.sum()),
        "saving_vs_approve_all": _money(approve_all.sum() - cost.sum()),
        "policy_cost_per_return": _money(cost.sum() / n) if n else 0.0,
        "approve_all_cost_per_return": _money(approve_all.sum() / n) if n else 0.0,
        **{a: int((action == a).sum()) for a in ACTIONS},
    }
    return EconomicReport(
        title=title,
        source=source,
        period_unit=period_unit,
        returns=n,
        labelled=int(rows.labelled.sum()),
        false_reject_cost=false_reject_cost,
        review_cost=review_cost,
        totals=totals,
        cumulative=cumulative,
        mix=mix,
        costs=costs,
        breaches=breaches,
        scores=scores,
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
    """Period starts from `first` to `last`: hours for a short span, days otherwise."""
    if last - first < HOURLY_BELOW:
        step, unit = timedelta(hours=1), "hour"
        start = first.replace(minute=0, second=0, microsecond=0)
    else:
        step, unit = timedelta(days=1), "day"
        start = first.replace(hour=0, minute=0, second=0, microsecond=0)
    starts = [start]
    while starts[-1] + step <= last:
        starts.append(starts[-1] + step)
    return starts, step, unit


def _period_label(start: datetime, unit: str) -> str:
    return start.strftime("%Y-%m-%d %H:00" if unit == "hour" else "%Y-%m-%d")


def economic_report_for(*, days: int, now: datetime | None = None) -> EconomicReport:
    """The report over the returns decided in the last `days` days, at the live prices."""
    now = now or timezone.now()
    since = now - timedelta(days=days)
    settings = cost_settings_current()
    newest_label = Label.objects.filter(return_request=OuterRef("return_request")).order_by(
        "-observed_at", "-id"
    )
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
        )
    )
    first = decisions[0][0] if decisions else since
    starts, step, unit = _periods(first, now)
    ends = [min(start + step, now) for start in starts]

    def period_of(when: datetime) -> int:
        return min(int((when - starts[0]) / step), len(starts) - 1)

    holds = list(
        CustomerHold.objects.filter(
            Q(released_at__isnull=True) | Q(released_at__gte=starts[0]), created_at__lte=now
        ).values_list("created_at", "released_at")
    )
    cases = list(
        ReviewCase.objects.filter(
            Q(resolved_at__isnull=True) | Q(resolved_at__gte=starts[0]), created_at__lte=now
        ).values_list("created_at", "resolved_at")
    )
    labels = [d[7] for d in decisions]
    rows = _Rows(
        period=np.array([period_of(d[0]) for d in decisions], dtype=int),
        action=np.array([d[1] for d in decisions], dtype=object),
        value=np.array([float(d[2]) for d in decisions], dtype=float),
        probability=np.array([d[3] for d in decisions], dtype=float),
        ood_score=np.array([d[4] for d in decisions], dtype=float),
        labelled=np.array([label is not None for label in labels], dtype=bool),
        is_fraud=np.array([bool(label) for label in labels], dtype=bool),
        codes=[[reason["code"] for reason in d[6]] for d in decisions],
    )
    return _build(
        rows,
        periods=[_period_label(start, unit) for start in starts],
        title=f"Returns decided in the last {days} day{'s' if days != 1 else ''}",
        source="live",
        period_unit=unit,
        false_reject_cost=float(settings.false_reject_cost),
        review_cost=float(settings.review_cost),
        holds=_holds_by_period(holds, starts, ends),
        ood_threshold=float(np.median([d[5] for d in decisions])) if decisions else None,
        queue=_queue_by_period(cases, [_period_label(s, unit) for s in starts], ends),
        queue_now=_queue_at(cases, now),
        sla_hours=settings.review_sla_hours,
    )


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
        for created, resolved in cases
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

    The replay has no clock; returns arrive in file order, so periods are blocks of
    `per_period` returns (the replay's --per-day). Every replayed return has its true label.
    """
    summary = json.loads((directory / "summary.json").read_text())
    with (directory / "decisions.csv").open(newline="") as handle:
        decisions = list(csv.DictReader(handle))
    n = len(decisions)
    blocks = max(1, -(-n // per_period))
    rows = _Rows(
        period=np.arange(n, dtype=int) // per_period,
        action=np.array([d["action"] for d in decisions], dtype=object),
        value=np.array([float(d["order_value"]) for d in decisions], dtype=float),
        probability=np.array([float(d["fraud_probability"]) for d in decisions], dtype=float),
        ood_score=np.array([float(d["ood_score"]) for d in decisions], dtype=float),
        labelled=np.ones(n, dtype=bool),
        is_fraud=np.array([d["is_fraud"] == "1" for d in decisions], dtype=bool),
        codes=[_replay_codes(d["reasons"]) for d in decisions],
    )
    policy = summary["policy"]
    return _build(
        rows,
        periods=[str(i + 1) for i in range(blocks)],
        title=f"Replay in {directory.name}",
        source="replay",
        period_unit=f"block of {per_period:,} returns",
        false_reject_cost=float(policy["false_reject_cost"]),
        review_cost=float(policy["review_cost"]),
        holds=None,
        queue_note="The replay's oracle reviewer resolves each case as it arises: no queue.",
    )


def _replay_codes(reasons: str) -> list[str]:
    """Codes from the replay's "code: text; code: text" column."""
    codes = (part.split(":", 1)[0].strip() for part in reasons.split("; "))
    return [code for code in codes if code and code.replace("_", "").isalpha()]


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
    newest = Label.objects.filter(return_request=OuterRef("pk")).order_by("-observed_at", "-id")
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
