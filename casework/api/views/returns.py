"""API views for submitting returns and following their decisions."""

import asyncio
import contextlib
import logging
import time
from dataclasses import dataclass
from functools import partial

from asgiref.sync import sync_to_async
from django.conf import settings
from django.db import close_old_connections, connection
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.exceptions import ValidationError
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from casework.api.limits import (
    LONG_POLL_SKIPPED_HEADER,
    SKIPPED_AT_LIMIT,
    SKIPPED_WITHOUT_REDIS,
    long_poll_slot,
)
from casework.api.params import IntQuery
from casework.api.permissions import IsSubmitter
from casework.api.schema import error_responses
from casework.api.serializers import (
    DecisionFeedEventSerializer,
    ReturnBatchInputSerializer,
    ReturnOutputSerializer,
)
from casework.constants import LONG_POLL_MAX_MS
from casework.selectors import (
    feed_events_after,
    return_get_for_client,
)
from casework.services.wakeups import FALLBACK_POLL_SECONDS, waiting_for_decision
from core.awaiting import response_await
from core.keyset import InvalidCursor
from intake.choices import ReturnStatus
from intake.services.idempotency import (
    IdempotencyKeyReused,
    idempotency_request_hash,
    idempotent_call,
)
from intake.services.intake import OrderConflict, return_submit, return_submit_batch
from intake.validation import ReturnInputSerializer, return_payloads_validate

logger = logging.getLogger(__name__)


def _idempotently(request, call):
    """Runs `call` under the request's Idempotency-Key, when it has one."""
    key = request.headers.get("Idempotency-Key")
    if not key:
        status_code, body = call()
        return Response(body, status=status_code)
    if len(key) > 255:
        raise ValidationError({"Idempotency-Key": ["At most 255 characters."]})
    if not key.isprintable():
        # A control character (NUL above all) cannot be stored, and no client generates one.
        raise ValidationError({"Idempotency-Key": ["Only printable characters."]})
    request_hash = idempotency_request_hash(
        method=request.method, path=request.path, data=request.data
    )
    try:
        status_code, body = idempotent_call(
            client=request.user, key=key, request_hash=request_hash, path=request.path, call=call
        )
    except IdempotencyKeyReused:
        return Response(
            {
                "detail": "Idempotency-Key was already used with a different request.",
                "errors": {"Idempotency-Key": ["Reused with a different request body or path."]},
            },
            status=status.HTTP_422_UNPROCESSABLE_ENTITY,
        )
    return Response(body, status=status_code)


class ReturnSubmitView(APIView):
    permission_classes = [IsSubmitter]
    throttle_scope = "submit"

    @extend_schema(
        request=ReturnInputSerializer,
        responses={
            202: ReturnOutputSerializer,
            200: ReturnOutputSerializer,
            **error_responses(400, 409, 415, 422),
        },
        parameters=[OpenApiParameter("Idempotency-Key", str, OpenApiParameter.HEADER)],
        summary="Submit one return; it is decided asynchronously",
    )
    def post(self, request):
        serializer = ReturnInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)

        def call():
            try:
                return_request, created = return_submit(
                    client=request.user, data=serializer.validated_data
                )
            except OrderConflict as conflict:
                return status.HTTP_409_CONFLICT, {
                    "detail": str(conflict),
                    "errors": {"order_id": ["Already submitted with a different body."]},
                }
            body = ReturnOutputSerializer(return_request, context={"request": request}).data
            return (status.HTTP_202_ACCEPTED if created else status.HTTP_200_OK), body

        response = _idempotently(request, call)
        if response.status_code in (status.HTTP_200_OK, status.HTTP_202_ACCEPTED):
            response["Location"] = response.data["url"]  # where to poll for the decision
        return response


class ReturnBatchSubmitView(APIView):
    permission_classes = [IsSubmitter]
    throttle_scope = "submit"

    @extend_schema(
        request=ReturnBatchInputSerializer,
        responses={
            202: inline_serializer(
                "BatchResult",
                {
                    "results": serializers.ListField(
                        child=inline_serializer(
                            "BatchItemResult",
                            {
                                "order_id": serializers.CharField(allow_null=True),
                                "status": serializers.ChoiceField(
                                    ["accepted", "duplicate", "invalid", "conflict"]
                                ),
                                "errors": serializers.DictField(),
                            },
                        )
                    )
                },
            ),
            **error_responses(400, 415, 422),
        },
        parameters=[OpenApiParameter("Idempotency-Key", str, OpenApiParameter.HEADER)],
        summary="Submit up to 1,000 returns; valid ones are stored even when others are not",
    )
    def post(self, request):
        envelope = ReturnBatchInputSerializer(data=request.data)
        envelope.is_valid(raise_exception=True)
        items = return_payloads_validate(envelope.validated_data["returns"])

        def call():
            results = return_submit_batch(client=request.user, items=items)
            body = {
                "results": [
                    {"order_id": r.order_id, "status": r.status, "errors": r.errors}
                    for r in results
                ]
            }
            return status.HTTP_202_ACCEPTED, body

        return _idempotently(request, call)


