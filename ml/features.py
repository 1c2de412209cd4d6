"""The one feature pipeline shared by training and serving, so both see identical inputs."""

import numpy as np
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.utils.validation import check_is_fitted

from ml.schema import CATEGORICAL_FEATURES, FEATURES, NUMERIC_FEATURES


def feature_arrays(X) -> dict[str, np.ndarray]:
    """FEATURES columns of a DataFrame or column mapping; numerics as floats, others as objects."""
    missing = [column for column in FEATURES if column not in X]
    if missing:
        raise ValueError(f"missing feature columns: {', '.join(missing)}")
    return {
        column: np.asarray(X[column], dtype=np.float64 if column in NUMERIC_FEATURES else object)
        for column in FEATURES
    }


class ReturnFeatures(TransformerMixin, BaseEstimator):
    """Turn return rows into a numeric matrix: numerics, log value, one-hots and fraud interactions.

    Input is a DataFrame (or any mapping of column name to 1-D values) holding the FEATURES
    columns. Categorical values not seen in ``fit`` encode as all-zero one-hots, never an error.
    """

    def fit(self, X, y=None):
        columns = feature_arrays(X)
        self.categories_ = {
            column: np.array(sorted(set(columns[column])), dtype=object)
            for column in CATEGORICAL_FEATURES
        }
        return self

    def transform(self, X):
        check_is_fitted(self, "categories_")
        columns = feature_arrays(X)
        not_finite = [c for c in NUMERIC_FEATURES if not np.isfinite(columns[c]).all()]
        if not_finite:
            raise ValueError(f"numeric features must be finite numbers: {', '.join(not_finite)}")
        # Clipped so a negative value cannot become NaN; the OOD gate flags such a row anyway.
        log_value = np.log1p(np.clip(columns["order_value"], 0.0, None))
        one_hot = [columns[c][:, None] == self.categories_[c] for c in CATEGORICAL_FEATURES]
        return np.column_stack(
            [
                *(columns[c] for c in NUMERIC_FEATURES),
                log_value,
                *one_hot,
                (columns["product_category"] == "Electronics") * log_value,
                (columns["payment_method"] == "Gift Card") & (columns["days_since_purchase"] <= 3),
            ]
        ).astype(np.float64)

    def get_feature_names_out(self, input_features=None):
        check_is_fitted(self, "categories_")
        names = [*NUMERIC_FEATURES, "log_order_value"]
        for column in CATEGORICAL_FEATURES:
            names += [f"{column}={value}" for value in self.categories_[column]]
        names += ["electronics_x_log_value", "gift_card_within_3_days"]
        return np.array(names, dtype=object)
