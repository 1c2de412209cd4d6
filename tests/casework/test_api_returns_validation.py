"""Every field rule of POST /api/v1/returns: wrong input gets a 400 naming the field."""

import pytest

from intake.models import ReturnRequest

VALID = {
    "order_id": "ORD-1",
    "customer_id": "CUST-1",
    "order_value": "129.99",
    "product_category": "Electronics",
    "payment_method": "Credit Card",
    "days_since_purchase": 4,
}

BAD_FIELDS = [
    ("order_id", None, "missing"),
    ("order_id", "x" * 65, "too long"),
    ("order_id", 123, "not a string"),
    ("order_id", "A/1", "a slash, which the return's URL cannot hold"),
    ("order_id", "batch", "the name of the batch route"),
    ("customer_id", "C/9", "a slash, which the customer page's URL cannot hold"),
    ("customer_id", None, "missing"),
    ("customer_id", "c" * 65, "too long"),
    ("customer_id", ["CUST-1"], "a list"),
    ("order_value", None, "missing"),
    ("order_value", -1, "negative"),
    ("order_value", "1000000.01", "above a million"),
    ("order_value", "12.345", "three decimals"),
    ("order_value", "cheap", "not a number"),
    ("order_value", True, "a boolean"),
    ("product_category", None, "missing"),
    ("product_category", "p" * 65, "too long"),
    ("product_category", 7, "not a string"),
    ("payment_method", None, "missing"),
    ("payment_method", "m" * 65, "too long"),
    ("payment_method", {"kind": "card"}, "an object"),
    ("days_since_purchase", None, "missing"),
    ("days_since_purchase", -1, "negative"),
    ("days_since_purchase", 3651, "above ten years"),
    ("days_since_purchase", 4.5, "fractional"),
    ("days_since_purchase", "4", "a string"),
    ("days_since_purchase", True, "a boolean"),
    ("return_ratio", -0.1, "negative"),
    ("return_ratio", 1.01, "above one"),
    ("return_ratio", "0.2", "a string"),
    ("returns_velocity_30d", -1, "negative"),
    ("returns_velocity_30d", 1.5, "fractional"),
    ("currency", "usd", "lower case"),
    ("currency", "DOLLARS", "not a code"),
    ("currency", "JPY", "not the desk's currency"),
    ("submitted_at", "yesterday", "not ISO 8601"),
    ("submitted_at", "9999-12-31T23:59:59Z", "in the future"),
    ("submitted_at", "2020-01-01T00:00:00Z", "years in the past: history is imported"),
    ("colour", "red", "unknown field"),
]


@pytest.mark.django_db
@pytest.mark.parametrize(("field", "value", "why"), BAD_FIELDS)
def test_bad_field_gets_400_naming_it(api, field, value, why):
    body = dict(VALID)
    if value is None:
        body.pop(field, None)
    else:
        body[field] = value
    response = api.post("/api/v1/returns", body, format="json")
    assert response.status_code == 400, why
    assert list(response.json()["errors"]) == [field], why
    assert not ReturnRequest.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize(
    "raw",
    [b"{not json", b"[]", b'"a string"', b"null", b"123"],
    ids=["malformed", "array", "string", "null", "number"],
)
def test_body_that_is_not_an_object_gets_400(api, raw):
    response = api.generic("POST", "/api/v1/returns", raw, content_type="application/json")
    assert response.status_code == 400
    assert "detail" in response.json()


@pytest.mark.django_db
def test_unknown_categories_are_valid_input(api):
    body = {**VALID, "product_category": "Drones", "payment_method": "Crypto"}
    assert api.post("/api/v1/returns", body, format="json").status_code == 202


@pytest.mark.django_db
def test_request_without_key_is_refused(client):
    response = client.post("/api/v1/returns", VALID, content_type="application/json")
    assert response.status_code in (401, 403)


@pytest.mark.django_db
def test_wrong_key_is_refused(client):
    response = client.post(
        "/api/v1/returns",
        VALID,
        content_type="application/json",
        HTTP_AUTHORIZATION="Bearer rd_not-a-real-key",
    )
    assert response.status_code == 401


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("query", "field"), [("wait=abc", "wait"), ("wait=10001", "wait"), ("wait=-1", "wait")]
)
def test_bad_query_parameters_are_named(api, query, field):
    api.post("/api/v1/returns", VALID, format="json")
    response = api.get(f"/api/v1/returns/ORD-1?{query}")
    assert response.status_code == 400
    assert list(response.json()["errors"]) == [field]


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("limit=0", "limit"),
        ("limit=1001", "limit"),
        ("after=%%%", "after"),
        ("after=YWJj", "after"),
    ],
)
def test_bad_feed_parameters_are_named(api, query, field):
    response = api.get(f"/api/v1/decisions?{query}")
    assert response.status_code == 400
    assert list(response.json()["errors"]) == [field]


@pytest.mark.django_db
def test_order_id_with_a_nul_character_in_the_path_is_404_not_500(api):
    assert api.get("/api/v1/returns/A%00B").status_code == 404


@pytest.mark.django_db
@pytest.mark.parametrize("header", ["\xa0", "Bearer", "Bearer a b", "Basic abc"])
def test_malformed_authorization_is_refused_not_failed(client, header):
    response = client.get("/api/v1/cases", HTTP_AUTHORIZATION=header)
    assert response.status_code in (401, 403)
