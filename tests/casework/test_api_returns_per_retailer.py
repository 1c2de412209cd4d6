"""Customers are per retailer: two clients using the same customer id never affect each other."""

from decimal import Decimal

import pytest
from rest_framework.test import APIClient

from budgets.models import BudgetPolicy, CustomerHold, LedgerAccount, LedgerEntry
from casework.models import ReviewCase
from casework.services.pipeline import returns_decide_pending
from casework.services.review import case_claim, case_resolve
from core.choices import ApiRole
from core.services.api_clients import api_client_create
from intake.constants import FALLBACK_RETURN_RATIO
from intake.models import Customer, ReturnRequest
from scoring.models import Decision
from scoring.services.policies import policy_version_publish
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

SHARED_ID = "CUST-SHARED"
BODY = {
    "customer_id": SHARED_ID,
    "order_value": "80.00",
    "product_category": "Electronics",
    "payment_method": "Credit Card",
    "days_since_purchase": 4,
}


@pytest.fixture
def retailers():
    """Two submitters, each with an HTTP client authenticated as it."""
    pair = []
    for name in ("shop-a", "shop-b"):
        client, key = api_client_create(name=name, role=ApiRole.SUBMITTER)
        http = APIClient()
        http.credentials(HTTP_AUTHORIZATION=f"Bearer {key}")
        pair.append((client, http))
    return pair


def submit(http, order_id, **fields):
    response = http.post("/api/v1/returns", {**BODY, "order_id": order_id, **fields}, format="json")
    assert response.status_code == 202, response.json()


def test_same_customer_id_at_two_retailers_is_two_customers_with_their_own_history_ledger_and_holds(
    active_model, retailers
):
    (shop_a, http_a), (shop_b, http_b) = retailers
    submit(http_a, "A-1", return_ratio=0.1, returns_velocity_30d=0)
    returns_decide_pending()
    booked_a = LedgerEntry.objects.get(return_request__order_id="A-1").amount
    assert booked_a > 0
    # A frequent returner at A goes to review; B's customer of the same id is new at B.
    submit(
        http_a,
        "A-2",
        order_value="25.00",
        product_category="Beauty",
        return_ratio=0.1,
        returns_velocity_30d=8,
    )
    submit(http_b, "B-1")
    returns_decide_pending()

    customer_a = Customer.objects.get(client=shop_a, external_id=SHARED_ID)
    customer_b = Customer.objects.get(client=shop_b, external_id=SHARED_ID)
    assert Customer.objects.filter(external_id=SHARED_ID).count() == 2
    b_1 = ReturnRequest.objects.get(client=shop_b, order_id="B-1")
    assert b_1.customer == customer_b
    # Derived from B's own history, which is empty: A's earlier return does not count.
    assert (b_1.returns_velocity_30d, b_1.return_ratio) == (0, FALLBACK_RETURN_RATIO)

    body_b = http_b.get("/api/v1/returns/B-1").json()
    body_a = http_a.get("/api/v1/returns/A-2").json()
    assert body_b["customer_id"] == body_a["customer_id"] == SHARED_ID
    assert body_b["decision"]["budget"]["booked_loss"] == "0.00"
    assert body_a["decision"]["budget"]["booked_loss"] == str(booked_a)
    account_a = LedgerAccount.objects.get(customer=customer_a)
    account_b = LedgerAccount.objects.get(customer=customer_b)
    assert account_a.balance == booked_a
    assert account_b.balance == sum(e.amount for e in account_b.entries.all())
    assert not account_b.entries.filter(return_request__client=shop_a).exists()

    reviewer = UserFactory(role="reviewer")
    case = ReviewCase.objects.get(return_request__order_id="A-2")
    case_claim(case_id=case.pk, actor=reviewer)
    case_resolve(case_id=case.pk, actor=reviewer, verdict="fraud", hold_customer=True)

    assert CustomerHold.objects.filter(customer=customer_a, released_at__isnull=True).exists()
    assert not CustomerHold.objects.filter(customer=customer_b).exists()
    submit(http_a, "A-3", return_ratio=0.1, returns_velocity_30d=0)
    submit(http_b, "B-2", return_ratio=0.1, returns_velocity_30d=0)
    returns_decide_pending()
    held = Decision.objects.get(return_request__order_id="A-3")
    free = Decision.objects.get(return_request__client=shop_b, return_request__order_id="B-2")
    assert (held.action, held.reasons[0]["code"]) == ("reject", "customer_hold")
    assert free.reasons[0]["code"] != "customer_hold"
    # B's booked loss is its own customer's: B-1's booking, nothing of A's.
    budget_b = http_b.get("/api/v1/returns/B-2").json()["decision"]["budget"]
    assert budget_b["booked_loss"] == str(account_b.balance)


def test_a_customer_budget_applies_to_that_retailers_customer_only(active_model, retailers):
    (shop_a, http_a), (_shop_b, http_b) = retailers
    BudgetPolicy.objects.create(
        scope="customer", key=f"{shop_a.name}/{SHARED_ID}", amount=Decimal("500.00")
    )
    policy_version_publish(note="a larger budget for one retailer's customer")
    submit(http_a, "A-1", return_ratio=0.1, returns_velocity_30d=0)
    submit(http_b, "B-1", return_ratio=0.1, returns_velocity_30d=0)
    returns_decide_pending()

    assert http_a.get("/api/v1/returns/A-1").json()["decision"]["budget"]["budget"] == "500.00"
    assert http_b.get("/api/v1/returns/B-1").json()["decision"]["budget"]["budget"] == "50.00"
