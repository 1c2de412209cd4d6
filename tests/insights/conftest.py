"""Decided returns as the reports read them back, and the live costs they are priced at."""

from decimal import Decimal

import pytest
from django.utils import timezone

from intake.choices import ReturnStatus
from scoring.services.policies import cost_settings_current
from tests.factories import DecisionFactory, LabelFactory, ReturnRequestFactory

OPEN_CASE = [
    {
        "code": "open_case",
        "text": "the customer's open case decides this return too: it waits for that verdict "
        "at no extra review",
    }
]


@pytest.fixture
def live_costs(db):
    """The live cost settings with the audit sample off, so that no return lands in it by the
    luck of its order id. Saved in place: no policy version is published."""
    costs = cost_settings_current()
    costs.audit_reviews_per_day = 0
    costs.save()
    return costs


def decided(
    *, action, at=None, p=0.1, value="100.00", outcome=None, label=None, reasons=None, **fields
):
    """A return submitted and decided `at` (now): the decision to `action` at fraud probability
    `p` on an order worth `value`, the return's `outcome` once known, and a label if `label` is
    given. Other fields are the decision's, or the return's as `return_request__<field>`."""
    at = at or timezone.now()
    decision = DecisionFactory(
        action=action,
        fraud_probability=p,
        probability_used=p,
        reasons=reasons or [{"code": "expected_cost", "text": "approve $10.00 < review $50.00"}],
        decided_at=at,
        return_request__order_value=Decimal(value),
        return_request__submitted_at=at,
        return_request__status=ReturnStatus.DECIDED if outcome else ReturnStatus.IN_REVIEW,
        return_request__outcome=outcome,
        **fields,
    )
    if label is not None:
        LabelFactory(return_request=decision.return_request, is_fraud=label)
    return decision


def joined(case, *, at=None, outcome=None, value="120.00", label=None):
    """A later return of the case's customer that joined the case, as the pipeline records it:
    a review at no price of its own, waiting for the case's verdict."""
    return_request = ReturnRequestFactory(
        customer=case.return_request.customer,
        joined_case=case,
        order_value=Decimal(value),
        status=ReturnStatus.DECIDED if outcome else ReturnStatus.IN_REVIEW,
        outcome=outcome,
    )
    if label is not None:
        LabelFactory(return_request=return_request, is_fraud=label)
    return DecisionFactory(
        return_request=return_request,
        action="review",
        reasons=OPEN_CASE,
        cost_review=Decimal("0.00"),
        prices={"portfolio_lambda": "0.0000", "review_price": "0.00", "joins_case": True},
        decided_at=at or timezone.now(),
    )
