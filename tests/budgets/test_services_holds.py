"""Holds: one active hold per customer, made stricter but never softer, even when placed at once."""

import pytest

from budgets.models import CustomerHold
from budgets.services.holds import hold_place
from core.models import AuditEvent
from tests.concurrency import run_concurrently
from tests.factories import CustomerFactory, UserFactory


@pytest.mark.django_db
def test_a_reject_hold_makes_an_active_review_hold_stricter_and_is_audited():
    customer = CustomerFactory()
    lead = UserFactory(role="lead")
    first = hold_place(customer=customer, actor=lead, reason="watch", mode="review")
    second = hold_place(customer=customer, actor=lead, reason="fraud verdict", mode="reject")
    assert second.pk == first.pk
    assert CustomerHold.objects.get(pk=first.pk).mode == "reject"
    event = AuditEvent.objects.get(action="hold.escalate")
    assert (event.before, event.after["mode"]) == ({"mode": "review"}, "reject")


@pytest.mark.django_db
def test_a_review_hold_never_softens_an_active_reject_hold():
    customer = CustomerFactory()
    hold_place(customer=customer, actor=None, reason="fraud verdict", mode="reject")
    hold_place(customer=customer, actor=None, reason="watch", mode="review")
    assert list(CustomerHold.objects.values_list("mode", flat=True)) == ["reject"]


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_holds_placed_at_the_same_moment_make_one_hold_and_no_error():
    customer = CustomerFactory()

    def place():
        return hold_place(customer=customer, actor=None, reason="at once", mode="reject")

    holds = run_concurrently(*[place] * 4)

    assert len({hold.pk for hold in holds}) == 1
    assert CustomerHold.objects.filter(customer=customer).count() == 1
