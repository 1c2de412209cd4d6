"""`economic_report` (PNG + CSV, live or from a replay) and `failure_report` (Markdown)."""

import csv
import json
from datetime import timedelta
from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from intake.choices import Outcome
from tests.factories import LabelFactory
from tests.insights.conftest import decided

pytestmark = pytest.mark.django_db

CHARTS = (
    "cumulative",
    "mix",
    "costs",
    "breaches",
    "scores",
    "queue",
    "reviews_per_day",
    "prices",
)
PNG = b"\x89PNG\r\n\x1a\n"


def read_csv(path):
    with path.open(newline="") as handle:
        return list(csv.DictReader(handle))


def test_economic_report_writes_every_chart_and_table(tmp_path):
    decided(action="approve", outcome=Outcome.APPROVED, label=True)
    decided(action="review", reasons=[{"code": "audit_sample", "text": "picked"}])
    decided(action="review", reasons=[{"code": "budget_exceeded", "text": "over"}])
    out = StringIO()

    call_command("economic_report", "--out", str(tmp_path / "report"), stdout=out)

    report = tmp_path / "report"
    for name in CHARTS:
        assert (report / f"{name}.png").read_bytes().startswith(PNG), name
        assert (report / f"{name}.csv").exists(), name
    costs = {row["category"]: row for row in read_csv(report / "costs.csv")}
    assert costs["fraud_loss"]["known"] == "100.0"
    assert costs["audit_review_cost"]["total"] == "50.0"
    assert costs["review_cost"]["total"] == "50.0"
    breaches = read_csv(report / "breaches.csv")
    assert sum(int(row["budget_exceeded"]) for row in breaches) == 1
    totals = read_csv(report / "totals.csv")[0]
    assert (totals["returns"], totals["policy_cost"]) == ("3", "200.0")
    assert "this policy $200.00" in out.getvalue()
    today = read_csv(report / "reviews_per_day.csv")[-1]
    assert (today["cases_opened"], today["capacity"]) == ("0", "500")
    assert sum(int(row["decisions_priced"]) for row in read_csv(report / "prices.csv")) == 0


def test_economic_report_counts_only_the_days_asked_for(tmp_path):
    decided(action="approve", at=timezone.now() - timedelta(days=40))
    decided(action="approve")

    call_command("economic_report", "--out", str(tmp_path), "--days", "30", stdout=StringIO())

    assert read_csv(tmp_path / "totals.csv")[0]["returns"] == "1"


def write_replay(
    directory, rows, *, review_cost="50.00", outcomes=(), reviews_per_day=None, capacity=None
):
    directory.mkdir()
    summary = {"policy": {"false_reject_cost": "200.00", "review_cost": review_cost}}
    if reviews_per_day is not None:
        summary["reviews_per_day"] = reviews_per_day
        summary["policy"] |= {"review_capacity_per_day": capacity, "review_capacity_weekdays": None}
    (directory / "summary.json").write_text(json.dumps(summary))
    fields = ["order_id", "order_value", "is_fraud", "action", "fraud_probability", "ood_score"]
    with (directory / "decisions.csv").open("w", newline="") as handle:
        writer = csv.DictWriter(
            handle,
            fieldnames=[*fields, "reason_codes", "reasons", *(["outcome"] if outcomes else [])],
        )
        writer.writeheader()
        for i, (action, is_fraud, value, reasons) in enumerate(rows):
            writer.writerow(
                {
                    "order_id": f"R-{i}",
                    "order_value": value,
                    "is_fraud": is_fraud,
                    "action": action,
                    "fraud_probability": "0.1",
                    "ood_score": "0.5",
                    # Rows are given as "code: text; code: text", as a reviewer reads them.
                    "reason_codes": " ".join(part.split(":", 1)[0] for part in reasons.split("; ")),
                    "reasons": reasons,
                    **({"outcome": outcomes[i]} if outcomes else {}),
                }
            )


def test_economic_report_draws_a_replay_from_its_output(tmp_path):
    write_replay(
        tmp_path / "replay",
        [
            ("approve", 1, "80.00", "expected_cost: approve $8.00 < review $50.00"),
            ("reject", 0, "500.00", "expected_cost: reject $10.00 < review $50.00"),
            ("review", 1, "90.00", "budget_exceeded: booked $45 + $9 > $50; expected_cost: x"),
            ("reject", 1, "60.00", "customer_hold: customer is on hold (reject); expected_cost: x"),
        ],
        review_cost="40.00",
    )

    call_command(
        "economic_report",
        "--replay",
        str(tmp_path / "replay"),
        "--per-day",
        "2",
        "--out",
        str(tmp_path / "charts"),
        stdout=StringIO(),
    )

    charts = tmp_path / "charts"
    assert all((charts / f"{name}.png").read_bytes().startswith(PNG) for name in CHARTS)
    totals = read_csv(charts / "totals.csv")[0]
    # Every replayed return is labelled: $80 fraud approved, $200 insult, $40 review.
    assert (totals["labelled"], totals["policy_cost"]) == ("4", "320.0")
    assert [row["period"] for row in read_csv(charts / "mix.csv")] == ["1", "2"]
    breaches = read_csv(charts / "breaches.csv")
    assert [(r["budget_exceeded"], r["stopped_by_hold"]) for r in breaches] == [
        ("0", "0"),
        ("1", "1"),
    ]
    assert read_csv(charts / "queue.csv") == []


