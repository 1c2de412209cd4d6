"""Backtest: replay a labelled CSV, in file order, through the code the workers use.

By default the whole file arrives as one day, as a live desk meets it: daily portfolio budgets
and review capacity bind as they would. A `submitted_at` column, where the file has one, gives
each return its own time instead; `per_day` spreads a file without one over several days. The
rows go in as history: each return counts as received at that time.

Returns go through intake, `decisions_make` (policy, ledger, holds, cases) and, with the oracle
reviewer, `case_claim` + `case_resolve`, exactly as in production. The caller provides the
isolation (the `replay` command runs in a scratch database; tests run in their test database).

With the oracle reviewer (insights.services.oracle), the queue is worked with the true labels
as cases arise. The summary prices the same returns under the reference design as well
(insights.services.reference_design) and names a ring by what its accounts do, whatever their
ids say (`RING_MIN_RETURNS`); the replay command formats it.
"""

import json
import math
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from pathlib import Path

import numpy as np
from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from budgets.constants import ANY_PAYMENT_METHOD
from budgets.models import BudgetPolicy, CustomerHold
from casework.choices import CaseStatus
from casework.models import ReviewCase
from casework.services.pipeline import decisions_make, returns_score
from core.choices import ApiRole
from core.csv_files import CsvFileError, csv_boolean, csv_rows_open
from core.models import ApiClient
from core.services.api_clients import api_client_create
from insights.services.oracle import oracle_resolve
from insights.services.reference_design import reference_actions
from intake.choices import Outcome
from intake.models import AttributeDefinition, ReturnRequest
from intake.selectors import attribute_types_declared
from intake.services.attributes import attribute_definition_save
from intake.services.csv_intake import csv_rows_submit
from ml.economics import realized_costs_batch
from ml.inference import ScoreBatch
from ml.schema import ATTRIBUTE_PREFIX
from scoring.choices import RuleMode
from scoring.constants import SCORING_BATCH_MAX
from scoring.models import CostSettings, ModelVersion
from scoring.rules import RuleInvalid, rule_definition_clean
from scoring.services.policies import policy_version_publish
from scoring.services.rules import rule_name_clean, rule_publish, rule_save

REPLAY_CLIENT = "replay"
# By default the oracle works the queue after every this many returns, as the live-day
# reviewer does after every batch: later returns of a customer with an open case join it.
REVIEW_EVERY = 100
# A ring account, known by what it does rather than by its id: it returns at least this many
# times in the replayed file, at a 30-day velocity beyond any the model was trained on. Either
# alone would count ordinary customers too: a few reach five returns in a file, a few are fast.
RING_MIN_RETURNS = 5


@dataclass(frozen=True)
class ReplayOverrides:
    false_reject_cost: Decimal | None = None
    review_cost: Decimal | None = None
    budget: Decimal | None = None
    window_days: int | None = None
    portfolio_budget: Decimal | None = None
    ood_fraud_probability: float | None = None
    # 0 turns account-exposure pricing off.
    hold_velocity: int | None = None
    # Backtests measure decisions; the audit sample is a labelling budget, off unless asked for.
    audit_reviews_per_day: int | None = 0
    review_capacity: int | None = None


@dataclass
class ReplayResult:
    summary: dict
    rows: list[dict] = field(default_factory=list)


def replay_policy_apply(overrides: ReplayOverrides) -> None:
    """Writes the overrides into the (scratch) settings and publishes them as a policy version."""
    costs = CostSettings.objects.order_by("id").first() or CostSettings()
    names = ("false_reject_cost", "review_cost", "ood_fraud_probability", "audit_reviews_per_day")
    for name in names:
        if getattr(overrides, name) is not None:
            setattr(costs, name, getattr(overrides, name))
    if overrides.hold_velocity is not None:
        costs.hold_velocity = overrides.hold_velocity or None
    if overrides.review_capacity is not None:
        costs.review_capacity_per_day = overrides.review_capacity
        costs.review_capacity_weekdays = ""
    costs.save()
    default = BudgetPolicy.objects.get(scope__isnull=True)
    if overrides.budget is not None:
        default.amount = overrides.budget
    if overrides.window_days is not None:
        default.window_days = overrides.window_days
    default.save()
    if overrides.portfolio_budget is not None:
        BudgetPolicy.objects.update_or_create(
            scope="portfolio",
            key=ANY_PAYMENT_METHOD,
            defaults={"amount": overrides.portfolio_budget},
        )
    policy_version_publish(note="replay")


