"""Generated input for the webhook API, the delivery log page and the admin form: never a 500,
400s that name the field, and nothing stored from refused input."""

import json
from urllib.parse import quote, urlencode

import pytest
from django.test import Client
from hypothesis import event, given
from hypothesis import strategies as st

from tests.factories import UserFactory, WebhookDeliveryFactory
from webhooks.choices import EventType
from webhooks.models import WebhookEndpoint

pytestmark = pytest.mark.django_db

awkward_text = st.text(st.characters(codec=None, exclude_categories=()), max_size=60)
urls = st.sampled_from(
    [
        "https://shop.example/hooks",
        "http://127.0.0.1:9/x",
        "https://",
        "javascript:alert(1)",
        "https://a.example/" + "x" * 600,
        "https://[::1]:99999/",
        "https://exa mple.com",
        "ftp://shop.example/",
    ]
)
event_types = st.lists(st.sampled_from([*EventType.values, "decision", ""]), max_size=4)
json_scalars = st.one_of(
    st.none(), st.booleans(), st.integers(min_value=-(2**70), max_value=2**70), awkward_text
)
json_values = st.recursive(
    json_scalars,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(awkward_text, inner, max_size=3),
    max_leaves=6,
)
field_values = {
    "url": urls | json_scalars,
    "event_types": event_types | json_values,
    "description": awkward_text | json_scalars,
    "is_enabled": st.booleans() | json_scalars,
}
bodies = st.one_of(
    st.fixed_dictionaries(
        {},
        optional={
            **field_values,
            "secret": awkward_text,
            "client": json_scalars,
        },
    ),
    json_values,
)


def assert_clean_answer(response):
    assert response.status_code < 500, response.content[:500]
    event(f"HTTP {response.status_code}")
    if response.status_code == 400:
        payload = response.json()
        assert payload.get("detail"), payload
        assert isinstance(payload.get("errors", {}), dict), payload


def send(http, method, path, body):
    return http.generic(method, path, json.dumps(body), content_type="application/json")


@given(body=bodies)
def test_adding_an_endpoint_never_fails(api, body):
    before = WebhookEndpoint.objects.count()
    response = send(api, "POST", "/api/v1/webhooks", body)
    assert_clean_answer(response)
    assert WebhookEndpoint.objects.count() == before + (response.status_code == 201)
    if response.status_code == 201:
        assert WebhookEndpoint.objects.get(pk=response.json()["id"]).client.name == "shop"


@given(body=bodies, endpoint_id=st.sampled_from(["1", "0", "-1", "99999999999", "x", "%2F"]))
def test_changing_an_endpoint_never_fails(api, body, endpoint_id):
    made = send(
        api,
        "POST",
        "/api/v1/webhooks",
        {"url": "https://shop.example/hooks", "event_types": ["decision.created"]},
    ).json()
    for path_id in (str(made["id"]), endpoint_id):
        path = f"/api/v1/webhooks/{quote(path_id, safe='%')}"
        assert_clean_answer(send(api, "PATCH", path, body))
        assert_clean_answer(send(api, "POST", f"{path}/rotate", body))
    endpoint = WebhookEndpoint.objects.get(pk=made["id"])
    assert endpoint.event_types
    assert "model.activated" not in endpoint.event_types


def lead_client():
    http = Client()
    http.force_login(UserFactory(role="lead"))
    return http


form_value = awkward_text | st.sampled_from(
    ["2026-12-01T04:00", "2026-02-30", "1e999", "-1", "9" * 40, "pending", "decision.created"]
)
filters = st.dictionaries(
    st.sampled_from(["endpoint", "event_type", "status", "since", "until"]),
    form_value,
    max_size=5,
)


@given(query=filters, delivery_id=st.sampled_from(["1", "0", "99999999999"]))
def test_the_delivery_log_and_its_resends_never_fail(query, delivery_id):
    WebhookDeliveryFactory()
    http = lead_client()
    response = http.get(f"/webhooks/?{urlencode(query)}")
    assert response.status_code < 500
    assert http.post("/webhooks/resend", query).status_code < 500
    assert http.post(f"/webhooks/deliveries/{delivery_id}/resend").status_code < 500


@given(
    fields=st.fixed_dictionaries(
        {},
        optional={
            "client": form_value,
            "url": urls | form_value,
            "description": form_value,
            "event_types": st.lists(st.sampled_from([*EventType.values, "x"]) | form_value),
            "is_enabled": form_value,
        },
    )
)
def test_the_admin_endpoint_form_never_fails(fields):
    http = Client()
    http.force_login(UserFactory(role="admin", is_staff=True))
    before = WebhookEndpoint.objects.count()
    response = http.post("/admin/webhooks/webhookendpoint/add/", fields)
    assert response.status_code < 500, response.content[:300]
    event(f"HTTP {response.status_code}")
    if response.status_code == 200 and WebhookEndpoint.objects.count() > before:
        assert b"whsec_" in response.content  # the secret page, shown once
