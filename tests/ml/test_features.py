import numpy as np
import pandas as pd
import pytest
from sklearn.exceptions import NotFittedError

from ml.features import ReturnFeatures
from ml.generate import generate_returns


@pytest.fixture(scope="module")
def returns():
    return generate_returns(rows=300, scenario="normal", seed=2)


def test_every_output_column_has_a_readable_name(returns):
    features = ReturnFeatures().fit(returns)
    names = list(features.get_feature_names_out())
    assert features.transform(returns).shape == (len(returns), len(names))
    assert "payment_method=Gift Card" in names
    assert "gift_card_within_3_days" in names


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
