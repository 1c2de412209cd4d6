import pytest

from ml.schema import LABEL
from ml.train import TrainingConfig, format_report, holdout_split, train

REPORT_KEYS = {
    "roc_auc",
    "pr_auc",
    "brier",
    "ece",
    "reliability",
    "calibration_method",
    "ood_threshold",
    "ood_false_alarm_rate",
    "ood_target",
    "n_train",
    "n_holdout",
    "fraud_rate",
}


def test_report_covers_quality_and_ood(bundle, normal_returns):
    report = bundle.report
    assert set(report) >= REPORT_KEYS
    assert report["n_train"] + report["n_holdout"] == len(normal_returns)
    assert report["n_holdout"] == pytest.approx(0.25 * len(normal_returns), abs=1)
    assert report["roc_auc"] > 0.7
    assert report["ece"] <= 0.03
    assert abs(report["ood_false_alarm_rate"] - report["ood_target"]) <= 0.01
    # What decisions cost is the policy's to say (scoring.services.training), not ml's.
    assert not {"cost_per_return_policy", "action_mix"} & set(report)


def test_bundle_records_schema_and_data_hash(bundle):
    assert bundle.feature_schema["categorical_values"]["payment_method"] == [
        "Credit Card",
        "Debit Card",
        "Gift Card",
        "PayPal",
    ]
    low, high = bundle.feature_schema["numeric_ranges"]["returns_velocity_30d"]
    assert low == 0
    assert high >= 4
    assert len(bundle.data_hash) == 64


def test_the_held_out_rows_are_the_ones_reported_on(normal_returns, bundle):
    training, holdout = holdout_split(normal_returns, TrainingConfig(random_state=0))
    assert len(training) == bundle.report["n_train"]
    assert len(holdout) == bundle.report["n_holdout"]
    assert holdout[LABEL].mean() == pytest.approx(normal_returns[LABEL].mean(), abs=0.002)


def test_same_seed_trains_to_the_same_report(normal_returns, bundle):
    again = train(normal_returns, TrainingConfig(random_state=0))
    assert again.report == bundle.report
    assert again.data_hash == bundle.data_hash


def test_progress_messages_are_reported(normal_returns):
    messages = []
    train(normal_returns.head(3_000), TrainingConfig(random_state=1), progress=messages.append)
    assert any("fraud model" in message for message in messages)


def test_training_data_without_labels_is_refused(normal_returns):
    with pytest.raises(ValueError, match="is_fraud"):
        train(normal_returns.drop(columns="is_fraud"), TrainingConfig())


def test_format_report_prints_the_headline_numbers(bundle):
    text = format_report(bundle.report)
    assert f"ECE {bundle.report['ece']:.4f}" in text
    assert f"held-out flag rate {bundle.report['ood_false_alarm_rate']:.2%}" in text
