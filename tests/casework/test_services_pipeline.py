"""Deciding pending returns: one decision each, with its bookings, cases and feed events."""

import logging
from collections import defaultdict
from decimal import Decimal
from pathlib import Path

import pytest
from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings
from django.db import connection
from django.db.models import Count
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from budgets.models import LedgerAccount, LedgerEntry
from casework import tasks
from casework.models import FeedEvent, ReviewCase
from casework.services import pipeline
from casework.services.health import pipeline_status
from casework.services.pipeline import returns_decide_pending
from casework.tasks import decide_pending_returns
from core.models import AuditEvent
from intake.models import ReturnRequest
from intake.services.intake import returns_retry_failed
from scoring.models import Decision
from scoring.services import models
from scoring.services.tuning import cost_settings_update
from tests.factories import (
    ApiClientFactory,
    CustomerFactory,
    CustomerHoldFactory,
    ReturnRequestFactory,
)


@pytest.mark.django_db
def test_each_pending_return_is_decided_once(active_model):
    returns = [
        *ReturnRequestFactory.create_batch(12),
        ReturnRequestFactory(order_value=Decimal("2000.00"), payment_method="Crypto"),
    ]
    assert returns_decide_pending(limit=5) == 5
    assert returns_decide_pending(limit=50) == 8
    assert returns_decide_pending(limit=50) == 0
    assert Decision.objects.count() == 13
    assert FeedEvent.objects.filter(kind="decision").count() == 13
    assert not ReturnRequest.objects.filter(status="pending").exists()
    assert all(d.model_version_id == active_model.pk for d in Decision.objects.all())
    decided = Decision.objects.values_list("return_request_id", flat=True)
    assert sorted(decided) == sorted(r.pk for r in returns)


def _plan_nodes(plan: dict) -> list[dict]:
    return [plan, *(node for child in plan.get("Plans", []) for node in _plan_nodes(child))]


@pytest.mark.django_db
def test_the_claim_reads_its_batch_in_order_however_stale_the_count_of_pending_returns():
    """A burst arrives after the planner last counted the table with nothing pending: the claim
    still reads the oldest pending returns in order and stops at its batch, sorting none."""
    client = ApiClientFactory()
    ReturnRequestFactory.create_batch(300, client=client, status="decided")
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE intake_returnrequest")
    ReturnRequestFactory.create_batch(600, client=client)
    sql, params = pipeline.returns_claim(limit=50).query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN (ANALYZE, FORMAT JSON) {sql}", params)
        nodes = _plan_nodes(cursor.fetchone()[0][0]["Plan"])
    assert not [n for n in nodes if "Sort" in n["Node Type"]], [n["Node Type"] for n in nodes]
    (scan,) = [n for n in nodes if n.get("Relation Name") == "intake_returnrequest"]
    assert scan["Index Name"] == "return_pending_claim_idx"
    assert scan["Actual Rows"] <= 60, "the claim read past its batch"
    claimed = [r.pk for r in pipeline.returns_claim(limit=50)]
    oldest = ReturnRequest.objects.filter(status="pending").order_by("received_at", "id")[:50]
    assert claimed == [r.pk for r in oldest]


@pytest.mark.django_db
def test_expensive_novel_return_goes_to_a_case_and_cheap_one_is_approved(active_model):
    cheap = ReturnRequestFactory(order_value=Decimal("15.00"), payment_method="Crypto")
    dear = ReturnRequestFactory(order_value=Decimal("2000.00"), payment_method="Crypto")
    returns_decide_pending()
    cheap.refresh_from_db()
    dear.refresh_from_db()
    assert (cheap.status, cheap.outcome) == ("decided", "approved")
    assert dear.status == "in_review"
    case = ReviewCase.objects.get(return_request=dear)
    assert "ood_unseen_value" in case.reason_codes
    texts = [r["text"] for r in dear.decision.reasons]
    assert "payment_method 'Crypto' never seen in training" in texts


@pytest.mark.django_db
def test_approval_books_expected_loss_and_balance_equals_entries(active_model):
    ret = ReturnRequestFactory(order_value=Decimal("80.00"))
    returns_decide_pending()
    decision = Decision.objects.get(return_request=ret)
    assert decision.action == "approve"
    entry = LedgerEntry.objects.get(return_request=ret)
    assert entry.amount == decision.cost_approve
    account = LedgerAccount.objects.get(customer=ret.customer)
    assert account.balance == entry.amount