class ReturnDetailView(APIView):
    permission_classes = [IsSubmitter]
    throttle_scope = "read"
    wait = IntQuery(
        "wait",
        default=0,
        low=0,
        high=LONG_POLL_MAX_MS,
        description=(
            "Milliseconds to wait for a decision. A key may hold "
            f"{settings.API_CONCURRENT_WAITS_PER_KEY} waits open at once; a request "
            "past that answers at once with the return as it stands, and says so in "
            f"the `{LONG_POLL_SKIPPED_HEADER}` header."
        ),
    )

    @extend_schema(
        responses={200: ReturnOutputSerializer, **error_responses(400, 404)},
        parameters=[
            wait.parameter(),
            OpenApiParameter(
                LONG_POLL_SKIPPED_HEADER,
                str,
                OpenApiParameter.HEADER,
                response=[200],
                enum=[SKIPPED_AT_LIMIT, SKIPPED_WITHOUT_REDIS],
                description=(
                    "Present when the request asked to wait and did not: `limit` when this key "
                    "already holds as many waits as it may (finish one, or poll less often), "
                    "`unavailable` when the desk cannot count waits; decisions are delayed "
                    "then too. The body is the return as it stands; ask again in a moment."
                ),
            ),
        ],
        summary="A return, its status and its decision",
    )
    def get(self, request, order_id):
        wait_ms = self.wait.read(request)
        deadline = time.monotonic() + wait_ms / 1000
        return_request = return_get_for_client(client=request.user, order_id=order_id)
        response = Response(
            ReturnOutputSerializer(return_request, context={"request": request}).data
        )
        if wait_ms and return_request.status == ReturnStatus.PENDING:
            wait = _DecisionWait(request, order_id, return_request.pk, deadline)
            # On the event loop, holding no thread, under the web server (core.awaiting).
            response_await(request, response, partial(_decision_awaited, response, wait))
        return response


@dataclass(frozen=True)
class _DecisionWait:
    request: Request
    order_id: str
    return_id: int
    deadline: float  # time.monotonic()

    def return_read(self) -> tuple[bool, dict]:
        """Whether the return is still pending, and its body; gives the request's database
        connection back (to the pool, under ASGI) so that a waiting request holds none."""
        try:
            return_request = return_get_for_client(client=self.request.user, order_id=self.order_id)
            body = ReturnOutputSerializer(return_request, context={"request": self.request}).data
        finally:
            if not connection.in_atomic_block:
                close_old_connections()
        return return_request.status == ReturnStatus.PENDING, body


async def _decision_awaited(response: Response, wait: _DecisionWait) -> None:
    """Holds `response` until its return is decided or the wait's deadline, then answers the
    return as it stands. Each wait takes one of its key's slots; one key must not hold them all."""
    read = sync_to_async(wait.return_read)  # on the request's thread, where its connection is
    async with (
        long_poll_slot(client=wait.request.user) as skipped,
        waiting_for_decision(wait.return_id) as decided,
    ):
        if skipped:
            response[LONG_POLL_SKIPPED_HEADER] = skipped
            return
        try:
            # Read again once listening: a decision that committed before is not announced.
            pending, body = await read()
            while pending and (left := wait.deadline - time.monotonic()) > 0:
                with contextlib.suppress(TimeoutError):  # the timer's turn to read
                    await asyncio.wait_for(decided.wait(), min(left, FALLBACK_POLL_SECONDS))
                decided.clear()
                pending, body = await read()
        except Exception:
            # The return as first read is still a true answer, as at a deadline: the client asks
            # again.
            logger.exception("long-poll answered early: reading the return failed")
            return
    response.data = body
    if response.is_rendered:  # awaited after the middleware rendered it (config/asgi.py)
        response.content = response.rendered_content


class DecisionFeedView(APIView):
    permission_classes = [IsSubmitter]
    throttle_scope = "read"
    limit = IntQuery("limit", default=100, low=1, high=1000, description="Page size")

    @extend_schema(
        parameters=[
            OpenApiParameter("after", str, description="Cursor from a previous page's `next`"),
            limit.parameter(),
        ],
        responses={
            200: inline_serializer(
                "DecisionFeedPage",
                {
                    "results": DecisionFeedEventSerializer(many=True),
                    "next": serializers.CharField(
                        allow_null=True,
                        help_text="Pass as `after` for newer events; null only before the first.",
                    ),
                },
            ),
            **error_responses(400),
        },
        summary="Decisions and outcome changes in commit order, for clients to sync",
    )
    def get(self, request):
        limit = self.limit.read(request)
        try:
            events, next_cursor = feed_events_after(
                client=request.user, cursor=request.query_params.get("after"), limit=limit
            )
        except InvalidCursor as exc:
            raise ValidationError({"after": [str(exc)]}) from exc
        results = DecisionFeedEventSerializer(events, many=True, context={"request": request}).data
        return Response({"results": results, "next": next_cursor})
