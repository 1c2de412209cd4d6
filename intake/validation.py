"""What a valid return is: every field checked, every error naming its field.

The API and the CSV imports both validate here, so a return means the same from either.
"""

import math
import re
from dataclasses import dataclass, field
from decimal import Decimal

from django.conf import settings
from django.utils import timezone
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from core.validation import (
    NOT_BLANK_PATTERN,
    WHITESPACE,
    StrictCharField,
    StrictDecimalField,
    StrictFloatField,
    StrictIntegerField,
    StrictSerializer,
)
from intake.choices import AttributeType
from intake.constants import ATTRIBUTE_NUMBER_MAX, ATTRIBUTE_STRING_MAX
from intake.selectors import attribute_types_declared

# Ids become path segments (/api/v1/returns/<order_id>, /customers/<customer_id>/).
RESERVED_ORDER_IDS = {"batch"}
# What the API schema states of the ids: not blank, no '/' or NUL, and an order id is not a
# reserved name (whitespace around an id is trimmed before these rules apply).
CUSTOMER_ID_PATTERN = rf"^[^/\u0000]*[^/\u0000{WHITESPACE}][^/\u0000]*$"
ORDER_ID_PATTERN = (
    rf"^(?![{WHITESPACE}]*(?:batch)[{WHITESPACE}]*$)[^/\u0000]*[^/\u0000{WHITESPACE}][^/\u0000]*$"
)
ORDER_VALUE_MAX = Decimal("1000000")


def _usable_in_a_path(value: str) -> str:
    if "/" in value:
        raise serializers.ValidationError("Must not contain '/': the id is part of a URL.")
    return value


def _not_reserved(value: str) -> str:
    if value in RESERVED_ORDER_IDS:
        raise serializers.ValidationError(f"'{value}' is reserved: it names an API route.")
    return value


@extend_schema_field(
    {
        "oneOf": [
            {"type": "string", "pattern": r"^(?:\d{1,6}(?:\.\d{1,2})?|1000000(?:\.0{1,2})?)$"},
            {"type": "number", "minimum": 0, "maximum": 1000000, "multipleOf": 0.01},
        ],
        "description": "In the desk's currency, 0 to 1,000,000 with at most two decimal "
        "places; a numeric string or a JSON number.",
    }
)
class OrderValueField(StrictDecimalField):
    def __init__(self, **kwargs):
        super().__init__(
            max_digits=9,
            decimal_places=2,
            min_value=Decimal("0"),
            max_value=ORDER_VALUE_MAX,
            **kwargs,
        )


def attribute_value_clean(kind: str, value):
    """The value as stored for an attribute of type `kind`; raises ValueError saying what a
    value of that type must be."""
    if kind == AttributeType.NUMBER:
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise ValueError(f"Expected a number, got {type(value).__name__}.")
        if not math.isfinite(value) or abs(value) > ATTRIBUTE_NUMBER_MAX:
            raise ValueError(
                f"Expected a number between -{ATTRIBUTE_NUMBER_MAX:g} and {ATTRIBUTE_NUMBER_MAX:g}."
            )
        return value
    if kind == AttributeType.BOOLEAN:
        if not isinstance(value, bool):
            raise ValueError("Expected true or false.")
        return value
    if not isinstance(value, str):
        raise ValueError(f"Expected a string ({kind}), got {type(value).__name__}.")
    if len(value) > ATTRIBUTE_STRING_MAX:
        raise ValueError(f"At most {ATTRIBUTE_STRING_MAX} characters.")
    if not re.fullmatch(NOT_BLANK_PATTERN, value):
        raise ValueError("Must not be blank or hold a NUL character.")
    return value.strip()


def attribute_value_schema(kind: str) -> dict:
    """What the OpenAPI schema states of a value of an attribute of type `kind`; null is the
    same as leaving the attribute out."""
    if kind == AttributeType.NUMBER:
        schema = {
            "type": "number",
            "minimum": -ATTRIBUTE_NUMBER_MAX,
            "maximum": ATTRIBUTE_NUMBER_MAX,
        }
    elif kind == AttributeType.BOOLEAN:
        schema = {"type": "boolean"}
    else:
        schema = {"type": "string", "maxLength": ATTRIBUTE_STRING_MAX, "pattern": NOT_BLANK_PATTERN}
    return {**schema, "nullable": True}


class AttributesField(serializers.Field):
    """A return's `attributes`: an object whose keys are declared attributes (active
    AttributeDefinitions), each value checked by its declared type. Errors come by key; the
    return's serializer reports them as `attributes.<key>`. `attribute_types` in the context
    saves a batch from reading the declarations once per item."""

    def __init__(self, **kwargs):
        super().__init__(required=False, **kwargs)

    def to_internal_value(self, data):
        if not isinstance(data, dict):
            raise serializers.ValidationError(
                f"Expected a JSON object of declared attributes, got {type(data).__name__}."
            )
        declared = self.context.get("attribute_types")
        if declared is None:
            declared = attribute_types_declared()
        values, errors = {}, {}
        for key, value in data.items():
            kind = declared.get(key)
            if kind is None:
                errors[key] = ["Not a declared attribute."]
            elif value is not None:
                try:
                    values[key] = attribute_value_clean(kind, value)
                except ValueError as exc:
                    errors[key] = [str(exc)]
        if errors:
            raise serializers.ValidationError(errors)
        return values

    def to_representation(self, value):
        return value


