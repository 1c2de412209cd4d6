"""Strict validation of JSON input, for the API and for the services that read files:
unknown fields are refused by name, a string is not a number, and a boolean is not an integer."""

from rest_framework import serializers


def _reject_types(field, value, *types, expected):
    if isinstance(value, bool) or not isinstance(value, types):
        raise serializers.ValidationError(f"Expected {expected}, got {type(value).__name__}.")


# What str.strip() trims, spelled out for a character class: regex engines disagree on `\s`
# (ECMAScript's, which OpenAPI schemas follow, leaves out U+001C-U+001F and U+0085).
WHITESPACE = (
    r"\t\n\u000b\f\r\u001c-\u001f \u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000"
)
# Whitespace is trimmed before the blank check, and NUL is refused: so a string that is not
# allowed blank must hold one character that is neither (the OpenAPI schema says so).
NOT_BLANK_PATTERN = rf"^[^\u0000]*[^\u0000{WHITESPACE}][^\u0000]*$"
# A string that may be blank: still no NUL, which every string field refuses.
NO_NUL_PATTERN = r"^[^\u0000]*$"


class StrictCharField(serializers.CharField):
    """`pattern` is what the API schema states of the value: by default no NUL, and not blank
    unless allowed; give one when validators refuse more, so that the schema says what."""

    def __init__(self, *, pattern: str | None = None, **kwargs):
        super().__init__(**kwargs)
        self.pattern = pattern or (NO_NUL_PATTERN if self.allow_blank else NOT_BLANK_PATTERN)

    def to_internal_value(self, data):
        _reject_types(self, data, str, expected="a string")
        return super().to_internal_value(data)


class StrictIntegerField(serializers.IntegerField):
    def to_internal_value(self, data):
        _reject_types(self, data, int, expected="an integer")
        return super().to_internal_value(data)


class StrictFloatField(serializers.FloatField):
    def to_internal_value(self, data):
        _reject_types(self, data, int, float, expected="a number")
        return super().to_internal_value(data)


class StrictDecimalField(serializers.DecimalField):
    """Accepts a JSON number or a numeric string, as payment APIs commonly do."""

    def to_internal_value(self, data):
        _reject_types(self, data, int, float, str, expected="a number")
        return super().to_internal_value(data)


class StrictBooleanField(serializers.BooleanField):
    def to_internal_value(self, data):
        if not isinstance(data, bool):
            raise serializers.ValidationError("Expected true or false.")
        return data


class StrictSerializer(serializers.Serializer):
    """Refuses fields it does not know, naming each one."""

    def to_internal_value(self, data):
        if not isinstance(data, dict):
            raise serializers.ValidationError(
                {"non_field_errors": ["Expected a JSON object."]}, code="invalid"
            )
        unknown = sorted(set(data) - set(self.fields))
        try:
            value = super().to_internal_value(data)
        except serializers.ValidationError as exc:
            if unknown:
                exc.detail.update({name: ["Unknown field."] for name in unknown})
            raise
        if unknown:
            raise serializers.ValidationError({name: ["Unknown field."] for name in unknown})
        return value
