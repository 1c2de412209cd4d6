import numpy as np
import pandas as pd
import pytest
from sklearn.base import clone
from sklearn.exceptions import NotFittedError
from sklearn.utils.estimator_checks import (
    check_get_params_invariance,
    check_no_attributes_set_in_init,
    check_parameters_default_constructible,
    check_set_params,
)
from sklearn.utils.validation import check_is_fitted

from ml.features import ReturnFeatures
from ml.generate import generate_returns
from ml.history import with_desk_view
from ml.schema import CATEGORICAL_FEATURES, FEATURES, NUMERIC_FEATURES


@pytest.fixture(scope="module")
def returns():
    return with_desk_view(generate_returns(rows=300, scenario="normal", seed=2))


def test_every_output_column_has_a_readable_name(returns):
    features = ReturnFeatures().fit(returns)
    names = list(features.get_feature_names_out())
    assert features.transform(returns).shape == (len(returns), len(names))
    assert names[: len(NUMERIC_FEATURES)] == list(NUMERIC_FEATURES)
    assert "payment_method=Gift Card" in names


def test_unseen_category_encodes_as_all_zero_one_hot(returns):
    features = ReturnFeatures().fit(returns)
    names = list(features.get_feature_names_out())
    novel = returns.head(1).assign(payment_method="Crypto")
    row = features.transform(novel)[0]
    payment_columns = [i for i, name in enumerate(names) if name.startswith("payment_method=")]
    assert not row[payment_columns].any()


def test_transform_accepts_a_mapping_of_columns(returns):
    features = ReturnFeatures().fit(returns)
    as_mapping = {column: returns[column].to_list() for column in returns.columns}
    np.testing.assert_array_equal(features.transform(as_mapping), features.transform(returns))


def test_missing_or_non_finite_input_is_refused(returns):
    features = ReturnFeatures().fit(returns)
    with pytest.raises(ValueError, match="return_ratio"):
        features.transform(returns.drop(columns="return_ratio"))
    with pytest.raises(ValueError, match="order_value"):
        features.transform(returns.head(2).assign(order_value=[1.0, np.nan]))


def test_input_frame_is_not_modified(returns):
    before = returns.copy()
    ReturnFeatures().fit(returns).transform(returns)
    pd.testing.assert_frame_equal(returns, before)


def test_unfitted_transform_raises_not_fitted(returns):
    with pytest.raises(NotFittedError):
        ReturnFeatures().transform(returns)


def test_no_column_restates_a_rule_the_generator_labels_fraud_by(returns):
    # Each output column is one input column or one category: nothing like "gift card and
    # returned within three days" or "electronics times value" that mirrors ml.generate's rules.
    names = ReturnFeatures().fit(returns).get_feature_names_out()
    inputs = {name.split("=")[0] for name in names}
    assert inputs == set(FEATURES)
    assert len(names) == len(NUMERIC_FEATURES) + sum(
        returns[column].nunique() for column in CATEGORICAL_FEATURES
    )


def test_estimator_contract(returns):
    features = ReturnFeatures()
    for check in (
        check_no_attributes_set_in_init,
        check_parameters_default_constructible,
        check_get_params_invariance,
        check_set_params,
    ):
        check("ReturnFeatures", features)
    assert features.get_params() == {"attributes": ()}
    with pytest.raises(NotFittedError):
        check_is_fitted(features)
    assert features.fit(returns) is features
    check_is_fitted(features, "categories_")
    with pytest.raises(NotFittedError):
        check_is_fitted(clone(features))
