"""Declared attributes: the admin declares them (audited), the API and the CSV import take them
checked by type, they are stored as JSONB and published in the API schema."""

from io import StringIO

import pytest
from django.core.management import call_command
from django.urls import reverse
from hypothesis import given
from hypothesis import strategies as st

from core.models import AuditEvent
from intake.choices import AttributeType
from intake.models import AttributeDefinition, ReturnRequest
from intake.services.csv_intake import csv_row_to_payload
from tests.factories import AttributeDefinitionFactory, UserFactory

pytestmark = pytest.mark.django_db

VALID = {
    "order_id": "ORD-1",
    "customer_id": "CUST-1",
    "order_value": "129.99",
    "product_category": "Electronics",
    "payment_method": "Credit Card",
    "days_since_purchase": 4,
}


@pytest.fixture
def declared():
    for name, kind in [
        ("account_age_days", AttributeType.NUMBER),
        ("email_domain_class", AttributeType.CATEGORY),
        ("billing_shipping_mismatch", AttributeType.BOOLEAN),
        ("device_id", AttributeType.IDENTIFIER),
    ]:
        AttributeDefinitionFactory(name=name, type=kind)
    AttributeDefinitionFactory(name="retired_signal", type=AttributeType.NUMBER, active=False)


def test_declared_attributes_are_stored_typed(api, declared):
    attributes = {
        "account_age_days": 12,
        "email_domain_class": "disposable",
        "billing_shipping_mismatch": True,
        "device_id": " dev-9 ",
    }
    response = api.post("/api/v1/returns", {**VALID, "attributes": attributes}, format="json")
    assert response.status_code == 202
    stored = ReturnRequest.objects.get(order_id="ORD-1")
    assert stored.attributes == {**attributes, "device_id": "dev-9"}
    # JSONB containment, which the GIN index serves, finds it by a value.
    assert ReturnRequest.objects.filter(attributes__contains={"device_id": "dev-9"}).count() == 1


def test_absent_and_null_attributes_are_missing(api, declared):
    body = {**VALID, "attributes": {"account_age_days": None}}
    assert api.post("/api/v1/returns", body, format="json").status_code == 202
    assert (
        api.post("/api/v1/returns", {**VALID, "order_id": "O-2"}, format="json").status_code == 202
    )
    assert [r.attributes for r in ReturnRequest.objects.order_by("order_id")] == [{}, {}]


@pytest.mark.parametrize(
    ("attributes", "errors"),
    [
        ({"foo": 1}, {"attributes.foo": ["Not a declared attribute."]}),
        ({"retired_signal": 1}, {"attributes.retired_signal": ["Not a declared attribute."]}),
        (
            {"account_age_days": "12"},
            {"attributes.account_age_days": ["Expected a number, got str."]},
        ),
        (
            {"account_age_days": True},
            {"attributes.account_age_days": ["Expected a number, got bool."]},
        ),
        (
            {"billing_shipping_mismatch": "yes"},
            {"attributes.billing_shipping_mismatch": ["Expected true or false."]},
        ),
        (
            {"email_domain_class": 3},
            {"attributes.email_domain_class": ["Expected a string (category), got int."]},
        ),
        (
            {"device_id": "   "},
            {"attributes.device_id": ["Must not be blank or hold a NUL character."]},
        ),
        (
            {"device_id": "a\u0000b"},
            {"attributes.device_id": ["Must not be blank or hold a NUL character."]},
        ),
        ({"device_id": "d" * 129}, {"attributes.device_id": ["At most 128 characters."]}),
    ],
)
def test_a_bad_attribute_gets_400_naming_its_key(api, declared, attributes, errors):
    response = api.post("/api/v1/returns", {**VALID, "attributes": attributes}, format="json")
    assert response.status_code == 400
    assert response.json()["errors"] == errors
    assert not ReturnRequest.objects.exists()


def test_attributes_that_are_not_an_object_are_named(api, declared):
    response = api.post("/api/v1/returns", {**VALID, "attributes": [1]}, format="json")
    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["attributes"]


def test_a_batch_item_with_an_undeclared_attribute_is_invalid_alone(api, declared):
    items = [
        {**VALID, "order_id": "B-1", "attributes": {"device_id": "dev-1"}},
        {**VALID, "order_id": "B-2", "attributes": {"foo": "x"}},
    ]
    response = api.post("/api/v1/returns/batch", {"returns": items}, format="json")
    results = response.json()["results"]
    assert [r["status"] for r in results] == ["accepted", "invalid"]
    assert results[1]["errors"] == {"attributes.foo": ["Not a declared attribute."]}


