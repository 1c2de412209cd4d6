"""Verdicts feeding back: a ring account held after its first fraud verdict; claims under load."""

from collections import Counter
from decimal import Decimal
from functools import partial

import pytest

from casework.models import Label, ReviewCase
from casework.services.pipeline import returns_decide_pending
from casework.services.review import case_claim, case_claim_next, case_resolve
from intake.models import ReturnRequest
from tests.concurrency import run_concurrently
from tests.factories import (
    CustomerFactory,
    ReturnRequestFactory,
    ReviewCaseFactory,
    UserFactory,
)


@pytest.mark.django_db
def test_one_review_decides_a_ring_accounts_returns_and_its_hold_rejects_the_next(active_model):
    reviewer = UserFactory(role="reviewer")
    account = CustomerFactory(external_id="RING-007")
    ring = [
        ReturnRequestFactory(
            customer=account,
            order_value=Decimal("26.00"),
            returns_velocity_30d=8,
            product_category="Beauty",
        )
        for _ in range(4)
    ]
    returns_decide_pending()
    # The first return already goes to review: approving it would leave a frequent returner
    # open, and a fraud verdict can stop the account. The other three join that one case.
    case = ReviewCase.objects.get(return_request__customer__external_id="RING-007")
    assert case.reason_codes[0] == "account_exposure"
    joined = ReturnRequest.objects.filter(joined__case=case)
    assert joined.count() == 3
    assert {r.decision.reasons[0]["code"] for r in joined} == {"open_case"}
    assert {r.status for r in joined} == {"in_review"}

    case_claim(case_id=case.pk, actor=reviewer)
    case_resolve(case_id=case.pk, actor=reviewer, verdict="fraud", hold_customer=True)

    for return_request in ring:
        return_request.refresh_from_db()
        assert (return_request.status, return_request.outcome) == ("resolved", "rejected")
        assert Label.objects.get(return_request=return_request).is_fraud
    later = ReturnRequestFactory(
        customer=ring[0].customer,
        order_value=Decimal("24.00"),
        returns_velocity_30d=9,
        product_category="Beauty",
    )
    returns_decide_pending()
    later.refresh_from_db()
    assert (later.status, later.outcome) == ("decided", "rejected")
    assert later.decision.reasons[0]["code"] == "customer_hold"
    assert not ReviewCase.objects.filter(return_request=later).exists()


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_twenty_threads_never_give_one_case_to_two_reviewers():
    reviewers = [UserFactory(role="reviewer") for _ in range(10)]
    cases = ReviewCaseFactory.create_batch(15)
    claimants = [reviewers[i % 10] for i in range(20)]

    cases_claimed = run_concurrently(
        *(partial(case_claim_next, actor=reviewer) for reviewer in claimants)
    )

    claims = [
        (case.pk if case else None, reviewer.pk)
        for case, reviewer in zip(cases_claimed, claimants, strict=True)
    ]
    taken = [case_id for case_id, _ in claims if case_id is not None]
    assert len(taken) == 15
    assert Counter(taken).most_common(1)[0][1] == 1
    holders = dict(ReviewCase.objects.values_list("pk", "assignee_id"))
    for case_id, reviewer_id in claims:
        if case_id is not None:
            assert holders[case_id] == reviewer_id
    assert {c.pk for c in cases} == set(taken)
    assert set(ReviewCase.objects.values_list("status", flat=True)) == {"claimed"}
