"""Liveness and readiness probes for load balancers, and the checks operators alert on."""

import logging

import redis
from django.conf import settings
from django.db import DatabaseError, connection
from django.http import JsonResponse
from django.views.decorators.http import require_GET

from casework.services.health import pipeline_status
from core.roles import user_is_lead
from scoring.models import ModelVersion

logger = logging.getLogger(__name__)


@require_GET
def healthz(request):
    return JsonResponse({"status": "ok"})


@require_GET
def readyz(request):
    """Ready when the database and an active model are reachable; a 503 names what is not.

    Only what serving needs: Redis is not, since intake stores returns in the database and the
    sweeper nudges them once Redis is back. Taking every web node out of the load balancer for a
    Redis outage would refuse the submissions the desk is built to keep taking; /healthz/redis
    and the pipeline check alarm on it instead.
    """
    failures = {}
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        if not ModelVersion.objects.filter(is_active=True).exists():
            failures["model"] = "no active model version"
    except Exception:  # any database failure means not ready
        # The detail (hosts, users) goes to the log; the anonymous answer names the part only.
        logger.exception("readiness: database check failed")
        failures["database"] = "unreachable"
    if failures:
        return JsonResponse({"status": "unavailable", "failures": failures}, status=503)
    return JsonResponse({"status": "ready"})


@require_GET
def redis_health(request):
    """200 while Redis answers, else 503: for alerting. Serving goes on without it (readyz)."""
    try:
        redis.Redis.from_url(settings.REDIS_URL, socket_timeout=1, socket_connect_timeout=1).ping()
    except redis.RedisError:
        logger.warning("redis unreachable", exc_info=True)
        return JsonResponse({"status": "unavailable"}, status=503)
    return JsonResponse({"status": "ok"})


def _is_operator(request) -> bool:
    # Who is signed in is read from the session in the database, which may be the thing down.
    try:
        return user_is_lead(request.user)
    except DatabaseError:
        return False


@require_GET
def pipeline(request):
    """200 while returns are being decided; 503 when something stops them. For alerts, not
    routing. What is wrong, and the figures, are shown to a signed-in lead or admin only."""
    status = pipeline_status()
    body = {"status": "ok" if status.ok else "failing"}
    if _is_operator(request):
        body |= status.figures | ({"problems": status.problems} if status.problems else {})
    return JsonResponse(body, status=200 if status.ok else 503)
