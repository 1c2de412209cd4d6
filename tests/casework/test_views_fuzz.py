"""Generated input for the reviewer pages: query strings, ids in paths and form posts never 500."""

from urllib.parse import quote, urlencode

import pytest
from django.test import Client
from django.urls import reverse
from hypothesis import event, given
from hypothesis import strategies as st

from tests.factories import ReviewCaseFactory, UserFactory

pytestmark = pytest.mark.django_db

# NUL, lone surrogates, other scripts' digits ("²", "٣"), huge and odd numbers.
awkward_text = st.text(st.characters(codec=None, exclude_categories=()), max_size=40)
numberish = st.sampled_from(["1e999999", "-1", "NaN", "²", "٣", "9" * 40, "0.001", " 5 "])
form_value = awkward_text | numberish | st.integers(min_value=-(2**70), max_value=2**70).map(str)


def lead_client():
    http = Client()
    http.force_login(UserFactory(role="lead"))
    return http


def assert_answered(response):
    assert response.status_code < 500, response.content[:300]
    event(f"HTTP {response.status_code}")


@given(
    query=st.dictionaries(
        st.sampled_from(
            ["reason", "category", "payment", "value_min", "value_max", "assignee", "q", "after"]
        ),
        form_value,
        max_size=4,
    )
)
def test_queue_filters_never_fail(query):
    assert_answered(lead_client().get(f"/?{urlencode(query)}"))


@given(customer_id=awkward_text)
def test_customer_pages_never_fail(customer_id):
    http = lead_client()
    path = quote(customer_id, safe="")
    assert_answered(http.get(f"/customers/{path}/"))
    assert_answered(http.post(f"/customers/{path}/hold/", {"mode": "reject", "reason": "x"}))
    assert_answered(http.post(f"/customers/{path}/hold/release/"))


@given(
    fields=st.dictionaries(
        st.sampled_from(["verdict", "hold_customer", "note", "together", "to_user"]),
        form_value | st.lists(form_value, max_size=3),
        max_size=4,
    )
)
def test_case_forms_never_fail(fields):
    case = ReviewCaseFactory()
    http = lead_client()
    http.post(reverse("casework:case-claim", args=[case.pk]))
    for name in ["case-verdict", "case-reassign", "case-release"]:
        assert_answered(http.post(reverse(f"casework:{name}", args=[case.pk]), fields))


@pytest.mark.parametrize(
    ("path", "status"),
    [
        ("/?value_min=1e999999", 200),  # an out-of-range filter is shown as invalid, not applied
        ("/customers/%00/", 404),
    ],
)
def test_inputs_that_once_failed(path, status):
    assert lead_client().get(path).status_code == status


def test_verdict_with_a_non_ascii_digit_in_together_is_refused_not_failed():
    case = ReviewCaseFactory()
    http = lead_client()
    http.post(reverse("casework:case-claim", args=[case.pk]))
    response = http.post(
        reverse("casework:case-verdict", args=[case.pk]), {"verdict": "fraud", "together": "²"}
    )
    assert response.status_code == 400