def replay_rules_read(path: Path) -> list[dict]:
    """Rules from a JSON file: a list of {"name", "when", "effect"} (or one of them), each with
    an optional "mode" (live by default, or shadow). ValueError naming the rule and field."""
    try:
        loaded = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ValueError(f"{path}: not a readable JSON file ({exc})") from exc
    rules = loaded if isinstance(loaded, list) else [loaded]
    cleaned = []
    for index, rule in enumerate(rules):
        if not isinstance(rule, dict):
            raise ValueError(f"rule {index}: an object with name, when and effect")
        try:
            mode = rule.get("mode", RuleMode.LIVE)
            if mode not in (RuleMode.LIVE, RuleMode.SHADOW):
                raise RuleInvalid({"mode": "live or shadow"})
            cleaned.append(
                {
                    "name": rule_name_clean(rule.get("name")),
                    "definition": rule_definition_clean(
                        {key: rule.get(key) for key in ("when", "effect")}
                    ),
                    "mode": mode,
                }
            )
        except RuleInvalid as exc:
            raise ValueError(f"rule {index} ({rule.get('name')!r}): {exc}") from exc
    if len({rule["name"] for rule in cleaned}) != len(cleaned):
        raise ValueError("two rules have the same name")
    return cleaned


def replay_rules_apply(rules: list[dict]) -> None:
    """Writes the rules into the (scratch) database and publishes them."""
    for rule in rules:
        saved = rule_save(actor=None, name=rule["name"], definition=rule["definition"])
        rule_publish(actor=None, rule=saved, mode=rule["mode"])


def _score_slice(scores: ScoreBatch, begin: int, end: int) -> ScoreBatch:
    return ScoreBatch(
        fraud_probability=scores.fraud_probability[begin:end],
        ood_score=scores.ood_score[begin:end],
        ood_flag=scores.ood_flag[begin:end],
        ood_reasons=scores.ood_reasons[begin:end],
        contributions=scores.contributions[begin:end],
    )


def replay_start(rows: int, per_day: int | None) -> datetime:
    """Midnight far enough back that the last replayed return arrives before now."""
    midnight = timezone.now().replace(hour=0, minute=0, second=0, microsecond=0)
    return midnight - timedelta(days=math.ceil(rows / per_day) if per_day else 1)


def replay_times_assign(rows: list[dict], *, start: datetime, per_day: int | None) -> None:
    """Gives each row its arrival time: its own `submitted_at` if the file has the column, else
    evenly over one day from `start` (or `per_day` a day)."""
    if rows and rows[0].get("submitted_at"):
        return
    step = timedelta(days=1) / (per_day or len(rows))
    for index, row in enumerate(rows):
        row["submitted_at"] = (start + index * step).isoformat()


def replay_rows_read(path: Path) -> list[dict]:
    """The file's rows, each with a readable `is_fraud` (1/0/true/false); ValueError if not."""
    try:
        with csv_rows_open(path, required=("is_fraud",)) as (reader, _total):
            rows = list(reader)
    except CsvFileError as exc:
        raise ValueError(f"{exc}: a replay needs labels") from exc
    for line, row in enumerate(rows, start=2):
        if csv_boolean(row["is_fraud"]) is None:
            raise ValueError(
                f"line {line}: is_fraud must be 1, 0, true or false, not {row['is_fraud']!r}"
            )
    return rows


def replay_model_copy(model_version: ModelVersion) -> ModelVersion:
    """The live database's model version, registered again in the scratch database a replay
    runs in (its files stay where they are)."""
    return ModelVersion.objects.create(
        **{
            f.name: getattr(model_version, f.name)
            for f in ModelVersion._meta.concrete_fields
            if f.name != "id"
        }
    )


def replay_attributes_declare(*, rows: list[dict], attributes) -> list[dict]:
    """Declares in the (scratch) database the attributes the model reads, as it was trained
    with them, and drops from `rows` the attr_<name> columns of attributes still undeclared, so
    a file with signals replays against a model with or without them."""
    for name, kind in attributes:
        if not AttributeDefinition.objects.filter(name=name).exists():
            attribute_definition_save(
                definition=AttributeDefinition(name=name, type=kind), actor=None
            )
    declared = attribute_types_declared()
    return [
        {
            column: value
            for column, value in row.items()
            if not column.startswith(ATTRIBUTE_PREFIX)
            or column[len(ATTRIBUTE_PREFIX) :] in declared
        }
        for row in rows
    ]


