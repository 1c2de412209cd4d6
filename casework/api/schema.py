"""What the OpenAPI schema says about errors: one shape, named once, listed on every operation."""

from drf_spectacular.utils import OpenApiResponse
from rest_framework import serializers


class ErrorSerializer(serializers.Serializer):
    detail = serializers.CharField()
    errors = serializers.DictField(
        child=serializers.ListField(child=serializers.CharField()),
        required=False,
        help_text="Messages by field (or header, or query parameter) name.",
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
