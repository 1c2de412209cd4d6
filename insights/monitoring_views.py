"""The monitoring page (returns that could not be decided, drift of recent returns, the audit
sample's cost, recent retrainings) and the Prometheus scrape."""

import os
from datetime import timedelta

from django.conf import settings
from django.http import HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.crypto import constant_time_compare
from django.views.decorators.http import require_GET
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    generate_latest,
    multiprocess,
)

from core.access import lead_required
from core.roles import user_is_lead
from insights.metrics import DeskCollector
from insights.selectors import audit_sample_cost, drift_snapshots_recent, model_comparisons_recent
from intake.selectors import returns_failed

AUDIT_WINDOW_DAYS = 30
# Status → the chip colour the desk already uses for good, careful and bad.
STATUS_CHIPS = {"ok": "chip-audit", "warn": "chip-budget", "alarm": "chip-hold"}


@lead_required
@require_GET
def monitoring_page(request):
    snapshots = drift_snapshots_recent(limit=30)
    latest = snapshots[0] if snapshots else None
    features = [row["feature"] for row in latest.metrics["features"]] if latest else []
    history = []
    for snapshot in snapshots:
        psi = {row["feature"]: row for row in snapshot.metrics.get("features", [])}
        history.append(
            {
                "snapshot": snapshot,
                "chip": STATUS_CHIPS.get(snapshot.status, ""),
                "cells": [
                    {**psi[name], "chip": STATUS_CHIPS[psi[name]["status"]]}
                    if name in psi
                    else None
                    for name in features
                ],
            }
        )
    since = timezone.now() - timedelta(days=AUDIT_WINDOW_DAYS)
    failed, failed_count = returns_failed(limit=20)
    return render(
        request,
        "insights/monitoring.html",
        {
            "latest": latest,
            "latest_chip": STATUS_CHIPS.get(latest.status, "") if latest else "",
            "latest_rows": history[0]["cells"] if history else [],
            "features": features,
            "history": history,
            "audit": audit_sample_cost(since=since),
            "audit_days": AUDIT_WINDOW_DAYS,
            "comparisons": model_comparisons_recent(limit=5),
            "failed": failed,
            "failed_count": failed_count,
        },
    )


@require_GET
def metrics(request):
    """Prometheus's scrape: with `Authorization: Bearer $METRICS_TOKEN`, or as a signed-in lead.
    Anyone else is refused, as everywhere on the desk."""
    token = settings.METRICS_TOKEN
    offered = request.headers.get("Authorization", "").removeprefix("Bearer ")
    if not (token and constant_time_compare(offered, token)) and not user_is_lead(request.user):
        return HttpResponse("Metrics need the scrape token or a lead's sign-in.\n", status=403)
    if "PROMETHEUS_MULTIPROC_DIR" in os.environ:
        # Each web process counts its own requests; the scrape adds them up from their files.
        requests_registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(requests_registry)
    else:
        requests_registry = REGISTRY
    desk_registry = CollectorRegistry()
    desk_registry.register(DeskCollector())
    body = generate_latest(requests_registry) + generate_latest(desk_registry)
    return HttpResponse(body, content_type=CONTENT_TYPE_LATEST)
