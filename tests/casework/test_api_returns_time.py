"""A return counts at the time the desk received it; `submitted_at` is the retailer's to tell."""

from datetime import timedelta
from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import timezone

from budgets.services.ledger import ledger_accounts_lock, ledger_entry_for, ledger_post
from casework.services.pipeline import returns_decide_pending
from intake.models import ReturnRequest
from scoring.models import Decision
from scoring.services.policies import policy_version_publish
from tests.casework.test_api_returns_validation import VALID
from tests.conftest import iso
from tests.factories import BudgetPolicyFactory, ReturnRequestFactory

pytestmark = pytest.mark.django_db


def test_a_backdated_return_is_priced_against_todays_portfolio_not_a_past_days(api, active_model):
    # Today's PayPal budget is all booked; yesterday's is untouched. Backdating a return must
    # not reach yesterday's.
    BudgetPolicyFactory(scope="portfolio", key="PayPal", amount=Decimal("100.00"))
    policy_version_publish(note="test")
    earlier = ReturnRequestFactory(payment_method="PayPal", status="decided", outcome="approved")
    account = ledger_accounts_lock(customer_ids=[earlier.customer_id])[earlier.customer_id]
    ledger_post(
        entries=[
            ledger_entry_for(
                account=account,
                return_request=earlier,
                kind="expected_loss",
                amount=Decimal("100.00"),
            )
        ]
    )
    body = {**VALID, "payment_method": "PayPal", "order_value": "30.00"}
    body["submitted_at"] = iso(timezone.now() - timedelta(days=1))
    assert api.post("/api/v1/returns", body, format="json").status_code == 202

    returns_decide_pending()
    stored = ReturnRequest.objects.get(order_id="ORD-1")
    decision = Decision.objects.get(return_request=stored)
    assert decision.portfolio_booked == Decimal("100.00")
    assert "portfolio_budget_exceeded" in [reason["code"] for reason in decision.reasons]
    assert stored.received_at.date() == timezone.now().date()
    assert stored.submitted_at.date() == (timezone.now() - timedelta(days=1)).date()


def test_the_accepted_age_of_submitted_at_comes_from_the_settings(api, settings):
    settings.SUBMITTED_AT_MAX_AGE = timedelta(hours=1)
    two_hours_ago = {**VALID, "submitted_at": iso(timezone.now() - timedelta(hours=2))}
    response = api.post("/api/v1/returns", two_hours_ago, format="json")
    assert response.status_code == 400
    assert "within the last 1 hour" in response.json()["errors"]["submitted_at"][0]
    half_an_hour_ago = {**VALID, "submitted_at": iso(timezone.now() - timedelta(minutes=30))}
    assert api.post("/api/v1/returns", half_an_hour_ago, format="json").status_code == 202


def test_import_returns_takes_old_rows_as_history_received_when_submitted(tmp_path, api):
    data = tmp_path / "history.csv"
    data.write_text(
        "order_id,customer_id,order_value,product_category,days_since_purchase,payment_method,"
        "submitted_at\n"
        "H-1,C-1,40.00,Toys,3,PayPal,2025-03-01T10:00:00Z\n"
        "H-2,C-1,40.00,Toys,3,PayPal,9999-01-01T10:00:00Z\n"
        "H-3,C-2,40.00,Toys,3,PayPal,\n"
    )
    out = StringIO()
    call_command("import_returns", str(data), stdout=out)
    assert "accepted 2, duplicate 0, invalid 1" in out.getvalue()
    history = ReturnRequest.objects.get(order_id="H-1")
    assert history.received_at == history.submitted_at
    assert history.received_at.year == 2025
    assert ReturnRequest.objects.get(order_id="H-3").received_at.date() == timezone.now().date()
