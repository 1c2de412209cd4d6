"""What the desk exposes to Prometheus at /metrics, beside the per-view request metrics.

The desk's own figures are read from PostgreSQL and Redis at scrape time, so every web process
answers the same numbers whichever machine decided the returns: nothing is counted in one
process's memory. Each query uses an index (pending and open cases by status, decisions by time),
so a scrape stays cheap at a million returns.
"""

import logging
from datetime import UTC, datetime, time, timedelta

import redis
from django.conf import settings
from django.db.models import Count, F, Min
from django.db.models.fields.json import KT
from django.utils import timezone
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily

from casework.choices import CaseStatus
from casework.models import ReviewCase
from casework.selectors import cases_opened_on
from intake.choices import ReturnStatus
from intake.models import ReturnRequest
from scoring.models import Decision, ModelVersion
from scoring.services.policies import policy_version_current, review_capacity_on

logger = logging.getLogger(__name__)

TASK_FAILURES_KEY = "returnsdesk:task-failures"
# Open cases by how long they have waited; the desk's review SLA is 4 hours.
OPEN_CASE_AGES = [
    ("under_1h", 0, 1),
    ("1h_to_4h", 1, 4),
    ("4h_to_24h", 4, 24),
    ("over_24h", 24, None),
]


def _redis():
    return redis.Redis.from_url(settings.REDIS_URL, socket_timeout=0.5, socket_connect_timeout=0.5)


def task_failure_record(task_name: str) -> None:
    """Counts a failed Celery task in Redis, where every worker's failures add up."""
    try:
        _redis().hincrby(TASK_FAILURES_KEY, task_name, 1)
    except redis.RedisError:
        logger.warning("could not count the failure of %s", task_name, exc_info=True)


def _start_of_today():
    return datetime.combine(timezone.now().date(), time.min, tzinfo=UTC)


class DeskCollector:
    """The backlog, the decisions, the queue, the constraint prices, the model and the tasks."""

    def collect(self):
        yield from self._backlog()
        yield from self._decisions_today()
        yield from self._queue()
        yield from self._prices()
        yield from self._model()
        yield from self._tasks()

    def _backlog(self):
        pending = ReturnRequest.objects.filter(status=ReturnStatus.PENDING).aggregate(
            count=Count("id"), oldest=Min("received_at")
        )
        yield GaugeMetricFamily(
            "desk_returns_pending", "Returns waiting for a decision.", value=pending["count"]
        )
        age = (timezone.now() - pending["oldest"]).total_seconds() if pending["oldest"] else 0
        yield GaugeMetricFamily(
            "desk_oldest_pending_age_seconds",
            "How long the oldest pending return has waited.",
            value=max(age, 0),
        )
        yield GaugeMetricFamily(
            "desk_returns_failed",
            "Returns set aside after failing to be decided; retried from the admin.",
            value=ReturnRequest.objects.filter(status=ReturnStatus.FAILED).count(),
        )

    def _decisions_today(self):
        family = GaugeMetricFamily(
            "desk_decisions_today",
            "Decisions since midnight UTC, by action and leading reason.",
            labels=["action", "reason"],
        )
        rows = (
            Decision.objects.filter(decided_at__gte=_start_of_today())
            .annotate(reason=KT("reasons__0__code"))
            .values("action", "reason")
            .annotate(n=Count("id"))
        )
        for row in rows:
            family.add_metric([row["action"], row["reason"] or ""], row["n"])
        yield family

    def _queue(self):
        now = timezone.now()
        family = GaugeMetricFamily(
            "desk_open_cases", "Review cases not yet resolved, by age.", labels=["age"]
        )
        open_cases = ReviewCase.objects.exclude(status=CaseStatus.RESOLVED)
        for label, low, high in OPEN_CASE_AGES:
            in_band = open_cases.filter(created_at__lte=now - timedelta(hours=low))
            if high is not None:
                in_band = in_band.filter(created_at__gt=now - timedelta(hours=high))
            family.add_metric([label], in_band.count())
        yield family
        yield GaugeMetricFamily(
            "desk_reviews_opened_today",
            "Review cases opened by today's decisions.",
            value=cases_opened_on(day=now.date())[0],
        )
        capacity = review_capacity_on(policy_version_current().snapshot, now.date())
        if capacity is not None:
            yield GaugeMetricFamily(
                "desk_review_capacity_today", "Reviews the desk can take today.", value=capacity
            )

    def _prices(self):
        """The prices the policy put on its limits in its latest decision of each payment
        method today: what approving and reviewing cost on top of their plain expected cost."""
        portfolio = GaugeMetricFamily(
            "desk_portfolio_price_multiplier",
            "1 + λ: how much the day's portfolio budget multiplies an approval's expected loss.",
            labels=["payment_method"],
        )
        review = GaugeMetricFamily(
            "desk_review_price_dollars",
            "What the latest decision priced a review at, capacity included.",
        )
        latest = (
            Decision.objects.filter(decided_at__gte=_start_of_today())
            .order_by("return_request__payment_method", "-decided_at")
            .distinct("return_request__payment_method")
            .values(
                "decided_at",
                method=F("return_request__payment_method"),
                portfolio_lambda=KT("prices__portfolio_lambda"),
                review_price=KT("prices__review_price"),
            )
        )
        newest = None
        for row in latest:
            if row["portfolio_lambda"] is not None:
                portfolio.add_metric([row["method"]], 1 + float(row["portfolio_lambda"]))
            if row["review_price"] is not None and (
                newest is None or row["decided_at"] > newest["decided_at"]
            ):
                newest = row
        yield portfolio
        if newest is not None:
            review.add_metric([], float(newest["review_price"]))
            yield review

    def _model(self):
        family = GaugeMetricFamily(
            "desk_model_info", "The active model version (value 1).", labels=["version"]
        )
        active = ModelVersion.objects.filter(is_active=True).values_list("version", flat=True)
        for version in active:
            family.add_metric([version], 1)
        yield family

    def _tasks(self):
        up = GaugeMetricFamily("desk_redis_up", "Whether Redis, the task broker, answered.")
        try:
            failures = _redis().hgetall(TASK_FAILURES_KEY)
        except redis.RedisError:
            up.add_metric([], 0)
            yield up
            return
        up.add_metric([], 1)
        yield up
        family = CounterMetricFamily(
            "desk_task_failures", "Celery tasks that raised, by task.", labels=["task"]
        )
        for task, count in sorted(failures.items()):
            family.add_metric([task.decode()], int(count))
        yield family
