"""A batch is validated with one serializer, item by item, exactly as each item alone would be."""

import pytest

from intake.validation import ReturnInputSerializer, return_payloads_validate

pytestmark = pytest.mark.django_db

GOOD = {
    "order_id": "B-1",
    "customer_id": "C-1",
    "order_value": "120.00",
    "product_category": "Electronics",
    "payment_method": "Credit Card",
    "return_ratio": 0.2,
    "returns_velocity_30d": 1,
    "days_since_purchase": 4,
}
BATCH = [
    GOOD,
    None,
    5,
    "B-2",
    [],
    {},
    {**GOOD, "order_id": "B-3", "order_value": "abc", "surprise": 1},
    {**GOOD, "order_id": "B-4"},
    {**GOOD, "order_id": "B-5", "returns_velocity_30d": True, "customer_id": ""},
    {**GOOD, "order_id": "B-6", "attributes": {"undeclared": 1}},
    {**GOOD, "order_id": "B-7"},
]


def alone(raw) -> tuple:
    serializer = ReturnInputSerializer(data=raw, context={"history": False})
    if serializer.is_valid():
        return dict(serializer.validated_data), {}
    return None, dict(serializer.errors)


def test_each_item_of_a_batch_gets_what_it_would_alone_whatever_came_before():
    items = return_payloads_validate(BATCH)
    assert [(item.data and dict(item.data), item.errors) for item in items] == [
        alone(raw) for raw in BATCH
    ]
    accepted = [item.order_id for item in items if item.data]
    assert accepted == ["B-1", "B-4", "B-7"]
    assert items[1].errors == {"non_field_errors": ["No data provided"]}
    assert set(items[6].errors) == {"order_value", "surprise"}
