"""What the OpenAPI schema says beyond what drf-spectacular reads from the code: the one error
shape, listed on every operation, and the input rules of the strict serializers and fields."""

from drf_spectacular.extensions import OpenApiSerializerExtension, OpenApiSerializerFieldExtension
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.utils import OpenApiResponse
from rest_framework import serializers

from intake.choices import AttributeType
from intake.models import AttributeDefinition
from intake.validation import attribute_value_schema


class ErrorSerializer(serializers.Serializer):
    detail = serializers.CharField()
    errors = serializers.DictField(
        child=serializers.JSONField(),
        required=False,
        help_text="Messages by field (or header, or query parameter) name: a list of messages, "
        "or for a list's items, their messages by position.",
    )


ERROR_MEANINGS = {
    400: "Invalid input; `errors` names each field. Also JSON nested too deep.",
    401: "No API key, or an unknown or revoked one.",
    403: "The key's role may not call this.",
    404: "No such object for this client.",
    409: "Conflicts with the object's current state.",
    413: "The body is larger than the server takes.",
    415: "The body is not JSON.",
    422: "Idempotency-Key reused with a different request.",
    429: "Too many requests from this key for this kind of call; `Retry-After` says how many "
    "seconds until the count starts again.",
}


def error_responses(*codes: int) -> dict:
    """Schema responses for the given error codes, plus the 401, 403 and 429 every call can get;
    an operation that takes a JSON body (415) can also get a body too large (413)."""
    codes = {401, 403, 429, *codes, *((413,) if 415 in codes else ())}
    return {
        code: OpenApiResponse(ErrorSerializer, description=ERROR_MEANINGS[code])
        for code in sorted(codes)
    }


class StrictSerializerSchema(OpenApiSerializerExtension):
    """A strict serializer refuses fields it does not know; the schema says so."""

    target_class = "core.validation.StrictSerializer"
    match_subclasses = True

    def get_name(self, auto_schema, direction):
        return auto_schema._get_serializer_name(self.target, direction, bypass_extensions=True)

    def map_serializer(self, auto_schema, direction):
        schema = auto_schema._map_serializer(self.target, direction, bypass_extensions=True)
        return {**schema, "additionalProperties": False}


class StrictCharFieldSchema(OpenApiSerializerFieldExtension):
    """A strict string field states its `pattern`: not blank, or what its validators require."""

    target_class = "core.validation.StrictCharField"
    match_subclasses = True

    def map_serializer_field(self, auto_schema, direction):
        schema = auto_schema._map_serializer_field(self.target, direction, bypass_extensions=True)
        if self.target.pattern:
            schema["pattern"] = self.target.pattern
        return schema


class AttributesFieldSchema(OpenApiSerializerFieldExtension):
    """A return's `attributes`: the attributes declared when the schema is asked for, each with
    its type and description, and no other key."""

    target_class = "intake.validation.AttributesField"

    def map_serializer_field(self, auto_schema, direction):
        request = getattr(auto_schema.view, "request", None)
        if request is None or not getattr(request.user, "is_authenticated", False):
            # Generated offline (manage.py check, spectacular), with no caller: the
            # declarations are the desk's data, which only the served schema reads.
            return {
                "type": "object",
                "description": self.target.help_text,
                "additionalProperties": {
                    "anyOf": [attribute_value_schema(kind) for kind in AttributeType.values]
                },
            }
        definitions = AttributeDefinition.objects.filter(active=True).order_by("name")
        return {
            "type": "object",
            "description": self.target.help_text,
            "properties": {
                d.name: {**attribute_value_schema(d.type), "description": d.description}
                for d in definitions
            },
            "additionalProperties": False,
        }


class OneOfBodySchema(AutoSchema):
    """For an operation whose body is one of several shapes: drf-spectacular marks a body
    required only when its component lists required fields, which a oneOf does not."""

    def _get_request_body(self, *args, **kwargs):
        body = super()._get_request_body(*args, **kwargs)
        if body:
            body["required"] = True
        return body
