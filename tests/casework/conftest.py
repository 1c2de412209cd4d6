"""Review cases as the pipeline opens them, claims on them, and the reviewer who works them."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from casework.choices import CaseStatus
from casework.models import ReviewCase
from tests.factories import ReviewCaseFactory, UserFactory


@pytest.fixture
def reviewer(client):
    """A reviewer, signed in on the test client."""
    user = UserFactory(role="reviewer")
    client.force_login(user)
    return user


def make_case(*, priority="10.00", age_minutes=0, reasons=None, decision=None, **return_fields):
    """An open case worth `priority`, opened `age_minutes` ago, for a decision with `reasons`
    and the other `decision` fields; `return_fields` (customer, order_id, …) are its return's."""
    decision = {**(decision or {}), **({"reasons": reasons} if reasons else {})}
    case = ReviewCaseFactory(
        priority=Decimal(priority),
        **{f"decision__{name}": value for name, value in decision.items()},
        **{f"decision__return_request__{name}": value for name, value in return_fields.items()},
    )
    if age_minutes:
        created = timezone.now() - timedelta(minutes=age_minutes)
        ReviewCase.objects.filter(pk=case.pk).update(created_at=created)
        case.refresh_from_db()
    return case


def claimed(case, by, *, expires_in=timedelta(minutes=15)):
    """Marks `case` held by `by` until `expires_in` from now (a lapsed claim if negative)."""
    now = timezone.now()
    ReviewCase.objects.filter(pk=case.pk).update(
        status=CaseStatus.CLAIMED, assignee=by, claimed_at=now, claim_expires_at=now + expires_in
    )
