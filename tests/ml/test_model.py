import numpy as np
import pandas as pd
import pytest
from sklearn.base import clone
from sklearn.exceptions import NotFittedError
from sklearn.model_selection import train_test_split
from sklearn.utils.estimator_checks import (
    check_get_params_invariance,
    check_no_attributes_set_in_init,
    check_parameters_default_constructible,
    check_set_params,
)
from sklearn.utils.validation import check_is_fitted

from ml.generate import generate_returns
from ml.history import with_desk_view
from ml.metrics import expected_calibration_error
from ml.model import FraudModel
from ml.schema import FEATURES


@pytest.fixture(scope="module")
def large_split():
    df = with_desk_view(generate_returns(rows=40_000, scenario="normal", seed=7))
    return train_test_split(df, test_size=0.25, stratify=df["is_fraud"], random_state=0)


@pytest.mark.parametrize("class_weight", [None, "balanced"])
def test_held_out_probabilities_are_calibrated(large_split, class_weight):
    training, held_out = large_split
    model = FraudModel(calibration="isotonic", class_weight=class_weight, random_state=0)
    p = model.fit(training, training["is_fraud"]).predict_proba(held_out)[:, 1]
    assert expected_calibration_error(held_out["is_fraud"], p) <= 0.02
    # Re-weighting classes in training must not leak into the probabilities.
    assert abs(p.mean() - held_out["is_fraud"].mean()) < 0.005


def test_auto_calibration_keeps_the_method_with_lower_brier(normal_returns):
    model = FraudModel(random_state=0).fit(normal_returns, normal_returns["is_fraud"])
    assert set(model.calibration_brier_) == {"isotonic", "sigmoid"}
    best = min(model.calibration_brier_, key=model.calibration_brier_.get)
    assert model.calibration_method_ == best


def test_estimator_contract(normal_returns):
    model = FraudModel(calibration="sigmoid", max_iter=20, random_state=3)
    for check in (
        check_no_attributes_set_in_init,
        check_parameters_default_constructible,
        check_get_params_invariance,
        check_set_params,
    ):
        check("FraudModel", model)
    params = model.get_params()
    assert FraudModel().set_params(**params).get_params() == params
    with pytest.raises(NotFittedError):
        check_is_fitted(model)
    with pytest.raises(NotFittedError):
        model.predict_proba(normal_returns)
    before = normal_returns.copy()
    assert model.fit(normal_returns, normal_returns["is_fraud"]) is model
    pd.testing.assert_frame_equal(normal_returns, before)
    check_is_fitted(
        model,
        [
            "features_",
            "calibration_brier_",
            "calibration_method_",
            "calibrated_",
            "classes_",
            "baseline_",
        ],
    )
    unfitted = clone(model)
    assert unfitted.get_params() == params
    with pytest.raises(NotFittedError):
        check_is_fitted(unfitted)
    assert model.predict(normal_returns.head(5)).shape == (5,)


def test_same_seed_gives_same_probabilities(normal_returns):
    def fit():
        return FraudModel(random_state=1).fit(normal_returns, normal_returns["is_fraud"])

    np.testing.assert_array_equal(
        fit().predict_proba(normal_returns), fit().predict_proba(normal_returns)
    )


def test_fit_refuses_single_class_labels(normal_returns):
    with pytest.raises(ValueError, match="both classes"):
        FraudModel().fit(normal_returns, np.zeros(len(normal_returns), dtype=int))


def test_the_probability_beside_the_contributions_is_the_calibrated_models_own(
    bundle, normal_returns
):
    rows = normal_returns.head(500)
    p, _ = bundle.model.predict_with_contributions(rows)
    np.testing.assert_allclose(p, bundle.model.predict_proba(rows)[:, 1], rtol=0, atol=1e-12)


def test_contributions_explain_a_quick_gift_card_return(bundle, normal_returns):
    model = bundle.model
    typical = {column: [model.baseline_[column]] for column in FEATURES}
    risky = {**typical, "payment_method": ["Gift Card"], "days_since_purchase": [1.0]}
    frame = pd.DataFrame({column: typical[column] + risky[column] for column in FEATURES})
    p, contributions = model.predict_with_contributions(frame, top_k=2)
    np.testing.assert_allclose(p, model.predict_proba(frame)[:, 1])
    # The typical return has nothing to explain; the risky one is pushed up by both features.
    assert contributions[0] == []
    assert {name for name, _ in contributions[1]} == {"payment_method", "days_since_purchase"}
    assert all(effect > 0.05 for _, effect in contributions[1])
    assert model.feature_contributions(pd.DataFrame(risky), top_k=2) == [contributions[1]]
