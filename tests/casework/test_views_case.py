"""The case page, verdicts, claims, resolving a customer's cases together, the customer page."""

import re
from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from budgets.choices import EntryKind
from budgets.models import CustomerHold
from budgets.services.ledger import ledger_entry_for, ledger_post
from casework.choices import CaseStatus
from casework.models import Label, ReviewCase, Verdict
from casework.services.review import case_claim
from core.models import AuditEvent
from intake.choices import Outcome, ReturnStatus
from tests.casework.conftest import make_case
from tests.factories import (
    CustomerFactory,
    DecisionFactory,
    LabelFactory,
    LedgerAccountFactory,
    ReturnRequestFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def customer():
    return CustomerFactory(external_id="CUST-00417")


def verdict_url(case):
    return reverse("casework:case-verdict", args=[case.pk])


def test_case_page_opens_with_the_three_costs_and_the_reasons(client, reviewer, customer):
    case = make_case(
        customer=customer,
        reasons=[
            {"code": "budget_exceeded", "text": "booked loss $46.20 + $18.40 > budget $50.00"},
            {"code": "expected_cost", "text": "approve $18.40 < review $50.00 < reject $152.00"},
        ],
        decision={
            "cost_approve": Decimal("18.40"),
            "cost_reject": Decimal("152.00"),
            "cost_review": Decimal("50.00"),
            "contributions": [
                {"feature": "returns_velocity_30d", "effect": 0.21},
                {"feature": "days_since_purchase", "effect": -0.08},
            ],
            "fraud_probability": 0.153,
            "probability_used": 0.153,
            "ood_score": 0.91,
            "ood_threshold": 0.6,
        },
    )

    html = client.get(case.get_absolute_url()).content.decode()
    main = html.split('<main class="page">')[1]

    first_section = main.split("</section>")[0]
    assert re.search(r'class="cost cheapest" data-action="approve"', first_section)
    assert "$152.00" in first_section
    assert "$50.00" in first_section
    assert "booked loss $46.20 + $18.40 &gt; budget $50.00" in first_section
    assert "returns_velocity_30d" in html
    assert "+0.210" in html
    assert "0.910 against threshold 0.600" in html
    assert "outside</b> what the model was trained on" in html


def test_case_page_query_count_does_not_grow_with_joined_returns_entries_or_labels(
    client, reviewer, customer
):
    case = make_case(customer=customer)
    case_claim(case_id=case.pk, actor=reviewer)  # an audit trail to show
    account = LedgerAccountFactory(customer=customer)

    def add(count):
        """`count` more of each: joined returns, approved returns with a booking and a label,
        labels of the case's own return."""
        for _ in range(count):
            DecisionFactory(
                return_request=ReturnRequestFactory(
                    customer=customer, status=ReturnStatus.IN_REVIEW, joined_case=case
                ),
                reasons=[{"code": "open_case", "text": "the customer's open case decides it"}],
                cost_review=Decimal("0.00"),
            )
            earlier = DecisionFactory(
                action="approve",
                return_request__customer=customer,
                return_request__status=ReturnStatus.DECIDED,
                return_request__outcome=Outcome.APPROVED,
            ).return_request
            entry = ledger_entry_for(
                account=account,
                return_request=earlier,
                kind=EntryKind.EXPECTED_LOSS,
                amount=Decimal("1.20"),
            )
            ledger_post(entries=[entry])
            LabelFactory(return_request=earlier, is_fraud=False)
            LabelFactory(return_request=case.return_request, is_fraud=False)

    def page_queries():
        with CaptureQueriesContext(connection) as queries:
            assert client.get(case.get_absolute_url()).status_code == 200
        return [query["sql"] for query in queries]

    add(1)
    one = page_queries()
    add(9)
    ten = page_queries()

    assert len(ten) == len(one), "\n".join(ten)
    assert (
        "This verdict also decides 10 more returns"
        in client.get(case.get_absolute_url()).content.decode()
    )


def test_case_page_recommends_a_hold_only_for_a_bleeding_account(client, reviewer, customer):
    frequent = make_case(
        customer=customer,
        reasons=[
            {"code": "account_exposure", "text": "a review ($50.00) can stop this account"},
            {"code": "expected_cost", "text": "review $50.00 < approve $52.50 < reject $60.00"},
        ],
    )
    ordinary = make_case(customer=customer)

    html = client.get(frequent.get_absolute_url()).content.decode()
    assert 'id="hold-recommended"' in html
    assert "a review ($50.00) can stop this account" in html
    # Recommended, not pre-checked: a legitimate verdict must never hold by accident.
    assert 'name="hold_customer" id="id_hold_customer" data-shortcut="h">' in html
    assert 'id="hold-recommended"' not in client.get(ordinary.get_absolute_url()).content.decode()


def test_case_page_recommends_a_hold_for_a_customer_with_a_confirmed_fraud(
    client, reviewer, customer
):
    case = make_case(customer=customer)
    earlier = ReturnRequestFactory(customer=customer)
    LabelFactory(return_request=earlier, is_fraud=True)

    html = client.get(case.get_absolute_url()).content.decode()

    assert 'id="hold-recommended"' in html


def test_case_page_shows_customer_history_ledger_and_other_open_cases(client, reviewer, customer):
    case = make_case(customer=customer, decision={"budget": Decimal("50.00")})
    other_open = make_case(customer=customer)
    earlier = ReturnRequestFactory(
        customer=customer, order_id="ORD-EARLIER", outcome=Outcome.APPROVED, status="decided"
    )
    account = LedgerAccountFactory(customer=customer)
    ledger_post(
        entries=[
            ledger_entry_for(
                account=account,
                return_request=earlier,
                kind=EntryKind.EXPECTED_LOSS,
                amount=Decimal("46.20"),
            )
        ]
    )

    html = client.get(case.get_absolute_url()).content.decode()

    assert "ORD-EARLIER" in html
    assert "<svg" in html
    assert "polyline" in html
    assert "balance $46.20 against budget $50.00" in html
    assert f'name="together" value="{other_open.pk}"' in html


def test_case_page_shows_the_audit_trail_and_says_when_labels_disagree(client, reviewer, customer):
    case = make_case(customer=customer)
    case_claim(case_id=case.pk, actor=reviewer)
    now = timezone.now()
    LabelFactory(return_request=case.return_request, is_fraud=False, observed_at=now)
    LabelFactory(
        return_request=case.return_request, is_fraud=True, observed_at=now - timedelta(days=1)
    )

    html = client.get(case.get_absolute_url()).content.decode()

    assert "case.claim" in html
    assert "These labels disagree" in html
    labels = html.split("Labels of this return")[1].split("</ul>")[0]
    assert labels.index("legitimate") < labels.index("fraud")


def test_fraud_verdict_rejects_the_return_labels_it_audits_and_holds(client, reviewer, customer):
    case = make_case(customer=customer)
    case_claim(case_id=case.pk, actor=reviewer)

    response = client.post(
        verdict_url(case), {"verdict": "fraud", "hold_customer": "on", "note": "same address"}
    )

    assert response.status_code == 302
    case.refresh_from_db()
    returned = case.return_request
    returned.refresh_from_db()
    assert case.status == CaseStatus.RESOLVED
    assert (returned.status, returned.outcome) == (ReturnStatus.RESOLVED, Outcome.REJECTED)
    label = Label.objects.get(return_request=returned)
    assert (label.is_fraud, label.source, label.reviewer) == (True, "review", reviewer)
    verdict = Verdict.objects.get(case=case)
    assert (verdict.note, verdict.hold_customer) == ("same address", True)
    assert AuditEvent.objects.filter(
        action="case.verdict", object_type="casework.reviewcase", object_id=str(case.pk)
    ).exists()
    assert CustomerHold.objects.filter(customer=customer, released_at__isnull=True).exists()


def test_a_verdict_settles_the_returns_that_joined_the_case(client, reviewer, customer):
    case = make_case(customer=customer)
    joined = [
        ReturnRequestFactory(
            customer=customer,
            order_id=f"LATER-{n}",
            status=ReturnStatus.IN_REVIEW,
            joined_case=case,
        )
        for n in range(2)
    ]
    page = client.get(case.get_absolute_url()).content.decode()
    assert "This verdict also decides 2 more returns" in page
    assert "LATER-0" in page
    assert "LATER-1" in page
    case_claim(case_id=case.pk, actor=reviewer)

    client.post(verdict_url(case), {"verdict": "legitimate"})

    for return_request in [case.return_request, *joined]:
        return_request.refresh_from_db()
        assert (return_request.status, return_request.outcome) == ("resolved", "approved")
        assert Label.objects.get(return_request=return_request).is_fraud is False
    event = AuditEvent.objects.get(action="case.verdict", object_id=str(case.pk))
    assert event.after["returns"] == [case.return_request.order_id, "LATER-0", "LATER-1"]


def test_legitimate_verdict_approves_without_a_hold(client, reviewer, customer):
    case = make_case(customer=customer)
    case_claim(case_id=case.pk, actor=reviewer)

    client.post(verdict_url(case), {"verdict": "legitimate"})

    case.return_request.refresh_from_db()
    assert case.return_request.outcome == Outcome.APPROVED
    assert not Label.objects.get(return_request=case.return_request).is_fraud
    assert not CustomerHold.objects.filter(customer=customer).exists()


def test_after_a_verdict_the_next_case_is_claimed_and_opened(client, reviewer, customer):
    case = make_case(customer=customer, priority="80")
    following = make_case(customer=CustomerFactory(), priority="20")
    case_claim(case_id=case.pk, actor=reviewer)

    response = client.post(verdict_url(case), {"verdict": "legitimate"})

    assert response["Location"] == following.get_absolute_url()
    following.refresh_from_db()
    assert (following.status, following.assignee) == (CaseStatus.CLAIMED, reviewer)


def test_after_the_last_verdict_the_reviewer_returns_to_the_queue(client, reviewer, customer):
    case = make_case(customer=customer)
    case_claim(case_id=case.pk, actor=reviewer)

    response = client.post(verdict_url(case), {"verdict": "fraud"}, follow=True)

    assert response.redirect_chain[-1][0] == reverse("casework:queue")
    assert "The queue is empty" in response.content.decode()


def test_verdict_on_a_case_nobody_holds_claims_it_in_the_same_step(client, reviewer, customer):
    case = make_case(customer=customer)

    response = client.post(verdict_url(case), {"verdict": "fraud", "note": "keep me"})

    assert response.status_code == 302
    resolved = ReviewCase.objects.get(pk=case.pk)
    assert resolved.status == CaseStatus.RESOLVED
    assert (resolved.verdict.reviewer, resolved.verdict.note) == (reviewer, "keep me")


def test_a_hold_with_a_legitimate_verdict_is_refused_and_the_note_kept(client, reviewer, customer):
    case = make_case(customer=customer)
    case_claim(case_id=case.pk, actor=reviewer)
    body = {"verdict": "legitimate", "hold_customer": "on", "note": "keep me"}

    response = client.post(verdict_url(case), body)

    assert response.status_code == 400
    html = response.content.decode()
    assert "A hold goes with a fraud verdict" in html
    assert "keep me" in html
    assert ReviewCase.objects.get(pk=case.pk).status == CaseStatus.CLAIMED


def test_next_case_from_a_held_case_hands_it_back(client, reviewer, customer):
    current = make_case(customer=customer, priority="90.00")
    waiting = make_case(customer=customer, priority="10.00")
    case_claim(case_id=current.pk, actor=reviewer)
    assert (
        f'name="skipping" value="{current.pk}"'
        in client.get(current.get_absolute_url()).content.decode()
    )

    response = client.post(reverse("casework:next"), {"skipping": current.pk})

    assert response.url == waiting.get_absolute_url()
    assert ReviewCase.objects.get(pk=current.pk).status == CaseStatus.OPEN
    assert ReviewCase.objects.get(pk=waiting.pk).assignee == reviewer


def test_verdict_on_a_case_another_reviewer_holds_is_refused(client, reviewer, customer):
    case = make_case(customer=customer)
    holder = UserFactory(role="reviewer", username="maria")
    case_claim(case_id=case.pk, actor=holder)

    response = client.post(verdict_url(case), {"verdict": "legitimate"})

    assert response.status_code == 409
    html = response.content.decode()
    assert "Held by <b>maria</b>" in html
    assert 'id="claim-button"' not in html
    assert not Verdict.objects.filter(case=case).exists()


def test_verdict_needs_a_choice(client, reviewer, customer):
    case = make_case(customer=customer)
    case_claim(case_id=case.pk, actor=reviewer)

    assert client.post(verdict_url(case), {"verdict": "maybe"}).status_code == 400
    assert ReviewCase.objects.get(pk=case.pk).status == CaseStatus.CLAIMED


def test_resolving_together_claims_and_decides_each_of_the_customers_cases(
    client, reviewer, customer
):
    case = make_case(customer=customer)
    others = [make_case(customer=customer), make_case(customer=customer)]
    case_claim(case_id=case.pk, actor=reviewer)

    response = client.post(
        verdict_url(case), {"verdict": "fraud", "together": [o.pk for o in others]}
    )

    assert response.status_code == 302
    for resolved in [case, *others]:
        verdict = Verdict.objects.get(case=resolved)
        assert (verdict.verdict, verdict.reviewer) == ("fraud", reviewer)
    assert AuditEvent.objects.filter(action="case.claim", object_id=str(others[0].pk)).exists()


def test_resolving_together_changes_nothing_when_one_case_is_held_elsewhere(
    client, reviewer, customer
):
    case = make_case(customer=customer)
    free, taken = make_case(customer=customer), make_case(customer=customer)
    case_claim(case_id=case.pk, actor=reviewer)
    case_claim(case_id=taken.pk, actor=UserFactory(role="reviewer"))

    response = client.post(verdict_url(case), {"verdict": "fraud", "together": [free.pk, taken.pk]})

    assert response.status_code == 409
    assert f"case {taken.pk}: Another reviewer holds this case." in response.content.decode()
    assert not Verdict.objects.exists()
    assert ReviewCase.objects.get(pk=free.pk).status == CaseStatus.OPEN
    assert ReviewCase.objects.get(pk=case.pk).assignee == reviewer


def test_resolving_together_only_accepts_the_customers_own_open_cases(client, reviewer, customer):
    case = make_case(customer=customer)
    stranger = make_case(customer=CustomerFactory())
    case_claim(case_id=case.pk, actor=reviewer)

    response = client.post(verdict_url(case), {"verdict": "fraud", "together": [stranger.pk]})

    assert response.status_code == 400
    assert not Verdict.objects.exists()


def test_claim_button_claims_and_a_second_reviewer_gets_the_conflict(client, customer):
    case = make_case(customer=customer)
    first = UserFactory(role="reviewer")
    client.force_login(first)
    client.post(reverse("casework:case-claim", args=[case.pk]))
    assert ReviewCase.objects.get(pk=case.pk).assignee == first

    client.force_login(UserFactory(role="reviewer"))
    response = client.post(reverse("casework:case-claim", args=[case.pk]), follow=True)

    assert "Another reviewer holds this case." in response.content.decode()
    assert ReviewCase.objects.get(pk=case.pk).assignee == first


def test_reviewer_releases_their_own_claim_back_to_the_queue(client, reviewer, customer):
    case = make_case(customer=customer)
    case_claim(case_id=case.pk, actor=reviewer)

    response = client.post(reverse("casework:case-release", args=[case.pk]))

    assert response["Location"] == reverse("casework:queue")
    released = ReviewCase.objects.get(pk=case.pk)
    assert (released.status, released.assignee) == (CaseStatus.OPEN, None)


def test_case_page_documents_the_keyboard_shortcuts(client, reviewer, customer):
    case = make_case(customer=customer)
    case_claim(case_id=case.pk, actor=reviewer)

    html = client.get(case.get_absolute_url()).content.decode()

    for key in (
        'data-shortcut="f"',
        'data-shortcut="l"',
        'data-shortcut="h"',
        'data-shortcut="n"',
        'data-shortcut="c"',
    ):
        assert key in html
    assert 'data-shortcut="c Escape"' not in html  # Esc leaves the note; it must not release


def test_customer_page_shows_history_ledger_and_hold(client, reviewer, customer):
    case = make_case(customer=customer)
    account = LedgerAccountFactory(customer=customer)
    ledger_post(
        entries=[
            ledger_entry_for(
                account=account,
                return_request=case.return_request,
                kind=EntryKind.EXPECTED_LOSS,
                amount=Decimal("18.40"),
            )
        ]
    )
    CustomerHold.objects.create(customer=customer, reason="chargeback")

    html = client.get(customer.get_absolute_url()).content.decode()

    assert case.return_request.order_id in html
    assert "$18.40" in html
    assert "<svg" in html
    assert "On hold (reject later returns)" in html
    assert "Place hold" not in html


def test_case_page_shows_the_retailers_signals(client, reviewer, customer):
    case = make_case(customer=customer, attributes={"device_id": "dev-<9>", "account_age_days": 3})
    html = client.get(case.get_absolute_url()).content.decode()
    assert "<code>account_age_days</code></dt><dd>3</dd>" in html
    assert "dev-&lt;9&gt;" in html
