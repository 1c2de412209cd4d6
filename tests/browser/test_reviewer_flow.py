"""A reviewer's morning in the browser: keyboard flow, a race for a case, CSRF, screenshots."""

import re
from decimal import Decimal
from pathlib import Path

import pytest
from playwright.sync_api import expect

from budgets.models import LedgerAccount
from casework.choices import CaseStatus
from casework.models import ReviewCase, Verdict
from scoring.policy import usd
from tests.browser.conftest import assert_no_horizontal_scroll, log_in
from tests.factories import ReviewCaseFactory, UserFactory

pytestmark = [
    pytest.mark.browser,
    # A live server needs committed data; serialized_rollback restores the migrations' rows
    # (role groups, the default policy) that each test's flush removes.
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"


def case_url(case):
    return re.compile(re.escape(case.get_absolute_url()) + "$")


def test_keyboard_flow_from_queue_to_verdict_to_next_case(new_page):
    UserFactory(username="dana", role="reviewer")
    first = ReviewCaseFactory(priority=Decimal("40.00"))
    second = ReviewCaseFactory(priority=Decimal("12.00"))
    page = new_page()

    log_in(page, "dana")
    expect(page.locator(f'tr[data-case-id="{first.pk}"]')).to_be_visible()
    page.keyboard.press("n")
    expect(page).to_have_url(case_url(first))
    expect(page.locator("#claim-state")).to_contain_text("You hold this case")

    # Typing in the note must not fire shortcuts: "f" and "l" land in the text.
    page.fill("#id_note", "")
    page.locator("#id_note").press_sequentially("left at front door")
    expect(page).to_have_url(case_url(first))
    page.keyboard.press("Escape")  # leaves the note; does not release the claim
    expect(page.locator("#claim-state")).to_contain_text("You hold this case")

    page.keyboard.press("h")
    expect(page.locator("#id_hold_customer")).to_be_checked()
    page.keyboard.press("f")

    expect(page).to_have_url(case_url(second))
    expect(page.locator(".message-success")).to_contain_text("Fraud verdict recorded")
    expect(page.locator("#claim-state")).to_contain_text("You hold this case")
    verdict = Verdict.objects.get(case=first)
    assert (verdict.verdict, verdict.hold_customer, verdict.note) == (
        "fraud",
        True,
        "left at front door",
    )


def test_two_reviewers_racing_for_one_case_only_one_holds_it(new_page):
    UserFactory(username="dana", role="reviewer")
    UserFactory(username="sam", role="reviewer")
    case = ReviewCaseFactory()
    pages = {name: new_page() for name in ("dana", "sam")}
    for name, page in pages.items():
        log_in(page, name)
        page.goto(case.get_absolute_url())
        expect(page.locator("#claim-button")).to_be_visible()

    for page in pages.values():
        page.locator("#claim-button").click(no_wait_after=True)
    for page in pages.values():
        expect(page.locator("#claim-state")).to_contain_text(re.compile("You hold|Held by"))

    holder = ReviewCase.objects.get(pk=case.pk).assignee.username
    loser = pages["sam" if holder == "dana" else "dana"]
    expect(pages[holder].locator("#claim-state")).to_contain_text("You hold this case")
    expect(loser.locator(".message-error")).to_contain_text("Another reviewer holds this case.")
    expect(loser.locator("#claim-state")).to_contain_text(f"Held by {holder}")

    expect(loser.locator("#verdict-form")).to_have_count(0)  # no verdict on someone else's case
    loser.keyboard.press("l")
    expect(loser.locator("#claim-state")).to_contain_text(f"Held by {holder}")
    assert not Verdict.objects.filter(case=case).exists()


def test_a_form_posted_without_the_csrf_token_is_refused(new_page):
    UserFactory(username="dana", role="reviewer")
    case = ReviewCaseFactory()
    page = new_page()
    log_in(page, "dana")
    page.keyboard.press("n")
    expect(page).to_have_url(case_url(case))

    page.evaluate("document.querySelector('#verdict-form [name=csrfmiddlewaretoken]').remove()")
    with page.expect_response(lambda r: r.url.endswith("/verdict/")) as response:
        page.locator("button[value=fraud]").click()

    assert response.value.status == 403
    expect(page.locator("body")).to_contain_text("CSRF verification failed")
    assert ReviewCase.objects.get(pk=case.pk).status == CaseStatus.CLAIMED


def test_screenshots_of_a_realistic_queue_and_case(new_page, desk_scenario):
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page = new_page()
    log_in(page, "dana")
    expect(page.locator("tr[data-case-id]")).to_have_count(
        ReviewCase.objects.exclude(status=CaseStatus.RESOLVED).count()
    )
    assert_no_horizontal_scroll(page)
    # caret="initial": hiding the caret would inject a <style> the page's policy refuses.
    page.screenshot(path=SCREENSHOTS / "queue.png", caret="initial")

    case = desk_scenario["budget_case"]
    page.goto(case.get_absolute_url())
    page.locator("#claim-button").click()
    expect(page.locator("#claim-state")).to_contain_text("You hold this case")
    # The reason the policy wrote for sending this return to review, first and in its words.
    leading = case.decision.reasons[0]
    expect(page.locator(".decision-strip .reasons li").first).to_contain_text(leading["text"])
    expect(page.locator(".ledger-chart polyline")).to_be_visible()
    assert_no_horizontal_scroll(page)
    page.screenshot(path=SCREENSHOTS / "case.png", caret="initial")

    page.goto(case.return_request.customer.get_absolute_url())
    account = LedgerAccount.objects.get(customer=case.return_request.customer)
    expect(page.locator("#ledger")).to_contain_text(
        f"balance {usd(account.balance)} against budget {usd(case.decision.budget)}"
    )
    assert_no_horizontal_scroll(page)
