"""The case page's timeline: the return's decision, the case's steps, and the outcome events and
labels that arrived after, each saying where it came from."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.db.models import Sum
from django.urls import reverse
from django.utils import timezone

from budgets.choices import EntryKind
from budgets.models import LedgerEntry
from casework.services.review import case_claim, case_resolve
from tests.conftest import iso
from tests.factories import ReviewCaseFactory

pytestmark = pytest.mark.django_db


def timeline_texts(page: str) -> list[str]:
    section = page.split('id="timeline"', 1)[1].split("</section>", 1)[0]
    return [
        item.split("</time>", 1)[1].split("<", 1)[0].strip() for item in section.split("<li")[1:]
    ]


def test_empty_box_after_an_approving_verdict_books_the_loss_and_shows_on_the_case_page(
    client, reviewer, submitter, labeler_api
):
    case = ReviewCaseFactory(
        decision__return_request__client=submitter,
        decision__return_request__order_value=Decimal("120.00"),
    )
    case_claim(case_id=case.pk, actor=reviewer)
    case_resolve(case_id=case.pk, actor=reviewer, verdict="legitimate")
    return_request = case.return_request
    return_request.refresh_from_db()
    assert return_request.outcome == "approved"
    observed = timezone.now() + timedelta(minutes=1)  # after the verdict, inside the clock skew
    for body in (
        {"event_id": "scan-7", "kind": "carrier_scan", "status": "delivered_to_warehouse"},
        {"event_id": "wh-123", "kind": "inspection", "result": "failed", "reason": "empty_box"},
    ):
        response = labeler_api.post(
            "/api/v1/outcomes",
            {"order_id": return_request.order_id, "observed_at": iso(observed), **body},
            format="json",
        )
        assert response.status_code == 201, response.json()

    realized = LedgerEntry.objects.filter(
        return_request=return_request, kind=EntryKind.REALIZED_LOSS
    ).aggregate(total=Sum("amount"))["total"]
    assert realized == Decimal("120.00")

    page = client.get(reverse("casework:case", args=[case.pk])).content.decode()

    steps = timeline_texts(page)
    assert steps[0] == "return received"
    assert steps.index("case opened") < steps.index("case claimed")
    assert steps.index("case claimed") < steps.index("case resolved: legitimate")
    assert steps.index("case resolved: legitimate") < steps.index(
        "inspection failed: empty box (warehouse, event wh-123)"
    )
    assert "carrier scan: delivered to warehouse (carrier, event scan-7)" in steps
    assert "label: fraud (inspection, event wh-123)" in steps
    assert f"label: legitimate (review, {reviewer.get_username()})" in steps


def test_a_case_without_outcomes_shows_its_decision_and_opening(client, reviewer):
    case = ReviewCaseFactory()
    page = client.get(reverse("casework:case", args=[case.pk])).content.decode()
    steps = timeline_texts(page)
    assert steps[:1] == ["return received"]
    assert "case opened" in steps
    assert any(step.startswith("decided: ") for step in steps)
