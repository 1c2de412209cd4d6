"""Playwright against Debian's Chromium and pytest-django's live server.

Playwright's sync API runs an event loop in the test thread, which trips Django's
async-unsafe check on every query the test itself makes; the test thread never shares a
connection with the server threads, so the check is switched off here.
"""

import os
from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connections, transaction
from django.utils import timezone
from playwright.sync_api import expect, sync_playwright

from budgets.choices import EntryKind
from budgets.services.ledger import ledger_accounts_lock, ledger_entry_for, ledger_post
from casework.models import ReviewCase
from casework.services.review import case_claim, case_resolve
from intake.choices import Outcome, ReturnStatus
from scoring.choices import Action
from scoring.models import ModelVersion, PolicyVersion
from scoring.policy import PolicySettings, action_costs, usd
from tests.factories import (
    CustomerFactory,
    DecisionFactory,
    LabelFactory,
    ModelVersionFactory,
    PolicyVersionFactory,
    ReturnRequestFactory,
    ReviewCaseFactory,
    UserFactory,
)

os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]
VIEWPORT = {"width": 1280, "height": 800}
PASSWORD = "correct-horse-battery"  # UserFactory's
POLICY = PolicySettings(
    false_reject_cost=Decimal("200.00"), review_cost=Decimal("50.00"), ood_fraud_probability=0.7
)


@pytest.fixture(scope="session")
def browser(django_db_setup):
    # Code after sync_playwright() starts runs in another contextvars context, where Django
    # hands out fresh connection objects; carry over the snapshot serialized_rollback restores.
    serialized = {
        alias: connections[alias]._test_serialized_contents
        for alias in connections
        if hasattr(connections[alias], "_test_serialized_contents")
    }
    with sync_playwright() as playwright:
        for alias, contents in serialized.items():
            connections[alias]._test_serialized_contents = contents
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
        )
        yield browser
        browser.close()


@pytest.fixture
def new_page(browser, live_server):
    """Opens a page in a fresh browser context (its own cookies) at 1280×800."""
    contexts = []

    def open_page():
        context = browser.new_context(viewport=VIEWPORT, base_url=live_server.url)
        context.set_default_timeout(5000)
        contexts.append(context)
        return context.new_page()

    yield open_page
    for context in contexts:
        context.close()