def test_a_replay_of_one_day_charges_joined_returns_their_verdict_and_reads_its_day(tmp_path):
    open_case = "open_case: the customer's open case decides this return too; expected_cost: x"
    write_replay(
        tmp_path / "replay",
        [
            ("review", 1, "90.00", "uncertain: a review is cheaper; expected_cost: x"),
            ("review", 1, "70.00", open_case),  # settled as rejected fraud: nothing lost
            ("review", 0, "40.00", open_case),  # rejected with the case, but legitimate
            ("approve", 0, "20.00", "expected_cost: approve $2.00 < review $50.00"),
        ],
        outcomes=["rejected", "rejected", "rejected", "approved"],
        reviews_per_day={"2026-03-14": 1},
        capacity=500,
    )

    call_command(
        "economic_report",
        "--replay",
        str(tmp_path / "replay"),
        "--out",
        str(tmp_path / "charts"),
        stdout=StringIO(),
    )

    charts = tmp_path / "charts"
    totals = read_csv(charts / "totals.csv")[0]
    # One review ($50) and one wronged customer ($200); the joined fraud cost nothing.
    assert (totals["policy_cost"], totals["reviews_opened"], totals["joined_open_case"]) == (
        "250.0",
        "1",
        "2",
    )
    assert len(read_csv(charts / "cumulative.csv")) == 1
    assert read_csv(charts / "reviews_per_day.csv") == [
        {"day": "2026-03-14", "cases_opened": "1", "capacity": "500"}
    ]
    assert read_csv(charts / "prices.csv") == []
    assert all((charts / f"{name}.png").read_bytes().startswith(PNG) for name in CHARTS)


def test_economic_report_refuses_a_directory_that_is_not_a_replay(tmp_path):
    with pytest.raises(CommandError, match="decisions.csv"):
        call_command("economic_report", "--replay", str(tmp_path), "--out", str(tmp_path / "x"))


def test_failure_report_groups_approved_fraud_by_leading_reason(tmp_path):
    ood = [
        {"code": "ood_low_density", "text": "unusual combination"},
        {"code": "expected_cost", "text": "approve $3.00 < review $50.00"},
    ]
    caught_late = decided(
        action="approve",
        outcome=Outcome.APPROVED,
        label=True,
        p=0.04,
        value="75.00",
        booked_loss=Decimal("12.50"),
        return_request__order_id="LOST-1",
    )
    decided(action="approve", outcome=Outcome.APPROVED, label=True, reasons=ood, value="30.00")
    decided(
        action="review",
        outcome=Outcome.APPROVED,
        label=True,
        reasons=[{"code": "uncertain", "text": "a review is cheaper"}],
    )
    cleared = decided(action="approve", outcome=Outcome.APPROVED, label=True)
    LabelFactory(
        return_request=cleared.return_request,
        is_fraud=False,
        observed_at=timezone.now() + timedelta(hours=1),
    )
    decided(action="reject", outcome=Outcome.REJECTED, label=True)
    decided(action="approve", outcome=Outcome.APPROVED)  # no label yet

    call_command("failure_report", "--out", str(tmp_path / "failures.md"), stdout=StringIO())

    text = (tmp_path / "failures.md").read_text()
    assert "**3 returns worth $205.00.**" in text
    assert "| `expected_cost` | 1 | $75.00 |" in text
    assert "## `ood_low_density`: 1 returns, $30.00" in text
    assert "## `uncertain`: 1 returns, $100.00" in text
    row = next(line for line in text.splitlines() if line.startswith("| LOST-1 "))
    assert caught_late.return_request.customer.external_id in row
    assert "| 0.040 |" in row
    assert "| $12.50 / $50.00 |" in row
    assert "| policy |" in row
    assert cleared.return_request.order_id not in text


def test_failure_report_says_so_when_there_are_none():
    out = StringIO()

    call_command("failure_report", stdout=out)

    assert "No approved return has been confirmed fraud." in out.getvalue()