@pytest.mark.django_db
def test_each_decision_records_the_days_portfolio_total_it_was_checked_against(active_model):
    first = ReturnRequestFactory(order_value=Decimal("80.00"))
    second = ReturnRequestFactory(order_value=Decimal("60.00"), submitted_at=first.submitted_at)
    returns_decide_pending()
    assert Decision.objects.get(return_request=first).portfolio_booked == Decimal("0.00")
    booked = LedgerEntry.objects.get(return_request=first).amount
    assert Decimal("0") < booked
    assert Decision.objects.get(return_request=second).portfolio_booked == booked


@pytest.mark.django_db
def test_budget_breach_sends_return_to_review(active_model):
    # Without hold pricing the ledger alone has to stop this account.
    cost_settings_update(actor=None, values={"hold_velocity": None})
    ring = CustomerFactory(external_id="RING-001")
    customer_returns = [
        ReturnRequestFactory(
            customer=ring,
            order_value=Decimal("25.00"),
            returns_velocity_30d=8,
            product_category="Beauty",
        )
        for _ in range(8)
    ]
    returns_decide_pending()
    actions = [Decision.objects.get(return_request=r).action for r in customer_returns]
    assert "review" in actions
    first_review = actions.index("review")
    assert set(actions[:first_review]) == {"approve"}
    decision = Decision.objects.get(return_request=customer_returns[first_review])
    assert decision.reasons[0]["code"] == "budget_exceeded"
    booked = sum(e.amount for e in LedgerEntry.objects.filter(account__customer=ring))
    assert booked <= Decimal("50.00")


@pytest.mark.django_db
def test_held_customer_is_rejected_without_a_case(active_model):
    hold = CustomerHoldFactory()
    ret = ReturnRequestFactory(customer=hold.customer)
    returns_decide_pending()
    ret.refresh_from_db()
    assert (ret.status, ret.outcome) == ("decided", "rejected")
    assert ret.decision.reasons[0]["code"] == "customer_hold"
    assert not ReviewCase.objects.exists()


@pytest.mark.django_db
def test_frequent_returner_is_reviewed_before_booking_anything(active_model):
    ring = ReturnRequestFactory(
        customer__external_id="RING-002",
        order_value=Decimal("25.00"),
        returns_velocity_30d=8,
        product_category="Beauty",
    )
    returns_decide_pending()
    decision = Decision.objects.get(return_request=ring)
    assert decision.action == "review"
    assert decision.reasons[0]["code"] == "account_exposure"
    # 0.7 x (25 + 8 more returns of 25 at its pace) = 157.50 against a 50.00 review.
    assert decision.cost_approve == Decimal("157.50")
    assert not LedgerEntry.objects.filter(account__customer__external_id="RING-002").exists()


@pytest.mark.django_db
def test_density_flags_are_discounted_while_the_gate_flags_at_its_design_rate(active_model):
    """The recorded novelty share follows the flag rate of the decisions of the last day."""
    ReturnRequestFactory.create_batch(40)
    returns_decide_pending()
    after_ordinary = ReturnRequestFactory()
    returns_decide_pending()
    assert Decision.objects.get(return_request=after_ordinary).ood_novelty_share < 0.2

    # A burst of returns from the far tail: most of them are flagged.
    ReturnRequestFactory.create_batch(
        60, returns_velocity_30d=5, return_ratio=0.6, days_since_purchase=80
    )
    returns_decide_pending()
    probe = ReturnRequestFactory()
    returns_decide_pending()
    flagged = Decision.objects.filter(ood=True).count()
    assert flagged >= 50
    busy = Decision.objects.get(return_request=probe).ood_novelty_share
    assert busy > 0.5