def _span(delta) -> str:
    seconds = int(delta.total_seconds())
    for unit, size in (("day", 86400), ("hour", 3600), ("minute", 60)):
        if seconds >= size and seconds % size == 0:
            count = seconds // size
            return f"{count} {unit}{'s' if count != 1 else ''}"
    return f"{seconds} seconds"


class ReturnInputSerializer(StrictSerializer):
    """A return's fields. With `history` in the context (the CSV import and the replay), a
    `submitted_at` of any past time is accepted: it becomes the time the return was received."""

    order_id = StrictCharField(
        max_length=64, validators=[_usable_in_a_path, _not_reserved], pattern=ORDER_ID_PATTERN
    )
    customer_id = StrictCharField(
        max_length=64, validators=[_usable_in_a_path], pattern=CUSTOMER_ID_PATTERN
    )
    order_value = OrderValueField()
    product_category = StrictCharField(max_length=64)
    payment_method = StrictCharField(max_length=64)
    days_since_purchase = StrictIntegerField(min_value=0, max_value=3650)
    return_ratio = StrictFloatField(min_value=0, max_value=1, required=False)
    returns_velocity_30d = StrictIntegerField(min_value=0, max_value=100_000, required=False)
    # Costs, budgets and the ledger are in one currency; an amount in another would be booked
    # at face value, so it is refused rather than converted at a rate we do not have.
    currency = serializers.ChoiceField(
        choices=[settings.DESK_CURRENCY],
        required=False,
        error_messages={
            "invalid_choice": f"This desk prices returns in {settings.DESK_CURRENCY}; "
            "convert the order value before submitting."
        },
    )
    submitted_at = serializers.DateTimeField(
        required=False,
        help_text="When the customer asked to return the order; not in the future (a few "
        "minutes of clock difference are allowed) and not older than the desk's accepted age "
        f"({_span(settings.SUBMITTED_AT_MAX_AGE)} unless set otherwise): older returns are "
        "imported as history. The server's time when left out.",
    )
    attributes = AttributesField(
        help_text="The retailer's own signals, by the names the desk declared, each of its "
        "declared type; an attribute left out (or null) is missing. An undeclared name is "
        "refused as `attributes.<name>`."
    )

    def to_internal_value(self, data):
        try:
            return super().to_internal_value(data)
        except serializers.ValidationError as exc:
            by_key = exc.detail.get("attributes") if isinstance(exc.detail, dict) else None
            if isinstance(by_key, dict):
                del exc.detail["attributes"]
                exc.detail.update({f"attributes.{key}": msgs for key, msgs in by_key.items()})
            raise

    def validate_submitted_at(self, value):
        now = timezone.now()
        if value > now + settings.SUBMITTED_AT_MAX_AHEAD:
            raise serializers.ValidationError(
                f"Must not be in the future (more than {_span(settings.SUBMITTED_AT_MAX_AHEAD)} "
                "ahead of the desk's clock)."
            )
        if not self.context.get("history") and value < now - settings.SUBMITTED_AT_MAX_AGE:
            raise serializers.ValidationError(
                f"Must be within the last {_span(settings.SUBMITTED_AT_MAX_AGE)}; "
                "older returns are imported as history (manage.py import_returns)."
            )
        return value


@dataclass(frozen=True)
class ValidatedReturn:
    """One submitted item: its validated fields, or the errors by field that refused it.

    `order_id` is the item's order id whenever it was a string, valid or not, so a batch's
    results can name every item.
    """

    order_id: str | None
    data: dict | None
    errors: dict = field(default_factory=dict)


def return_payloads_validate(payloads: list, *, history: bool = False) -> list[ValidatedReturn]:
    """Validates each item of a batch, in order; `history` as for ReturnInputSerializer."""
    items = []
    context = {"history": history, "attribute_types": attribute_types_declared()}
    # One serializer for the whole batch: each instance deep-copies its fields, which cost
    # more than validating an item. run_validation is what is_valid runs on each.
    serializer = ReturnInputSerializer(context=context)
    for raw in payloads:
        try:
            data = serializer.run_validation(raw)
        except serializers.ValidationError as exc:
            errors = exc.detail
            if not isinstance(errors, dict):  # not an object at all: as is_valid words it
                alone = ReturnInputSerializer(data=raw, context=context)
                alone.is_valid()
                errors = alone.errors
            order_id = raw.get("order_id") if isinstance(raw, dict) else None
            items.append(
                ValidatedReturn(
                    order_id=order_id if isinstance(order_id, str) else None,
                    data=None,
                    errors=dict(errors),
                )
            )
            continue
        items.append(ValidatedReturn(order_id=data["order_id"], data=data))
    return items
