"""Deny by default: login and the reviewer role for every page; lead-only actions; CSRF."""

import pytest
from django.test import Client
from django.urls import reverse

from budgets.models import CustomerHold
from casework.choices import CaseStatus
from casework.models import ReviewCase
from tests.casework.conftest import claimed
from tests.factories import CustomerHoldFactory, ReviewCaseFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def case():
    return ReviewCaseFactory()


def pages(case):
    customer = case.return_request.customer.pk
    return [
        ("get", reverse("casework:queue")),
        ("get", reverse("casework:case", args=[case.pk])),
        ("get", reverse("casework:customer", args=[customer])),
        ("post", reverse("casework:next")),
        ("post", reverse("casework:case-verdict", args=[case.pk])),
        ("post", reverse("casework:case-claim", args=[case.pk])),
        ("post", reverse("casework:case-release", args=[case.pk])),
        ("post", reverse("casework:case-reassign", args=[case.pk])),
        ("post", reverse("casework:customer-hold", args=[customer])),
        ("post", reverse("casework:customer-hold-release", args=[customer])),
    ]


def test_anonymous_visitor_is_sent_to_login_from_every_page(client, case):
    for method, url in pages(case):
        response = getattr(client, method)(url)
        assert response.status_code == 302, url
        assert response["Location"].startswith(reverse("login") + "?next="), url


def test_user_without_a_role_is_refused_everywhere(client, case):
    client.force_login(UserFactory())
    for method, url in pages(case):
        assert getattr(client, method)(url).status_code == 403, url
    assert ReviewCase.objects.get(pk=case.pk).status == CaseStatus.OPEN


def test_user_without_a_role_cannot_probe_which_cases_exist(client):
    client.force_login(UserFactory())
    assert client.get(reverse("casework:case", args=[999999])).status_code == 403


def test_reviewer_sees_the_queue_a_case_and_a_customer(client, case):
    client.force_login(UserFactory(role="reviewer"))
    assert client.get(reverse("casework:queue")).status_code == 200
    assert client.get(case.get_absolute_url()).status_code == 200
    assert client.get(case.return_request.customer.get_absolute_url()).status_code == 200


def test_unknown_case_and_customer_are_404_for_a_reviewer(client):
    client.force_login(UserFactory(role="reviewer"))
    assert client.get(reverse("casework:case", args=[999999])).status_code == 404
    assert client.get(reverse("casework:customer", args=[999999])).status_code == 404


def test_reviewer_may_not_reassign_or_release_anothers_claim(client, case):
    owner = UserFactory(role="reviewer")
    claimed(case, owner)
    client.force_login(UserFactory(role="reviewer"))

    reassign = client.post(reverse("casework:case-reassign", args=[case.pk]), {"to_user": owner.pk})
    release = client.post(reverse("casework:case-release", args=[case.pk]))

    assert reassign.status_code == 403
    assert release.status_code == 403
    assert ReviewCase.objects.get(pk=case.pk).assignee == owner


def test_reviewer_may_not_place_or_release_a_hold_directly(client, case):
    customer = case.return_request.customer
    client.force_login(UserFactory(role="reviewer"))

    place = client.post(
        reverse("casework:customer-hold", args=[customer.pk]),
        {"mode": "reject", "reason": "x"},
    )
    assert place.status_code == 403
    assert not CustomerHold.objects.filter(customer=customer).exists()

    hold = CustomerHoldFactory(customer=customer)
    release = client.post(reverse("casework:customer-hold-release", args=[customer.pk]))
    assert release.status_code == 403
    hold.refresh_from_db()
    assert hold.released_at is None


def test_lead_reassigns_a_case_and_releases_anothers_claim(client, case):
    owner = UserFactory(role="reviewer")
    other = UserFactory(role="reviewer")
    claimed(case, owner)
    client.force_login(UserFactory(role="lead"))

    response = client.post(reverse("casework:case-reassign", args=[case.pk]), {"to_user": other.pk})
    assert response.status_code == 302
    assert ReviewCase.objects.get(pk=case.pk).assignee == other

    response = client.post(reverse("casework:case-release", args=[case.pk]))
    assert response.status_code == 302
    released = ReviewCase.objects.get(pk=case.pk)
    assert (released.status, released.assignee) == (CaseStatus.OPEN, None)


def test_lead_places_and_releases_a_hold(client, case):
    customer = case.return_request.customer
    client.force_login(UserFactory(role="lead"))

    client.post(
        reverse("casework:customer-hold", args=[customer.pk]),
        {"mode": "review", "reason": "chargebacks piling up"},
    )
    hold = CustomerHold.objects.get(customer=customer)
    assert (hold.mode, hold.released_at) == ("review", None)

    client.post(reverse("casework:customer-hold-release", args=[customer.pk]))
    hold.refresh_from_db()
    assert hold.released_at is not None


def test_verdict_post_without_csrf_token_is_refused(case):
    reviewer = UserFactory(role="reviewer")
    claimed(case, reviewer)
    http = Client(enforce_csrf_checks=True)
    http.force_login(reviewer)

    response = http.post(
        reverse("casework:case-verdict", args=[case.pk]), {"verdict": "fraud", "note": ""}
    )

    assert response.status_code == 403
    assert ReviewCase.objects.get(pk=case.pk).status == CaseStatus.CLAIMED


def test_every_form_on_the_case_page_carries_a_csrf_token(client, case):
    lead = UserFactory(role="lead")
    claimed(case, lead)
    client.force_login(lead)

    html = client.get(case.get_absolute_url()).content.decode()

    assert html.count('method="post"') == html.count('name="csrfmiddlewaretoken"')
    assert html.count('method="post"') >= 4
