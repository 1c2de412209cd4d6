"""The monitoring page: returns that could not be decided, drift of recent returns, the audit
sample's cost, recent retrainings."""

from datetime import timedelta

from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from core.access import lead_required
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