def replay_run(
    *,
    data: Path,
    model_version: ModelVersion,
    bundle,
    overrides: ReplayOverrides = ReplayOverrides(),
    rules: list[dict] = (),
    oracle: bool = True,
    per_day: int | None = None,
    review_every: int = REVIEW_EVERY,
    start: datetime,
    progress: Callable[[int], None] = lambda n: None,
) -> ReplayResult:
    """Replays `data` and returns the summary figures and one row per return.

    The oracle reviewer works the whole queue after every `review_every` returns: 1 is a
    reviewer who is always ahead; larger values are a queue that lags behind arrivals. The
    returns between two rounds are decided together, as a worker decides a batch (at most
    SCORING_BATCH_MAX at a time). `rules` (see replay_rules_read) are published first.
    """
    rows = replay_rows_read(data)
    replay_policy_apply(overrides)
    replay_rules_apply(rules)
    policy_version = policy_version_publish(note=f"replay of {data.name}")
    client = ApiClient.objects.filter(name=REPLAY_CLIENT).first()
    if client is None:
        client, _key = api_client_create(name=REPLAY_CLIENT, role=ApiRole.SUBMITTER)
    oracle_user, _ = get_user_model().objects.get_or_create(username="replay-oracle")

    replay_times_assign(rows, start=start, per_day=per_day)
    rows = replay_attributes_declare(rows=rows, attributes=bundle.model.attributes)
    truth = {row["order_id"]: csv_boolean(row["is_fraud"]) for row in rows}
    invalid = []
    # The replay decides its returns itself, in file order; no worker may take them.
    for results in csv_rows_submit(client=client, rows=rows, nudge=False, history=True):
        invalid += [r for r in results if r.status != "accepted"]
    if invalid:
        raise ValueError(f"{len(invalid)} rows were not accepted, first: {invalid[0]}")

    returns = list(
        ReturnRequest.objects.filter(client=client, order_id__in=truth)
        .select_related("customer", "client")
        .order_by("id")
    )
    returns.sort(key=lambda r: (r.received_at, r.pk))
    scores = returns_score(returns=returns, bundle=bundle)
    threshold = float(bundle.ood_gate.threshold_)
    peak_queue = 0
    chunk_size = min(review_every, SCORING_BATCH_MAX)
    for begin in range(0, len(returns), chunk_size):
        chunk = returns[begin : begin + chunk_size]
        with transaction.atomic():
            decisions_make(
                returns=chunk,
                scores=_score_slice(scores, begin, begin + len(chunk)),
                ood_threshold=threshold,
                ood_false_alarm_rate=bundle.ood_gate.target_false_alarm_rate,
                model_version=model_version,
                policy_version=policy_version,
                now=chunk[0].received_at,
            )
        waiting = ReviewCase.objects.filter(
            return_request__client=client, status=CaseStatus.OPEN
        ).select_related("return_request__customer")
        peak_queue = max(peak_queue, waiting.count())
        last = begin + len(chunk) >= len(returns)
        if oracle and ((begin + len(chunk)) % review_every == 0 or last):
            for case in waiting.order_by("-priority", "id"):
                oracle_resolve(
                    case=case, is_fraud=truth[case.return_request.order_id], actor=oracle_user
                )
        progress(len(chunk))

    result = _summarise(
        returns=returns,
        scores=scores,
        truth=truth,
        policy_version=policy_version,
        velocity_seen=bundle.feature_schema["numeric_ranges"]["returns_velocity_30d"][1],
    )
    result.summary["peak_queue"] = peak_queue
    return result


