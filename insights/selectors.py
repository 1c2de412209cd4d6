"""Reading labelled returns for retraining, drift snapshots, retraining's comparisons, and
what the audit sample costs."""

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from django.db.models import Count, Min, Q, Sum

from casework.choices import VerdictChoice
from casework.models import Label, ReviewCase
from insights.models import DriftSnapshot, ModelComparison
from intake.models import ReturnRequest
from intake.selectors import returns_desk_view
from ml.schema import CLIENT_FEATURES


def labelled_returns_newest() -> list[dict]:
    """Every labelled return once, with its features and its newest label (the truth).

    Rows: the FEATURES (the desk's own as the worker computes them), order_id, customer_id,
    is_fraud, observed_at (of the newest label),
    is_audit_sample and audit_probability (its chance of being sampled, where recorded);
    ordered by when the return was first labelled, oldest first. First, not newest: a return a
    model trained on must not move into a later hold-out because a second label (a chargeback
    after a review) arrived for it.
    """
    fields = {name: f"return_request__{name}" for name in CLIENT_FEATURES}
    fields["order_id"] = "return_request__order_id"
    fields["customer_id"] = "return_request__customer__external_id"
    fields["is_audit_sample"] = "return_request__is_audit_sample"
    fields["audit_probability"] = "return_request__decision__prices__audit_probability"
    newest = Label.objects.newest_per_return().values(
        "return_request_id", "is_fraud", "observed_at", *fields.values()
    )
    rows = [
        {
            **{name: row[path] for name, path in fields.items()},
            "is_fraud": int(row["is_fraud"]),
            "observed_at": row["observed_at"],
            "return_id": row["return_request_id"],
        }
        for row in newest
    ]
    # What the desk saw of each customer, computed as the worker computes it.
    returns = list(ReturnRequest.objects.filter(pk__in=[row["return_id"] for row in rows]))
    views = dict(zip([r.pk for r in returns], returns_desk_view(returns=returns), strict=True))
    for row in rows:
        row.update(views[row["return_id"]])
    first_labelled = dict(
        Label.objects.values("return_request_id")
        .annotate(first=Min("observed_at"))
        .values_list("return_request_id", "first")
    )
    return sorted(rows, key=lambda row: (first_labelled[row["return_id"]], row["return_id"]))


@dataclass(frozen=True)
class AuditSampleCost:
    """Reviews since a date split into the random audit sample and everything else."""

    audit_reviews: int
    audit_cost: Decimal
    audit_resolved: int
    audit_fraud_found: int
    other_reviews: int
    other_cost: Decimal
    # Inverse-probability estimates over the resolved sample: how many approvals it stands
    # for, and the fraud (in order value) among them that approving let through.
    approvals_represented: int = 0
    estimated_fraud_approved: Decimal = Decimal("0.00")


def audit_sample_cost(*, since: datetime) -> AuditSampleCost:
    """How many reviews the audit sample took since `since` and what they cost at the review
    price of their decisions, beside the other reviews; and how much fraud the sample found."""
    audit = Q(return_request__is_audit_sample=True)
    totals = ReviewCase.objects.filter(decision__decided_at__gte=since).aggregate(
        audit_reviews=Count("id", filter=audit),
        audit_cost=Sum("decision__cost_review", filter=audit),
        audit_resolved=Count("id", filter=audit & Q(verdict__isnull=False)),
        audit_fraud_found=Count("id", filter=audit & Q(verdict__verdict=VerdictChoice.FRAUD)),
        other_reviews=Count("id", filter=~audit),
        other_cost=Sum("decision__cost_review", filter=~audit),
    )
    zero = Decimal("0.00")
    sampled = ReviewCase.objects.filter(
        decision__decided_at__gte=since,
        return_request__is_audit_sample=True,
        verdict__isnull=False,
    ).values_list(
        "decision__prices__audit_probability", "verdict__verdict", "return_request__order_value"
    )
    represented, fraud = 0.0, Decimal("0.00")
    for probability, verdict, value in sampled:
        if not probability:  # sampled before probabilities were recorded
            continue
        represented += 1 / probability
        if verdict == VerdictChoice.FRAUD:
            fraud += value / Decimal(repr(probability))
    return AuditSampleCost(
        **{name: value if value is not None else zero for name, value in totals.items()},
        approvals_represented=round(represented),
        estimated_fraud_approved=fraud.quantize(Decimal("0.01")),
    )


def drift_snapshot_latest() -> DriftSnapshot | None:
    return DriftSnapshot.objects.select_related("model_version").order_by("-date").first()


def drift_snapshots_recent(*, limit: int = 30) -> list[DriftSnapshot]:
    return list(DriftSnapshot.objects.select_related("model_version").order_by("-date")[:limit])


def model_comparisons_recent(*, limit: int = 5) -> list[ModelComparison]:
    comparisons = ModelComparison.objects.select_related("challenger", "champion")
    return list(comparisons.order_by("-created_at", "-id")[:limit])
