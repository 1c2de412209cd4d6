"""/metrics: what Prometheus scrapes, read from the database and Redis, for operators only."""

import json
import re
from datetime import timedelta

import pytest
import redis
from django.conf import settings
from django.utils import timezone
from prometheus_client.parser import text_string_to_metric_families

from casework.models import ReviewCase
from insights.metrics import TASK_FAILURES_KEY, task_failure_record
from intake.models import ReturnRequest
from scoring.services.policies import policy_version_current
from tests.factories import (
    DecisionFactory,
    ModelVersionFactory,
    ReturnRequestFactory,
    ReviewCaseFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

TOKEN = "scrape-token-for-tests"


@pytest.fixture
def scrape(client, settings):
    settings.METRICS_TOKEN = TOKEN

    def samples():
        response = client.get("/metrics", HTTP_AUTHORIZATION=f"Bearer {TOKEN}")
        assert response.status_code == 200, response.content
        return {
            (sample.name, tuple(sorted(sample.labels.items()))): sample.value
            for family in text_string_to_metric_families(response.content.decode())
            for sample in family.samples
        }

    return samples


@pytest.fixture
def no_task_failures():
    broker = redis.Redis.from_url(settings.REDIS_URL)
    broker.delete(TASK_FAILURES_KEY)
    yield
    broker.delete(TASK_FAILURES_KEY)


@pytest.mark.parametrize(
    ("who", "token", "status"),
    [
        (None, None, 403),
        (None, "not-the-token", 403),
        ("reviewer", None, 403),
        ("lead", None, 200),
        (None, TOKEN, 200),
    ],
)
def test_only_the_scrape_token_or_a_lead_reads_metrics(client, settings, who, token, status):
    settings.METRICS_TOKEN = TOKEN
    if who:
        client.force_login(UserFactory(role=who))
    headers = {"HTTP_AUTHORIZATION": f"Bearer {token}"} if token else {}
    assert client.get("/metrics", **headers).status_code == status


def test_an_empty_token_setting_admits_no_bearer(client, settings):
    settings.METRICS_TOKEN = ""
    assert client.get("/metrics", HTTP_AUTHORIZATION="Bearer ").status_code == 403


@pytest.fixture
def desk_day(no_task_failures):
    """Returns pending and failed, today's decisions and cases, and a task that failed twice."""
    now = timezone.now()
    waiting = ReturnRequestFactory()
    ReturnRequestFactory()
    ReturnRequest.objects.filter(pk=waiting.pk).update(received_at=now - timedelta(minutes=10))
    ReturnRequestFactory(status="failed")
    model = ModelVersionFactory(version="m-live", is_active=True)
    # Decided under the published policy, as the worker decides.
    under = {"model_version": model, "policy_version": policy_version_current()}
    expected_cost = [{"code": "expected_cost", "text": "…"}]
    DecisionFactory(action="approve", reasons=expected_cost, **under)
    DecisionFactory(action="approve", reasons=expected_cost, **under)
    DecisionFactory(action="reject", reasons=expected_cost, **under)
    DecisionFactory(decided_at=now - timedelta(days=2), **under)  # not today's
    fresh = ReviewCaseFactory(decision=DecisionFactory(**under))
    overdue = ReviewCaseFactory(
        decision=DecisionFactory(
            prices={"portfolio_lambda": "0.4000", "review_price": "62.50"},
            return_request__payment_method="Gift Card",
            **under,
        )
    )
    ReviewCase.objects.filter(pk=overdue.pk).update(created_at=now - timedelta(hours=5))
    assert fresh.pk
    task_failure_record("casework.tasks.decide_pending_returns")
    task_failure_record("casework.tasks.decide_pending_returns")


def test_backlog_decisions_queue_model_and_tasks(scrape, desk_day):
    metrics = scrape()

    assert metrics[("desk_returns_pending", ())] == 2
    assert 600 <= metrics[("desk_oldest_pending_age_seconds", ())] < 700
    assert metrics[("desk_returns_failed", ())] == 1
    decisions = (("action", "approve"), ("reason", "expected_cost"))
    assert metrics[("desk_decisions_today", decisions)] == 2
    assert metrics[("desk_decisions_today", (("action", "review"), ("reason", "uncertain")))] == 2
    assert metrics[("desk_open_cases", (("age", "under_1h"),))] == 1
    assert metrics[("desk_open_cases", (("age", "4h_to_24h"),))] == 1
    assert metrics[("desk_reviews_opened_today", ())] == 2
    assert metrics[("desk_review_capacity_today", ())] > 0
    assert metrics[("desk_portfolio_price_multiplier", (("payment_method", "Gift Card"),))] == 1.4
    assert metrics[("desk_review_price_dollars", ())] == 62.5
    assert metrics[("desk_model_info", (("version", "m-live"),))] == 1
    assert metrics[("desk_redis_up", ())] == 1
    failures = (("task", "casework.tasks.decide_pending_returns"),)
    assert metrics[("desk_task_failures_total", failures)] == 2


def test_requests_are_counted_by_view(client, scrape):
    client.get("/healthz")
    metrics = scrape()
    by_view = [
        value
        for (name, labels), value in metrics.items()
        if name == "django_http_requests_latency_seconds_by_view_method_count"
        and ("view", "healthz") in labels
    ]
    assert by_view
    assert by_view[0] >= 1


def test_a_redis_outage_is_reported_not_raised(scrape, settings):
    settings.REDIS_URL = "redis://127.0.0.1:1/0"
    metrics = scrape()
    assert metrics[("desk_redis_up", ())] == 0
    assert not any(name == "desk_task_failures_total" for name, _ in metrics)


def test_the_grafana_dashboard_charts_only_what_metrics_exposes(client, scrape, desk_day):
    client.get("/healthz")
    exposed = {name for name, _ in scrape()}
    dashboard = json.loads((settings.BASE_DIR / "docs" / "grafana-dashboard.json").read_text())
    charted = {
        name
        for panel in dashboard["panels"]
        for target in panel["targets"]
        for name in re.findall(r"\b(?:desk|django)_[a-z_]+", target["expr"])
    }
    assert charted
    assert charted <= exposed, charted - exposed