@given(
    value=st.one_of(
        st.none(),
        st.booleans(),
        st.integers(),
        st.floats(allow_nan=False, allow_infinity=False),
        st.text(),
        st.lists(st.integers()),
        st.dictionaries(st.text(), st.integers()),
    )
)
def test_no_attribute_value_fails_the_api(api, declared, value):
    ReturnRequest.objects.all().delete()
    attributes = dict.fromkeys(
        ("account_age_days", "email_domain_class", "billing_shipping_mismatch", "device_id"), value
    )
    response = api.post("/api/v1/returns", {**VALID, "attributes": attributes}, format="json")
    assert response.status_code in (202, 400)


def test_csv_columns_attr_name_become_typed_attributes(tmp_path, declared):
    data = tmp_path / "returns.csv"
    data.write_text(
        "order_id,customer_id,order_value,product_category,days_since_purchase,payment_method,"
        "attr_account_age_days,attr_billing_shipping_mismatch,attr_device_id,attr_email_domain_class\n"
        "A-1,C-1,12.00,Toys,5,PayPal,3,true,dev-7,\n"
        "A-2,C-2,12.00,Toys,5,PayPal,old,false,dev-8,free\n"
    )
    out = StringIO()
    call_command("import_returns", str(data), stdout=out)
    assert "accepted 1, duplicate 0, invalid 1" in out.getvalue()
    assert "attributes.account_age_days" in out.getvalue()
    assert ReturnRequest.objects.get(order_id="A-1").attributes == {
        "account_age_days": 3,
        "billing_shipping_mismatch": True,
        "device_id": "dev-7",
    }


def test_csv_attribute_columns_without_a_declaration_stay_strings():
    payload = csv_row_to_payload({"order_id": "A", "attr_x": "1.5"}, {"y": "number"})
    assert payload["attributes"] == {"x": "1.5"}


def test_the_api_schema_publishes_the_declared_attributes(api, declared):
    schema = api.get("/api/schema/?format=json").json()
    attributes = schema["components"]["schemas"]["ReturnInput"]["properties"]["attributes"]
    assert attributes["additionalProperties"] is False
    assert set(attributes["properties"]) == {
        "account_age_days",
        "email_domain_class",
        "billing_shipping_mismatch",
        "device_id",
    }
    assert attributes["properties"]["account_age_days"]["type"] == "number"
    assert attributes["properties"]["billing_shipping_mismatch"]["type"] == "boolean"


@pytest.fixture
def admin_client(client):
    client.force_login(UserFactory(username="desk-admin", role="admin", is_staff=True))
    return client


def test_admin_declares_an_attribute_and_it_is_audited(admin_client):
    response = admin_client.post(
        reverse("admin:intake_attributedefinition_add"),
        {"name": "device_id", "type": "identifier", "description": "Device", "active": "on"},
    )
    assert response.status_code == 302
    definition = AttributeDefinition.objects.get(name="device_id")
    event = AuditEvent.objects.get(action="attribute.declare")
    assert (event.actor_label, event.after["type"]) == ("desk-admin", "identifier")
    admin_client.post(
        reverse("admin:intake_attributedefinition_change", args=[definition.pk]),
        {"description": "Device fingerprint", "type": "number", "name": "other"},
    )
    definition.refresh_from_db()
    assert (definition.name, definition.type, definition.active) == (
        "device_id",
        "identifier",
        False,
    )
    change = AuditEvent.objects.get(action="attribute.change")
    assert (change.before["active"], change.after["active"]) == (True, False)


def test_admin_refuses_a_name_that_is_not_a_key(admin_client):
    response = admin_client.post(
        reverse("admin:intake_attributedefinition_add"),
        {"name": "Device ID", "type": "identifier", "active": "on"},
    )
    assert response.status_code == 200
    assert not AttributeDefinition.objects.exists()


@pytest.mark.parametrize("role", ["lead", "reviewer"])
def test_only_admins_see_attribute_declarations(client, role):
    client.force_login(UserFactory(role=role, is_staff=True))
    response = client.get(reverse("admin:intake_attributedefinition_changelist"))
    assert response.status_code == 403
