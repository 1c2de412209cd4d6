"""Liveness and readiness probes for load balancers and operators."""

import redis
from django.conf import settings
from django.db import connection
from django.http import JsonResponse
from django.views.decorators.http import require_GET

from scoring.models import ModelVersion


@require_GET
def healthz(request):
    return JsonResponse({"status": "ok"})


@require_GET
def readyz(request):
    """Ready when the database, Redis and an active model are reachable; a 503 names what is not."""
    failures = {}
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        if not ModelVersion.objects.filter(is_active=True).exists():
            failures["model"] = "no active model version"
    except Exception as exc:  # any database failure means not ready
        failures["database"] = str(exc).strip() or exc.__class__.__name__
    try:
        redis.Redis.from_url(settings.REDIS_URL, socket_timeout=1, socket_connect_timeout=1).ping()
    except redis.RedisError as exc:
        failures["redis"] = str(exc)
    if failures:
        return JsonResponse({"status": "unavailable", "failures": failures}, status=503)
    return JsonResponse({"status": "ready"})
