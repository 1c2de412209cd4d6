"""A day of live traffic: the shared drift files through the real HTTP API and a real Celery
worker, with a reviewer working the queue as batches arrive; prints the day's economics."""

from datetime import date

import pytest
from django.conf import settings

from casework.choices import CaseStatus
from casework.models import ReviewCase
from core.choices import ApiRole
from core.services.api_clients import api_client_create
from insights.live_day import live_day_rows_read, live_day_run
from intake.models import ReturnRequest
from scoring.models import CostSettings
from scoring.services.policies import policy_version_current, review_capacity_on
from scoring.services.tuning import cost_settings_update

pytestmark = [pytest.mark.system, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


@pytest.mark.parametrize("name", ["returns_severe_drift.csv", "returns_mild_drift.csv"])
def test_a_live_day_settles_every_return_and_costs_less_than_approving_all(
    name, live_server, active_model, worker, submitter
):
    # The day runs with every default, the audit sample's daily budget included.
    default_audits = CostSettings._meta.get_field("audit_reviews_per_day").default
    cost_settings_update(actor=None, values={"audit_reviews_per_day": default_audits})
    _, reviewer_key = api_client_create(name="live-day-reviewer", role=ApiRole.REVIEWER)
    rows = live_day_rows_read(path=settings.SHARED_DATASETS / name)

    result = live_day_run(
        url=live_server.url,
        submitter_key=submitter.key,
        reviewer_key=reviewer_key,
        rows=rows,
        batch_size=100,
        timeout=120,
    )

    print("\n" + result.format_line(label=name))
    assert result.returns == len(rows)
    assert result.pending_left == 0
    assert result.open_cases_left == 0
    assert not ReviewCase.objects.exclude(status=CaseStatus.RESOLVED).exists()
    # What the client learnt through the API is what the desk recorded.
    assert result.cases_opened == ReviewCase.objects.count()
    assert result.joined == ReturnRequest.objects.filter(joined__isnull=False).count()
    snapshot = policy_version_current().snapshot
    for day, opened in result.reviews_per_day.items():
        assert opened <= review_capacity_on(snapshot, date.fromisoformat(day))
    assert result.cost_per_return < result.approve_all_per_return
