"""The replay backtest on a slice of the severe-drift file: ordinary returns, then the ring.

The slice is the file's first 300 returns followed by the mimicry ring's 200 (20 accounts of
$20–30 returns, all fraud), replayed with the oracle reviewer through the live decision code.
"""

import csv
from decimal import Decimal

import pytest
from django.conf import settings

from budgets.models import CustomerHold
from casework.models import ReviewCase
from insights.services.replay import ReplayOverrides, replay_run, replay_start

SEVERE = settings.SHARED_DATASETS / "returns_severe_drift.csv"
RING_ACCOUNTS = 20

pytestmark = pytest.mark.django_db


def write_slice(path, tag=""):
    """The slice, with `tag` worked into every id so that two replays share no customer."""
    with SEVERE.open(newline="") as handle:
        rows = list(csv.DictReader(handle))
    ring = [row for row in rows if row["customer_id"].startswith("RING-")]
    assert len(ring) == 200
    with path.open("w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        for row in rows[:300] + ring:
            for column in ("order_id", "customer_id"):
                row[column] = row[column].replace("-", f"-{tag}", 1)
            writer.writerow(row)
    return path


@pytest.fixture
def ring_slice(tmp_path):
    return write_slice(tmp_path / "ring_slice.csv")


def replay(path, active_model, bundle, review_every=1, **overrides):
    return replay_run(
        data=path,
        model_version=active_model,
        bundle=bundle,
        overrides=ReplayOverrides(**overrides),
        start=replay_start(500, 1000),
        review_every=review_every,
    )


def test_one_review_per_ring_account_ends_its_bleed(ring_slice, active_model, trained_bundle):
    result = replay(ring_slice, active_model, trained_bundle)
    ring_rows = [row for row in result.rows if row["customer_id"].startswith("RING-")]
    reviews = {row["customer_id"] for row in ring_rows if row["action"] == "review"}
    assert len(reviews) == RING_ACCOUNTS
    assert sum(row["action"] == "review" for row in ring_rows) == RING_ACCOUNTS
    # The oracle held every account on its fraud verdict, so nothing after it was approved.
    held = CustomerHold.objects.filter(customer__external_id__startswith="RING-")
    assert held.count() == RING_ACCOUNTS
    for account in reviews:
        actions = [row["action"] for row in ring_rows if row["customer_id"] == account]
        after_review = actions[actions.index("review") + 1 :]
        assert set(after_review) <= {"reject"}
    # Returns at velocities the model saw in training are approved until the budget or the
    # exposure pricing sends one to review; at least two-thirds of the ring's value is saved.
    ring = result.summary["ring"]
    assert ring["cost"] < ring["value"] / 3


def test_with_a_lagging_reviewer_each_ring_account_still_costs_one_review(
    ring_slice, active_model, trained_bundle
):
    result = replay(ring_slice, active_model, trained_bundle, review_every=100)
    # The returns an account sends while its case waits join that case.
    cases = ReviewCase.objects.filter(return_request__customer__external_id__startswith="RING-")
    assert cases.values("return_request__customer").distinct().count() == RING_ACCOUNTS
    assert cases.count() == RING_ACCOUNTS
    assert result.summary["joined_open_case"] > 0
    assert result.summary["peak_queue"] > 1
    ring = result.summary["ring"]
    assert ring["cost"] < ring["value"] / 3


def test_without_hold_pricing_the_ledger_alone_stops_the_ring_later(
    ring_slice, active_model, trained_bundle
):
    priced = replay(ring_slice, active_model, trained_bundle).summary["ring"]
    again = write_slice(ring_slice.with_name("again.csv"), tag="B")
    unpriced = replay(again, active_model, trained_bundle, hold_velocity=0).summary["ring"]
    # Each account now takes approvals until its $50 budget trips, then a review.
    assert unpriced["mix"]["approve"] >= 2 * RING_ACCOUNTS
    assert unpriced["cost"] > priced["cost"] + 500


def test_summary_adds_up_to_the_rows(ring_slice, active_model, trained_bundle):
    result = replay(ring_slice, active_model, trained_bundle)
    summary = result.summary
    assert summary["returns"] == len(result.rows) == 500
    assert sum(summary["action_mix"].values()) == 500
    total = sum(Decimal(str(row["cost"])) for row in result.rows)
    assert total == pytest.approx(Decimal(str(round(summary["realized_cost"], 2))))
    assert sum(summary["cost_split"].values()) == pytest.approx(summary["realized_cost"])
    assert summary["policy"]["hold_velocity"] == 4


def test_the_ring_is_known_by_its_returns_and_the_reference_design_spends_the_replays_budget(
    ring_slice, active_model, trained_bundle
):
    # The ring's accounts under ordinary-looking ids; a zero customer budget for the replay.
    text = ring_slice.read_text().replace("RING-", "CUST-R")
    renamed = ring_slice.with_name("renamed.csv")
    renamed.write_text(text)
    result = replay(renamed, active_model, trained_bundle, review_every=100, budget=Decimal("0"))

    assert result.summary["ring"]["returns"] == 200
    assert result.summary["ring"]["value"] == pytest.approx(
        sum(float(r["order_value"]) for r in result.rows if r["customer_id"].startswith("CUST-R"))
    )
    # With nothing to spend, the reference design approves only returns it expects to lose
    # nothing on; the desk's own policy still approves ordinary returns on price.
    approved = [r for r in result.rows if r["reference_action"] == "approve"]
    assert all(r["fraud_probability"] * float(r["order_value"]) < 0.005 for r in approved)
    assert result.summary["reference_action_mix"]["review"] > 400
    assert result.summary["action_mix"]["approve"] > 250
