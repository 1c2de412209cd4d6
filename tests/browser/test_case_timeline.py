"""A reviewer opens a case whose return came back empty after it was approved, and reads what
happened on the timeline."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from casework.services.outcomes import outcome_record
from casework.services.review import case_claim, case_resolve
from tests.browser.conftest import assert_no_horizontal_scroll, log_in
from tests.factories import ReviewCaseFactory, UserFactory

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def test_an_empty_box_after_approval_is_on_the_case_timeline(new_page):
    dana = UserFactory(username="dana", role="reviewer")
    case = ReviewCaseFactory(decision__return_request__order_value=Decimal("90.00"))
    case_claim(case_id=case.pk, actor=dana)
    case_resolve(case_id=case.pk, actor=dana, verdict="legitimate")
    outcome_record(
        client=case.return_request.client,
        data={
            "event_id": "wh-123",
            "order_id": case.return_request.order_id,
            "kind": "inspection",
            "observed_at": timezone.now() + timedelta(minutes=1),
            "result": "failed",
            "reason": "empty_box",
        },
    )
    page = new_page()

    log_in(page, "dana")
    page.goto(case.get_absolute_url())

    timeline = page.locator("#timeline")
    expect(timeline).to_contain_text("inspection failed: empty box (warehouse, event wh-123)")
    expect(timeline).to_contain_text("label: fraud (inspection, event wh-123)")
    expect(timeline.locator("li").last).to_contain_text("label: fraud (inspection, event wh-123)")
    assert_no_horizontal_scroll(page)