def log_in(page, username):
    page.goto("/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    expect(page.locator("h1")).to_contain_text("Queue")


def assert_no_horizontal_scroll(page):
    wide = page.evaluate(
        """() => [...document.querySelectorAll("body *")]
            .filter((el) => el.getBoundingClientRect().right > window.innerWidth + 0.5)
            .slice(0, 5)
            .map((el) => el.outerHTML.slice(0, 120))"""
    )
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"), wide


def versions() -> dict:
    """One model and one policy version for every decision, as in production."""
    model = ModelVersion.objects.filter(version="gbm-2026.11.18").first()
    model = model or ModelVersionFactory(version="gbm-2026.11.18")
    policy = PolicyVersion.objects.order_by("id").first() or PolicyVersionFactory()
    return {"model_version": model, "policy_version": policy}


def priced_case(
    *,
    customer,
    order_id,
    value,
    category,
    payment,
    probability,
    reasons,
    contributions,
    age_minutes,
    probability_used=None,
    ood_score=0.31,
    booked_loss="0.00",
    budget="50.00",
    **return_fields,
):
    """A case priced the way the policy prices one, with reasons in its words."""
    used = probability if probability_used is None else probability_used
    value = Decimal(value)
    costs = action_costs(probability=used, order_value=value, settings=POLICY)
    ranked = sorted(costs.items(), key=lambda item: item[1])
    expected = {
        "code": "expected_cost",
        "text": " < ".join(f"{action} {usd(cost)}" for action, cost in ranked),
    }
    decision = DecisionFactory(
        return_request=ReturnRequestFactory(
            customer=customer,
            order_id=order_id,
            order_value=value,
            product_category=category,
            payment_method=payment,
            status=ReturnStatus.IN_REVIEW,
            submitted_at=timezone.now() - timedelta(minutes=age_minutes + 1),
            **return_fields,
        ),
        fraud_probability=probability,
        probability_used=used,
        ood_score=ood_score,
        ood_threshold=0.62,
        ood=ood_score >= 0.62,
        cost_approve=costs[Action.APPROVE],
        cost_reject=costs[Action.REJECT],
        cost_review=costs[Action.REVIEW],
        reasons=[*reasons, expected],
        contributions=contributions,
        booked_loss=Decimal(booked_loss),
        budget=Decimal(budget),
        **versions(),
    )
    case = ReviewCaseFactory(
        decision=decision,
        priority=min(costs[Action.APPROVE], costs[Action.REJECT]) - costs[Action.REVIEW],
    )
    ReviewCase.objects.filter(pk=case.pk).update(
        created_at=timezone.now() - timedelta(minutes=age_minutes)
    )
    case.refresh_from_db()
    return case


@pytest.fixture
def desk_scenario():
    """A realistic morning on the desk: a dozen cases for varied reasons, one customer with a
    history that has almost used up their loss budget."""
    with transaction.atomic():  # the ledger locks accounts
        return _desk_scenario()


def _desk_scenario():
    reviewer = UserFactory(username="dana", role="reviewer")
    colleague = UserFactory(username="sam", role="reviewer")
    UserFactory(username="lee", role="lead")
    now = timezone.now()

    regular = CustomerFactory(external_id="CUST-20417")
    account = ledger_accounts_lock(customer_ids=[regular.pk])[regular.pk]
    history = [
        ("ORD-7781023", "89.00", "Apparel", "Credit Card", 41, 0.2),
        ("ORD-7790544", "142.00", "Electronics", "Credit Card", 23, 0.2),
        ("ORD-7802219", "64.50", "Home", "PayPal", 9, None),
    ]
    for order_id, value, category, payment, days, probability in history:
        if probability:
            earlier = ReturnRequestFactory(
                customer=regular,
                order_id=order_id,
                order_value=Decimal(value),
                product_category=category,
                payment_method=payment,
                submitted_at=now - timedelta(days=days),
                status=ReturnStatus.DECIDED,
                outcome=Outcome.APPROVED,
            )
            DecisionFactory(
                **versions(),
                return_request=earlier,
                action=Action.APPROVE,
                fraud_probability=probability,
                probability_used=probability,
                cost_approve=Decimal(value) * Decimal(str(probability)),
                reasons=[{"code": "expected_cost", "text": "approve is cheapest"}],
            )
            ledger_post(
                entries=[
                    ledger_entry_for(
                        account=account,
                        return_request=earlier,
                        kind=EntryKind.EXPECTED_LOSS,
                        amount=(Decimal(value) * Decimal(str(probability))).quantize(
                            Decimal("0.01")
                        ),
                        note="expected loss of an approval",
                    )
                ]
            )
        else:
            reviewed = priced_case(
                customer=regular,
                order_id=order_id,
                value=value,
                category=category,
                payment=payment,
                probability=0.38,
                reasons=[{"code": "uncertain", "text": "a review is cheaper than approving"}],
                contributions=[{"feature": "return_ratio", "effect": 0.12}],
                age_minutes=days * 24 * 60,
            )
            case_claim(case_id=reviewed.pk, actor=colleague)
            case_resolve(
                case_id=reviewed.pk,
                actor=colleague,
                verdict="legitimate",
                note="Parcel came back sealed; photos match.",
            )
            LabelFactory(
                return_request=reviewed.return_request,
                is_fraud=False,
                source="inspection",
                observed_at=now - timedelta(days=days - 2),
            )

    budget_case = priced_case(
        customer=regular,
        order_id="ORD-7815530",
        value="92.00",
        category="Electronics",
        payment="Credit Card",
        probability=0.2,
        reasons=[
            {
                "code": "budget_exceeded",
                "text": "booked loss $46.20 + $18.40 > budget $50.00",
            }
        ],
        contributions=[
            {"feature": "returns_velocity_30d", "effect": 0.21},
            {"feature": "return_ratio", "effect": 0.14},
            {"feature": "days_since_purchase", "effect": -0.09},
            {"feature": "order_value", "effect": 0.05},
            {"feature": "product_category=Electronics", "effect": 0.03},
        ],
        age_minutes=95,
        booked_loss="46.20",
        returns_velocity_30d=4,
        return_ratio=0.41,
        days_since_purchase=3,
    )
    priced_case(
        customer=regular,
        order_id="ORD-7815601",
        value="38.90",
        category="Apparel",
        payment="Credit Card",
        probability=0.26,
        reasons=[
            {"code": "budget_exceeded", "text": "booked loss $46.20 + $10.11 > budget $50.00"}
        ],
        contributions=[{"feature": "returns_velocity_30d", "effect": 0.19}],
        age_minutes=80,
        booked_loss="46.20",
    )

    shoppers = [
        (
            "CUST-31876",
            "ORD-7816002",
            "1249.00",
            "Electronics",
            "Crypto",
            0.22,
            0.7,
            0.88,
            [
                {
                    "code": "ood_unseen_value",
                    "text": "payment_method 'Crypto' never seen in training",
                },
                {
                    "code": "ood_pessimistic",
                    "text": "model probability 0.220 not trusted out of distribution; "
                    "priced at 0.70",
                },
            ],
            [
                {"feature": "payment_method=Crypto", "effect": 0.0},
                {"feature": "order_value", "effect": 0.18},
            ],
            250,
        ),
        (
            "CUST-10953",
            "ORD-7816119",
            "310.00",
            "Jewelry",
            "Gift Card",
            0.41,
            None,
            0.44,
            [
                {
                    "code": "uncertain",
                    "text": "a review ($50.00) is cheaper than approving ($127.10) "
                    "or rejecting ($118.00)",
                }
            ],
            [
                {"feature": "return_ratio", "effect": 0.26},
                {"feature": "days_since_purchase", "effect": 0.11},
            ],
            170,
        ),
        (
            "CUST-48230",
            "ORD-7816230",
            "540.00",
            "Electronics",
            "Credit Card",
            0.35,
            None,
            0.29,
            [
                {
                    "code": "uncertain",
                    "text": "a review ($50.00) is cheaper than approving ($189.00) "
                    "or rejecting ($130.00)",
                }
            ],
            [{"feature": "returns_velocity_30d", "effect": 0.17}],
            40,
        ),
        (
            "CUST-77412",
            "ORD-7816388",
            "2890.00",
            "Electronics",
            "Wire",
            0.12,
            0.7,
            0.93,
            [
                {
                    "code": "ood_out_of_range",
                    "text": "order_value 2,890.00 above training max 1,950.00",
                },
                {
                    "code": "ood_pessimistic",
                    "text": "model probability 0.120 not trusted out of distribution; "
                    "priced at 0.70",
                },
            ],
            [{"feature": "order_value", "effect": 0.31}],
            20,
        ),
        (
            "CUST-22081",
            "ORD-7816412",
            "76.00",
            "Beauty",
            "PayPal",
            0.48,
            None,
            0.35,
            [{"code": "customer_hold", "text": "customer is on hold (review)"}],
            [{"feature": "return_ratio", "effect": 0.22}],
            320,
        ),
        (
            "CUST-59310",
            "ORD-7816590",
            "58.00",
            "Home",
            "Debit Card",
            0.04,
            None,
            0.22,
            [
                {
                    "code": "audit_sample",
                    "text": "picked at random for review so that labels include returns the model "
                    "trusts",
                }
            ],
            [{"feature": "days_since_purchase", "effect": -0.12}],
            15,
        ),
        (
            "CUST-60044",
            "ORD-7816655",
            "1180.00",
            "Gift Card",
            "Gift Card",
            0.3,
            None,
            0.4,
            [
                {
                    "code": "portfolio_budget_exceeded",
                    "text": "Gift Card booked today $1,962.00 + $354.00 > daily budget $2,000.00",
                }
            ],
            [{"feature": "product_category=Gift Card", "effect": 0.15}],
            130,
        ),
        (
            "CUST-13377",
            "ORD-7816701",
            "199.99",
            "Sports",
            "Credit Card",
            0.52,
            None,
            0.39,
            [
                {
                    "code": "uncertain",
                    "text": "a review ($50.00) is cheaper than approving ($104.00) "
                    "or rejecting ($96.00)",
                }
            ],
            [{"feature": "returns_velocity_30d", "effect": 0.24}],
            60,
        ),
    ]
    for (
        external_id,
        order_id,
        value,
        category,
        payment,
        p,
        used,
        ood,
        reasons,
        contribs,
        age,
    ) in shoppers:
        priced_case(
            customer=CustomerFactory(external_id=external_id),
            order_id=order_id,
            value=value,
            category=category,
            payment=payment,
            probability=p,
            probability_used=used,
            ood_score=ood,
            reasons=reasons,
            contributions=contribs,
            age_minutes=age,
        )
    claimed = ReviewCase.objects.get(return_request__order_id="ORD-7816230")
    case_claim(case_id=claimed.pk, actor=colleague)
    return {"reviewer": reviewer, "colleague": colleague, "budget_case": budget_case}
