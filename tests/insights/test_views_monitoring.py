"""The monitoring page at /monitoring/: leads and admins only, a fixed number of queries."""

import re
from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from casework.models import Verdict
from insights.models import DriftSnapshot
from insights.selectors import audit_sample_cost
from tests.factories import ReturnRequestFactory, ReviewCaseFactory, UserFactory

pytestmark = pytest.mark.django_db

# Session, user, role groups, failed returns and their count, snapshots, the audit-sample
# aggregate and its weighted estimate, recent comparisons, and the session renewed for its idle
# timeout (a savepoint, the update, its release).
MONITORING_PAGE_QUERIES = 12


def snapshot(days_ago, status, payment_psi):
    return DriftSnapshot.objects.create(
        date=timezone.localdate() - timedelta(days=days_ago),
        status=status,
        metrics={
            "returns": 1000,
            "window_days": 7,
            "model_version": "m-test",
            "features": [
                {"feature": "order_value", "psi": 0.01, "status": "ok"},
                {"feature": "payment_method", "psi": payment_psi, "status": status},
            ],
            "ood_rate": 0.05,
            "ood_rate_expected": 0.02,
            "calibration": {"labelled": 12, "ece": 0.031},
        },
    )


def test_anonymous_visitor_is_sent_to_login(client):
    response = client.get(reverse("monitoring:index"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_reviewer_is_refused(client):
    client.force_login(UserFactory(role="reviewer"))
    assert client.get(reverse("monitoring:index")).status_code == 403


@pytest.mark.parametrize("role", ["lead", "admin"])
def test_leads_and_admins_see_the_latest_table_and_the_history(client, role):
    client.force_login(UserFactory(role=role))
    snapshot(1, "ok", 0.02)
    snapshot(0, "alarm", 0.3876)

    html = client.get(reverse("monitoring:index")).content.decode()

    latest = re.search(r'<tr data-feature="payment_method">(.*?)</tr>', html, re.S).group(1)
    assert "0.3876" in latest
    assert 'class="chip chip-hold">alarm' in latest
    assert 'id="drift-history"' in html
    assert "OOD rate 5%" in html
    assert "ECE 0.0310 on 12 labelled returns" in html


def test_page_without_snapshots_says_how_to_get_one(client):
    client.force_login(UserFactory(role="lead"))
    html = client.get(reverse("monitoring:index")).content.decode()
    assert "No snapshot yet" in html
    assert "No retraining yet" in html


def test_monitoring_page_query_count_does_not_grow_with_history(client):
    client.force_login(UserFactory(role="lead"))
    for days_ago in range(20):
        snapshot(days_ago, "warn", 0.12)
    with CaptureQueriesContext(connection) as queries:
        assert client.get(reverse("monitoring:index")).status_code == 200
    assert len(queries) == MONITORING_PAGE_QUERIES, [q["sql"][:100] for q in queries]


def test_audit_sample_reviews_and_their_cost_are_counted_apart():
    since = timezone.now() - timedelta(days=1)
    audit = ReviewCaseFactory.create_batch(3, decision__return_request__is_audit_sample=True)
    ReviewCaseFactory.create_batch(2, decision__cost_review=Decimal("45.00"))
    old = ReviewCaseFactory(decision__return_request__is_audit_sample=True)
    old.decision.decided_at = since - timedelta(days=3)
    old.decision.save(update_fields=["decided_at"])
    Verdict.objects.create(case=audit[0], verdict="fraud")
    Verdict.objects.create(case=audit[1], verdict="legitimate")

    totals = audit_sample_cost(since=since)

    assert (totals.audit_reviews, totals.audit_cost) == (3, Decimal("150.00"))
    assert (totals.audit_resolved, totals.audit_fraud_found) == (2, 1)
    assert (totals.other_reviews, totals.other_cost) == (2, Decimal("90.00"))


def test_the_audit_sample_estimates_approved_fraud_by_inverse_probability():
    sampled = [
        ReviewCaseFactory(
            decision__return_request__is_audit_sample=True,
            decision__return_request__order_value=Decimal(value),
            decision__prices={"audit_probability": probability},
        )
        for value, probability in (("80.00", 0.01), ("30.00", 0.02), ("10.00", 0.05))
    ]
    Verdict.objects.create(case=sampled[0], verdict="fraud")
    Verdict.objects.create(case=sampled[1], verdict="legitimate")

    totals = audit_sample_cost(since=timezone.now() - timedelta(days=1))

    # Resolved: 1/0.01 + 1/0.02 = 150 approvals; the fraud one stands for 100 × $80.
    assert totals.approvals_represented == 150
    assert totals.estimated_fraud_approved == Decimal("8000.00")


@pytest.mark.django_db
def test_monitoring_page_lists_returns_that_could_not_be_decided(client):
    client.force_login(UserFactory(role="lead"))
    ReturnRequestFactory(order_id="STUCK-1", status="failed", decide_error="ValueError: bad row")
    page = client.get(reverse("monitoring:index")).content.decode()
    assert "1 return could not be decided" in page
    assert "STUCK-1" in page
    assert "ValueError: bad row" in page