def _summarise(*, returns, scores, truth, policy_version, velocity_seen) -> ReplayResult:
    costs = policy_version.snapshot["costs"]
    false_reject_cost = float(costs["false_reject_cost"])
    review_cost = float(costs["review_cost"])
    decided = {
        r.pk: r
        for r in ReturnRequest.objects.filter(pk__in=[r.pk for r in returns]).select_related(
            "decision", "customer", "client", "joined"
        )
    }
    ordered = [decided[r.pk] for r in returns]
    value = np.array([float(r.order_value) for r in ordered])
    is_fraud = np.array([truth[r.order_id] for r in ordered])
    actions = np.array([r.decision.action for r in ordered], dtype=object)
    # A return that joined an open case bought no review: it costs what its verdict made it.
    joined = np.array([getattr(r, "joined", None) is not None for r in ordered])
    settled = np.array(
        ["reject" if r.outcome == Outcome.REJECTED else "approve" for r in ordered], dtype=object
    )
    realized = realized_costs_batch(
        np.where(joined, settled, actions), is_fraud, value, false_reject_cost, review_cost
    )
    opened = Counter(
        r.decision.decided_at.date().isoformat()
        for r, was_joined in zip(ordered, joined, strict=True)
        if r.decision.action == "review" and not was_joined
    )
    approve_all = np.where(is_fraud, value, 0.0)
    reference = reference_actions(ordered, scores, policy_version.snapshot)
    reference_cost = realized_costs_batch(
        reference, is_fraud, value, false_reject_cost, review_cost
    )
    n = len(ordered)
    split = {
        "fraud_loss": float(realized[(actions == "approve")].sum()),
        "review_cost": float(realized[(actions == "review")].sum()),
        "false_reject_cost": float(realized[(actions == "reject")].sum()),
    }
    returned = Counter(r.customer_id for r in ordered)
    fast = {r.customer_id for r in ordered if r.returns_velocity_30d > velocity_seen}
    ring = np.array(
        [r.customer_id in fast and returned[r.customer_id] >= RING_MIN_RETURNS for r in ordered]
    )
    leading = Counter(r.decision.reasons[0]["code"] for r in ordered)
    hits = defaultdict(list)
    for index, r in enumerate(ordered):
        for hit in r.decision.rules_fired:
            hits[(hit["name"], hit["shadow"])].append(index)
    summary = {
        "returns": n,
        "fraud_rate": float(is_fraud.mean()),
        "realized_cost": float(realized.sum()),
        "realized_cost_per_return": float(realized.sum() / n),
        "approve_all_cost_per_return": float(approve_all.sum() / n),
        "reference_cost_per_return": float(reference_cost.sum() / n),
        "action_mix": {a: int((actions == a).sum()) for a in ("approve", "reject", "review")},
        "reviews_opened": int(sum(opened.values())),
        "joined_open_case": int(joined.sum()),
        "reviews_per_day": dict(sorted(opened.items())),
        "review_capacity": costs["review_capacity_per_day"],
        "reference_action_mix": {
            a: int((reference == a).sum()) for a in ("approve", "reject", "review")
        },
        "cost_split": split,
        "fraud_approved": {
            "count": int((is_fraud & (actions == "approve")).sum()),
            "value": float(value[is_fraud & (actions == "approve")].sum()),
        },
        "leading_reasons": dict(leading.most_common()),
        "rules": [
            {
                "name": name,
                "shadow": shadow,
                "hits": len(at),
                "frauds": int(is_fraud[at].sum()),
                "value": float(value[at].sum()),
                "cost": float(realized[at].sum()),
                "mix": {a: int((actions[at] == a).sum()) for a in ("approve", "reject", "review")},
            }
            for (name, shadow), at in hits.items()
        ],
        "holds": CustomerHold.objects.filter(customer__returns__in=ordered).distinct().count(),
        "ring": {
            "returns": int(ring.sum()),
            "value": float(value[ring].sum()),
            "cost": float(realized[ring].sum()),
            "mix": {a: int((actions[ring] == a).sum()) for a in ("approve", "reject", "review")},
        },
        "policy": costs | {"budgets": policy_version.snapshot["budgets"]["default"]},
    }
    rows = [
        {
            "order_id": r.order_id,
            "customer_id": r.customer.external_id,
            "order_value": str(r.order_value),
            "is_fraud": int(truth[r.order_id]),
            "action": r.decision.action,
            "outcome": r.outcome or "",
            "fraud_probability": round(r.decision.fraud_probability, 6),
            "probability_used": round(r.decision.probability_used, 6),
            "ood_score": round(r.decision.ood_score, 4),
            "ood": int(r.decision.ood),
            "reason_codes": " ".join(x["code"] for x in r.decision.reasons),
            "rules_fired": "; ".join(
                f"{hit['name']} v{hit['version']}{' (shadow)' if hit['shadow'] else ''}"
                for hit in r.decision.rules_fired
            ),
            "reasons": "; ".join(x["text"] for x in r.decision.reasons),
            "cost": round(float(cost), 2),
            "reference_action": ref,
        }
        for r, cost, ref in zip(ordered, realized, reference, strict=True)
    ]
    return ReplayResult(summary=summary, rows=rows)
