"""Calibration and ranking metrics for fraud probabilities."""

import numpy as np
from sklearn.metrics import average_precision_score, brier_score_loss, roc_auc_score


def _bin_index(p: np.ndarray, n_bins: int) -> np.ndarray:
    # Equal-width bins on [0, 1]; p == 1 belongs to the last bin rather than a bin of its own.
    return np.minimum((p * n_bins).astype(np.int64), n_bins - 1)


def reliability_curve(y, p, n_bins: int = 15) -> list[dict]:
    """Mean predicted probability against observed fraud rate, per non-empty equal-width bin."""
    y = np.asarray(y, dtype=np.float64)
    p = np.asarray(p, dtype=np.float64)
    bins = _bin_index(p, n_bins)
    counts = np.bincount(bins, minlength=n_bins)
    predicted = np.bincount(bins, weights=p, minlength=n_bins)
    positives = np.bincount(bins, weights=y, minlength=n_bins)
    return [
        {
            "bin_lower": float(b / n_bins),
            "bin_upper": float((b + 1) / n_bins),
            "mean_predicted": float(predicted[b] / counts[b]),
            "fraction_positive": float(positives[b] / counts[b]),
            "count": int(counts[b]),
        }
        for b in np.flatnonzero(counts)
    ]


def expected_calibration_error(y, p, n_bins: int = 15) -> float:
    """Count-weighted mean gap between predicted probability and observed rate across bins."""
    curve = reliability_curve(y, p, n_bins)
    total = sum(point["count"] for point in curve)
    return float(
        sum(
            point["count"] * abs(point["mean_predicted"] - point["fraction_positive"])
            for point in curve
        )
        / total
    )


def evaluation_report(y, p, n_bins: int = 15) -> dict:
    """ROC-AUC, PR-AUC, Brier score, ECE and reliability points for one set of predictions."""
    y = np.asarray(y)
    p = np.asarray(p, dtype=np.float64)
    return {
        "roc_auc": float(roc_auc_score(y, p)),
        "pr_auc": float(average_precision_score(y, p)),
        "brier": float(brier_score_loss(y, p)),
        "ece": expected_calibration_error(y, p, n_bins),
        "reliability": reliability_curve(y, p, n_bins),
    }
