"""One error shape for the whole API: `{"errors": {field: [messages]}}` plus a `detail`."""

import logging

from django.conf import settings
from django.core.exceptions import PermissionDenied, RequestDataTooBig, ValidationError
from django.http import Http404, JsonResponse
from django.views.defaults import page_not_found
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


def api_path_not_found(request, path=""):
    """404 for an /api/ path no route matches, in JSON like every other API answer; routed
    explicitly, so it holds under DEBUG too, where Django would answer with an HTML page."""
    return JsonResponse({"detail": "No such endpoint.", "errors": {}}, status=404)


def not_found(request, exception):
    if request.path.startswith("/api/"):
        return api_path_not_found(request)
    return page_not_found(request, exception)
