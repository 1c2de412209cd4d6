"""Drift monitoring: are recent returns still like the data the active model learned from?

Each feature and the model's fraud score are compared with the training data by PSI (ml.drift);
beside them the share of returns the OOD gate flags and the calibration (ECE) on the returns
whose truth is known. A daily snapshot is stored; the worst PSI status is the day's status.
"""

from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import numpy as np
import pandas as pd
from django.conf import settings
from django.utils import timezone

from casework.models import Label
from insights.choices import DriftStatus
from insights.models import DriftSnapshot
from intake.models import ReturnRequest
from intake.selectors import returns_desk_view
from ml.drift import drift_reference, drift_table, profile_psi, psi_status, worst_status
from ml.history import with_desk_view
from ml.metrics import expected_calibration_error
from ml.schema import CLIENT_FEATURES, FEATURES, LABEL, NUMERIC_FEATURES, read_returns_csv
from scoring.constants import DRIFT_BINS, DRIFT_MIN_RETURNS, DRIFT_WINDOW_DAYS
from scoring.models import ModelVersion
from scoring.services.models import model_active

SCORE = "fraud_score"


class DriftReferenceMissing(Exception):
    """The active model has no stored reference and its training file cannot be found."""


@dataclass(frozen=True)
class DriftMeasurement:
    status: str
    metrics: dict
    model_version: ModelVersion


def drift_reference_for(model_version: ModelVersion, bundle) -> dict:
    """The model's stored reference (retrained models keep one in their feature schema), else
    one computed from its training file, looked up by name beside DEFAULT_TRAINING_DATA."""
    stored = model_version.feature_schema.get("drift_reference")
    if stored:
        return stored
    # Only the file name is used: a stored path must not lead anywhere else on the disk.
    path = Path(settings.DEFAULT_TRAINING_DATA).parent / Path(model_version.training_data).name
    if not path.is_file():
        raise DriftReferenceMissing(
            f"model {model_version.version} stores no drift reference and its training data "
            f"{model_version.training_data!r} is not in {path.parent}"
        )
    return drift_reference(
        with_desk_view(read_returns_csv(path)), model=bundle.model, bins=DRIFT_BINS
    )


def drift_measure(*, frame: pd.DataFrame, labels: np.ndarray | None = None) -> DriftMeasurement:
    """PSI per feature and of the fraud score, OOD rate and ECE of `frame` (FEATURES columns;
    `labels` 0/1 per row or -1 where the truth is unknown) against the active model."""
    model_version, bundle = model_active()
    reference = drift_reference_for(model_version, bundle)
    metrics = {"model_version": model_version.version, "returns": len(frame), "features": []}
    if len(frame) == 0:
        metrics["calibration"] = {"labelled": 0, "ece": None}
        return DriftMeasurement(DriftStatus.INSUFFICIENT, metrics, model_version)
    p = bundle.model.predict_proba(frame)[:, 1]
    score_psi = profile_psi(reference["fraud_score"], p)
    metrics["features"] = [
        *drift_table(reference["features"], frame),
        {"feature": SCORE, "psi": round(score_psi, 6), "status": psi_status(score_psi)},
    ]
    metrics["ood_rate"] = float(bundle.ood_gate.check(frame).flag.mean())
    metrics["ood_rate_expected"] = model_version.metrics.get("ood_target")
    known = labels >= 0 if labels is not None else np.zeros(len(frame), dtype=bool)
    metrics["calibration"] = {
        "labelled": int(known.sum()),
        "ece": expected_calibration_error(labels[known], p[known]) if known.any() else None,
    }
    if len(frame) < DRIFT_MIN_RETURNS:
        return DriftMeasurement(DriftStatus.INSUFFICIENT, metrics, model_version)
    status = worst_status(row["status"] for row in metrics["features"])
    return DriftMeasurement(status, metrics, model_version)


def drift_measure_file(*, path: Path) -> DriftMeasurement:
    """Drift of a CSV of the shared columns; its is_fraud column, if any, gives the ECE."""
    frame = pd.read_csv(path, dtype={"product_category": str, "payment_method": str})
    missing = [name for name in (*CLIENT_FEATURES, "customer_id") if name not in frame.columns]
    if missing:
        raise ValueError(f"{path}: missing columns: {', '.join(missing)}")
    frame = with_desk_view(frame)
    labels = frame[LABEL].to_numpy(dtype=np.int64) if LABEL in frame.columns else None
    return drift_measure(frame=frame, labels=labels)


def drift_measure_live(*, days: int = DRIFT_WINDOW_DAYS, now=None) -> DriftMeasurement:
    """Drift of the returns received in the last `days` days."""
    now = now or timezone.now()
    returns = list(
        ReturnRequest.objects.filter(
            received_at__gte=now - timedelta(days=days), received_at__lt=now
        ).order_by("id")
    )
    rows = [
        {"id": r.pk, **{name: getattr(r, name) for name in CLIENT_FEATURES}, **view}
        for r, view in zip(returns, returns_desk_view(returns=returns), strict=True)
    ]
    frame = pd.DataFrame(rows, columns=["id", *FEATURES])
    frame = frame.astype(dict.fromkeys(NUMERIC_FEATURES, "float64"))
    truth = dict(
        Label.objects.filter(return_request_id__in=frame["id"].tolist())
        .newest_per_return()
        .values_list("return_request_id", "is_fraud")
    )
    labels = np.array([int(truth[i]) if i in truth else -1 for i in frame["id"]], dtype=np.int64)
    measurement = drift_measure(frame=frame[list(FEATURES)], labels=labels)
    measurement.metrics.update(window_days=days, since=(now - timedelta(days=days)).isoformat())
    return measurement


def drift_snapshot_record(*, day: date | None = None, days: int = DRIFT_WINDOW_DAYS):
    """Measures the window ending now and stores it as `day`'s snapshot (replacing a rerun's)."""
    measurement = drift_measure_live(days=days)
    snapshot, _ = DriftSnapshot.objects.update_or_create(
        date=day or timezone.localdate(),
        defaults={
            "status": measurement.status,
            "metrics": measurement.metrics,
            "model_version": measurement.model_version,
        },
    )
    return snapshot