@pytest.mark.django_db
def test_a_return_that_cannot_be_decided_does_not_hold_back_its_batch(
    active_model, monkeypatch, caplog
):
    # Fault injection: scoring fails for one order id, as a data bug would make it.
    real_rows = pipeline.returns_feature_rows

    def failing_rows(returns, **options):
        if any(r.order_id == "POISON" for r in returns):
            raise ValueError("cannot score this row")
        return real_rows(returns, **options)

    monkeypatch.setattr(pipeline, "returns_feature_rows", failing_rows)
    ReturnRequestFactory(order_id="POISON")
    others = ReturnRequestFactory.create_batch(4)
    assert returns_decide_pending() == 4
    assert all(r.decision for r in ReturnRequest.objects.filter(pk__in=[o.pk for o in others]))
    poison = ReturnRequest.objects.get(order_id="POISON")
    assert (poison.status, poison.decide_attempts) == ("pending", 1)
    assert "return POISON failed to be decided (attempt 1 of 3)" in caplog.text


@pytest.mark.django_db
def test_when_no_return_can_be_decided_none_is_set_aside(active_model, monkeypatch):
    def broken(returns, **options):
        raise ValueError("the model cannot score anything")

    monkeypatch.setattr(pipeline, "returns_feature_rows", broken)
    ReturnRequestFactory.create_batch(3)
    for _ in range(4):
        assert returns_decide_pending() == 0
    assert set(ReturnRequest.objects.values_list("status", "decide_attempts")) == {("pending", 0)}


@pytest.mark.django_db
def test_a_return_that_keeps_failing_is_set_aside_and_an_admin_can_retry_it(
    active_model, monkeypatch, admin_user
):
    real_rows = pipeline.returns_feature_rows
    scored_batches = []

    def failing_rows(returns, **options):
        scored_batches.append([r.order_id for r in returns])
        if any(r.order_id == "POISON" for r in returns):
            raise ValueError("cannot score this row")
        return real_rows(returns, **options)

    monkeypatch.setattr(pipeline, "returns_feature_rows", failing_rows)
    ReturnRequestFactory(order_id="POISON")
    for _ in range(3):
        ReturnRequestFactory()
        returns_decide_pending()
    poison = ReturnRequest.objects.get(order_id="POISON")
    assert (poison.status, poison.decide_attempts) == ("failed", 3)
    assert poison.decide_error == "ValueError: cannot score this row"
    assert pipeline_status().problems["failed"].startswith("1 return(s) could not be decided")

    scored_batches.clear()
    ReturnRequestFactory.create_batch(2)
    assert returns_decide_pending() == 2
    assert len(scored_batches) == 1  # one batch, which did not fail
    assert "POISON" not in scored_batches[0]

    monkeypatch.setattr(pipeline, "returns_feature_rows", real_rows)  # the cause is fixed
    assert returns_retry_failed(return_ids=[poison.pk], actor=admin_user) == 1
    assert AuditEvent.objects.filter(action="return.retry", object_id=str(poison.pk)).exists()
    assert returns_decide_pending() == 1
    assert ReturnRequest.objects.get(order_id="POISON").decision


@pytest.mark.django_db
def test_the_fallback_honours_the_soft_time_limit(active_model, monkeypatch):
    calls = []

    def out_of_time(returns, **options):
        calls.append(len(returns))
        if len(returns) == 1:
            raise SoftTimeLimitExceeded()
        raise ValueError("batch fails, so returns are decided one at a time")

    monkeypatch.setattr(pipeline, "returns_feature_rows", out_of_time)
    ReturnRequestFactory.create_batch(3)
    with pytest.raises(SoftTimeLimitExceeded):
        returns_decide_pending()
    assert calls == [3, 1]  # stopped at the first single return, counted nothing against it
    assert set(ReturnRequest.objects.values_list("decide_attempts", flat=True)) == {0}


@pytest.mark.django_db
def test_decide_task_without_a_usable_model_leaves_returns_pending_and_says_so(
    active_model, caplog, monkeypatch
):
    monkeypatch.setattr(tasks, "_model_trouble_logged_at", float("-inf"))  # not rate-limited yet
    ReturnRequestFactory()
    (Path(settings.MODEL_ARTIFACT_DIR) / active_model.artifact_dir / "model.joblib").unlink()
    models._loaded.clear()
    decide_pending_returns()  # in-process; must not raise or schedule retries
    assert ReturnRequest.objects.get().status == "pending"
    assert any(r.levelname == "CRITICAL" for r in caplog.records)


