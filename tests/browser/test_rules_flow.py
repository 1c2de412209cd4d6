"""A lead writes a rule in the browser, test-runs it, publishes it, and sees it fire on the next
return a retailer submits."""

import json
from datetime import timedelta
from pathlib import Path

import pytest
from playwright.sync_api import expect

from casework.services.pipeline import returns_decide_pending
from scoring.models import Decision
from tests.browser.conftest import assert_no_horizontal_scroll, log_in, return_body, submit
from tests.factories import UserFactory

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
RULE = {
    "when": {
        "all": [
            {"field": "product_category", "op": "eq", "value": "Electronics"},
            {"field": "order_value", "op": "gt", "value": 500},
        ]
    },
    "effect": {"type": "probability_floor", "value": 0.25},
}


def test_write_test_run_publish_and_see_the_rule_fire_on_a_new_return(new_page, api, active_model):
    UserFactory(username="lee", role="lead")
    # Yesterday's returns, decided by the worker: one the rule would have caught.
    for order, value, category in [
        ("ORD-1001", "640.00", "Electronics"),
        ("ORD-1002", "45.00", "Beauty"),
        ("ORD-1003", "700.00", "Home"),
    ]:
        body = return_body(order, f"C-{order}", value, category, "Credit Card", 0.2, 0, 10)
        submit(api, ago=timedelta(days=1), **body)
    returns_decide_pending()
    assert Decision.objects.get(return_request__order_id="ORD-1001").action == "approve"

    page = new_page()
    log_in(page, "lee")
    page.click("text=Rules")
    page.click("#new-rule")
    page.fill("#id_name", "Electronics over $500")
    page.fill("#id_definition", json.dumps(RULE, indent=2))
    page.click("#test-run")

    expect(page.locator("#test-run-result")).to_be_visible()
    expect(page.locator("#test-run-hits")).to_have_text("1")
    expect(page.locator("#test-run-changed")).to_have_text("1")
    expect(page.locator("#test-run-changes")).to_contain_text("ORD-1001")
    expect(page.locator("#test-run-changes")).to_contain_text("expected cost")
    assert_no_horizontal_scroll(page)
    page.screenshot(path=str(SCREENSHOTS / "rule-test-run.png"), full_page=True)

    page.click("#publish-live")
    expect(page.locator(".message-success")).to_contain_text("v1 is live")

    submit(
        api,
        ago=timedelta(minutes=1),
        **return_body("ORD-2001", "C-2001", "820.00", "Electronics", "Credit Card", 0.2, 0, 10),
    )
    returns_decide_pending()
    decision = Decision.objects.get(return_request__order_id="ORD-2001")
    assert decision.action == "review"
    assert [hit["name"] for hit in decision.rules_fired] == ["Electronics over $500"]

    page.goto(decision.review_case.get_absolute_url())
    expect(page.locator("body")).to_contain_text(
        "Electronics over $500: fraud probability priced at no less than 0.25"
    )
