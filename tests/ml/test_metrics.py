import numpy as np
import pytest

from ml.metrics import evaluation_report, expected_calibration_error, reliability_curve


def test_reliability_curve_bins_by_predicted_probability():
    curve = reliability_curve([0, 1, 1, 1], [0.05, 0.05, 0.95, 1.0], n_bins=10)
    assert curve == [
        {
            "bin_lower": 0.0,
            "bin_upper": 0.1,
            "mean_predicted": pytest.approx(0.05),
            "fraction_positive": 0.5,
            "count": 2,
        },
        {
            "bin_lower": 0.9,
            "bin_upper": 1.0,
            "mean_predicted": pytest.approx(0.975),
            "fraction_positive": 1.0,
            "count": 2,
        },
    ]


def test_expected_calibration_error_weights_gaps_by_bin_size():
    # Gaps 0.45 and 0.025, each bin holding half the rows.
    ece = expected_calibration_error([0, 1, 1, 1], [0.05, 0.05, 0.95, 1.0], n_bins=10)
    assert ece == pytest.approx(0.2375)


def test_ece_separates_calibrated_from_overconfident_predictions():
    rng = np.random.default_rng(0)
    p = rng.random(50_000)
    assert expected_calibration_error(rng.random(p.size) < p, p) < 0.01
    assert expected_calibration_error(rng.random(p.size) < p / 2, p) > 0.2


def test_evaluation_report_has_every_metric():
    rng = np.random.default_rng(1)
    p = rng.random(1_000)
    report = evaluation_report(rng.random(p.size) < p, p)
    assert set(report) == {"roc_auc", "pr_auc", "brier", "ece", "reliability"}
    assert report["roc_auc"] > 0.7
    assert sum(point["count"] for point in report["reliability"]) == 1_000