@pytest.mark.django_db
def test_the_audit_sample_stops_at_its_daily_budget_and_records_each_chance(active_model):
    cost_settings_update(actor=None, values={"audit_reviews_per_day": 20})
    # 20 audits over at least 200 approvals in the last day: a base chance of up to 10% per
    # would-be approval, raised for those cheap to check.
    ReturnRequestFactory.create_batch(400)
    while returns_decide_pending():
        pass
    audited = ReviewCase.objects.filter(return_request__is_audit_sample=True)
    assert audited.count() == 20
    assert {case.reason_codes[0] for case in audited} == {"audit_sample"}
    for prices in (case.decision.prices for case in audited):
        assert 0 < prices["audit_base_rate"] <= 0.1
        assert prices["audit_base_rate"] <= prices["audit_probability"] <= 1
    # Once the day's audits are spent, approvals carry no chance of being sampled.
    last = Decision.objects.filter(action="approve").order_by("-id").first()
    assert "audit_probability" not in last.prices


@pytest.mark.django_db
def test_a_full_day_of_reviews_opens_no_more_cases(active_model):
    cost_settings_update(actor=None, values={"review_capacity_per_day": 1})
    dear = [
        ReturnRequestFactory(order_value=Decimal("2000.00"), payment_method="Crypto")
        for _ in range(3)
    ]
    returns_decide_pending()
    assert ReviewCase.objects.count() == 1
    later = Decision.objects.filter(return_request__in=dear[1:])
    assert {d.prices["review_price"] for d in later} == {None}
    assert {d.action for d in later} <= {"approve", "reject"}
    assert all(d.reasons[0]["code"] == "review_capacity" for d in later if d.action == "reject")


@pytest.mark.django_db
def test_a_batch_of_50_returns_takes_no_more_queries_than_a_batch_of_5(active_model):
    def queries_to_decide(count):
        ReturnRequestFactory.create_batch(count)  # each from a customer of its own
        with CaptureQueriesContext(connection) as queries:
            assert returns_decide_pending(limit=count) == count
        return [query["sql"] for query in queries]

    few = queries_to_decide(5)
    many = queries_to_decide(50)

    assert len(many) == len(few), "\n".join(many)


def test_batch_limits_double_from_the_smallest_to_the_largest():
    assert tasks.batch_limits(count=6) == [50, 100, 200, 250, 250, 250]


@pytest.mark.django_db
def test_the_decide_task_grows_its_batches_while_they_come_back_full(active_model):
    client = ApiClientFactory()
    at = timezone.now()
    ReturnRequest.objects.bulk_create(
        ReturnRequestFactory.build(client=client, customer=CustomerFactory(client=client),
                                   submitted_at=at, received_at=at)
        for _ in range(400)
    )  # fmt: skip
    decide_pending_returns()
    # A batch's decisions share their time: one group per batch, in the order they ran.
    batches = Decision.objects.values("decided_at").annotate(n=Count("id")).order_by("decided_at")
    assert [batch["n"] for batch in batches] == [50, 100, 200, 50]


@pytest.mark.django_db
def test_the_worker_logs_a_line_per_call_with_each_of_its_returns_actions(active_model, caplog):
    caplog.set_level(logging.INFO, logger="casework.decisions")
    client = ApiClientFactory()
    batch_call = ReturnRequestFactory.create_batch(
        pipeline.DECISIONS_PER_LOG_LINE + 20, client=client, request_id="call-batch"
    )
    single_call = ReturnRequestFactory(client=client, request_id="call-single")

    returns_decide_pending()

    lines = [record.msg for record in caplog.records if record.name == "casework.decisions"]
    assert [(line["request_id"], len(line["decisions"])) for line in lines] == [
        ("call-batch", pipeline.DECISIONS_PER_LOG_LINE),
        ("call-batch", 20),
        ("call-single", 1),
    ]
    logged = defaultdict(dict)
    for line in lines:
        assert line["event"] == "returns decided"
        assert line["client"] == client.name
        assert line["model_version"] == active_model.version
        logged[line["request_id"]].update(line["decisions"])
    actions = dict(Decision.objects.values_list("return_request__order_id", "action"))
    assert logged == {
        "call-batch": {r.order_id: actions[r.order_id] for r in batch_call},
        "call-single": {single_call.order_id: actions[single_call.order_id]},
    }
