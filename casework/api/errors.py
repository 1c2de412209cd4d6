"""One error shape for the whole API: `{"errors": {field: [messages]}}` plus a `detail`."""

import logging
from http import HTTPStatus

from django.conf import settings
from django.core.exceptions import PermissionDenied, RequestDataTooBig, ValidationError
from django.http import Http404, JsonResponse
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler

logger = logging.getLogger(__name__)


class PayloadTooLarge(exceptions.APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_code = "payload_too_large"


def api_exception_handler(exc, context):
    if isinstance(exc, RequestDataTooBig):
        exc = PayloadTooLarge(
            f"Request body too large: at most {settings.DATA_UPLOAD_MAX_MEMORY_SIZE:,} bytes."
        )
    elif isinstance(exc, ValidationError):
        exc = exceptions.ValidationError(
            exc.message_dict if hasattr(exc, "error_dict") else {"non_field_errors": exc.messages}
        )
    elif isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, PermissionDenied):
        exc = exceptions.PermissionDenied()
    response = exception_handler(exc, context)
    if response is None:
        # An unexpected error still answers in JSON; the traceback goes to the log, not the client.
        logger.exception("unhandled API error", exc_info=exc)
        return Response(
            {"detail": "Internal error; it has been logged."},
            status=status.HTTP_500_INTERNAL_SERVER_ERROR,
        )
    if isinstance(exc, exceptions.ValidationError):
        errors = (
            response.data
            if isinstance(response.data, dict)
            else {"non_field_errors": response.data}
        )
        response.data = {"detail": "Invalid input.", "errors": errors}
    else:
        response.data.setdefault("errors", {})
    return response


class ApiErrorShapeMiddleware:
    """Django answers some errors on /api/ paths before or around the API's views: a path no
    route matches, a CSRF refusal, a Host header it does not serve, and under DEBUG its HTML
    debug pages. On /api/ paths, those answers are given in the API's error shape too."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if (
            not request.path.startswith("/api/")
            or response.status_code < 400
            or response.get("Content-Type", "").startswith("application/json")
        ):
            return response
        code = response.status_code
        detail = "No such endpoint." if code == 404 else f"{HTTPStatus(code).phrase}."
        shaped = JsonResponse({"detail": detail, "errors": {}}, status=code)
        for header, value in response.items():  # Allow, Retry-After and the like still hold
            if not header.lower().startswith("content-"):
                shaped[header] = value
        return shaped
