"""Liveness and readiness probes for load balancers, and the pipeline check for alerting."""

import logging

import redis
from django.conf import settings
from django.db import connection
from django.http import JsonResponse
from django.views.decorators.http import require_GET

from casework.services.health import pipeline_status
from scoring.models import ModelVersion

logger = logging.getLogger(__name__)


@require_GET
def healthz(request):
    return JsonResponse({"status": "ok"})


@require_GET
def readyz(request):
    """Ready when the database and an active model are reachable; a 503 names what is not.

    Redis is not needed to serve: intake stores returns in the database and the sweeper nudges
    them once Redis is back. Its outage is named under `degraded`, and the pipeline check
    (/healthz/pipeline) alarms on it; taking every web node out of the load balancer for it
    would refuse the submissions the desk is built to keep taking.
    """
    failures, degraded = {}, {}
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        if not ModelVersion.objects.filter(is_active=True).exists():
            failures["model"] = "no active model version"
    except Exception:  # any database failure means not ready
        # The detail (hosts, users) goes to the log; the anonymous answer names the part only.
        logger.exception("readiness: database check failed")
        failures["database"] = "unreachable"
    try:
        redis.Redis.from_url(settings.REDIS_URL, socket_timeout=1, socket_connect_timeout=1).ping()
    except redis.RedisError:
        logger.warning("readiness: redis unreachable; serving without it", exc_info=True)
        degraded["redis"] = "unreachable: decisions wait until it is back"
    if failures:
        body = {"status": "unavailable", "failures": failures}
        return JsonResponse(body | ({"degraded": degraded} if degraded else {}), status=503)
    return JsonResponse({"status": "ready"} | ({"degraded": degraded} if degraded else {}))


@require_GET
def pipeline(request):
    """200 while returns are being decided; 503 naming what stops them. For alerts, not routing."""
    status = pipeline_status()
    body = {"status": "ok" if status.ok else "failing", **status.figures}
    if not status.ok:
        body["problems"] = status.problems
    return JsonResponse(body, status=200 if status.ok else 503)
