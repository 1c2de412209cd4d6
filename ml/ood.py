"""Out-of-distribution gate: spots returns unlike the training data, where the model is a guess."""

from dataclasses import dataclass

import numpy as np
from sklearn.base import BaseEstimator
from sklearn.mixture import GaussianMixture
from sklearn.model_selection import train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.utils.validation import check_is_fitted

from ml.features import attribute_columns, feature_arrays
from ml.schema import CATEGORICAL_FEATURES, FEATURES, MISSING, NUMERIC_FEATURES

# A value slightly past the training extremes is what a fresh sample of the same heavy-tailed
# data produces; 5% of the training span absorbs that yet still flags a returns velocity of 6
# when training stopped at 5, and a return ratio above 0.71 when it stopped at 0.68.
RANGE_TOLERANCE = 0.05
# Velocity takes only a few integer values; without this floor a mixture component collapses
# onto a single level and gives it an absurd density.
_REG_COVAR = 1e-2


@dataclass(frozen=True)
class OODResult:
    """Per-row anomaly score, flag and the reasons behind each flag."""

    score: np.ndarray
    flag: np.ndarray
    reasons: list[list[dict[str, str]]]


def _density_inputs(columns: dict[str, np.ndarray]) -> np.ndarray:
    # Logs make the long-tailed value and days columns close enough to Gaussian for a mixture.
    # Clipped so a negative value cannot become NaN; the range check flags such a row anyway.
    return np.column_stack(
        [
            np.log1p(np.clip(columns["order_value"], 0.0, None)),
            columns["return_ratio"],
            columns["returns_velocity_30d"],
            np.log1p(np.clip(columns["days_since_purchase"], 0.0, None)),
            # The desk's own view: returns in the last day, and its count above the client's.
            columns["desk_returns_24h"],
            columns["desk_velocity_gap"],
        ]
    )


class OODGate(BaseEstimator):
    """Flag returns whose categories, ranges or joint numeric profile the training data lacks.

    The anomaly score is the negative log-density under a Gaussian mixture over the numeric
    features. Against an IsolationForest it caught the same share of the mimicry ring and drifted
    rows at the same false-alarm rate, while scoring one row about ten times faster.

    ``attributes`` (the model's, ml.features) are covered by the value and range checks: a
    category attribute's value unseen in training is novel, a number far outside its training
    range is out of range; a missing attribute is neither.
    """

    # Read by gates pickled before attributes existed, which covered none.
    attributes = ()

    def __init__(
        self,
        *,
        target_false_alarm_rate=0.02,
        calibration_fraction=0.5,
        n_components=4,
        random_state=None,
        attributes=(),
    ):
        self.target_false_alarm_rate = target_false_alarm_rate
        self.calibration_fraction = calibration_fraction
        self.n_components = n_components
        self.random_state = random_state
        self.attributes = attributes

    def fit(self, X, y=None):
        """Learn the training distribution from ``X``; ``y`` is ignored.

        ``calibration_fraction`` of the rows are held out from the density to set the threshold:
        scores of the rows the density was fitted on are optimistic, so a threshold set there
        would over-alarm. Half by default, because the threshold sits in a sparse 2% tail: over
        20 splits of returns_normal.csv the held-out flag rate was 2.0% +/- 0.3% with a half,
        +/- 0.6% with a quarter.
        """
        if not 0.0 < self.target_false_alarm_rate < 1.0:
            raise ValueError("target_false_alarm_rate must be between 0 and 1")
        if not 0.0 < self.calibration_fraction < 1.0:
            raise ValueError("calibration_fraction must be between 0 and 1")
        train = feature_arrays(X, self.attributes)
        # Values and ranges are what the model saw: every row, not only the density's share.
        self.seen_values_ = {column: sorted(set(train[column])) for column in CATEGORICAL_FEATURES}
        self.numeric_ranges_ = {
            column: (float(train[column].min()), float(train[column].max()))
            for column in NUMERIC_FEATURES
        }
        for column, kind in attribute_columns(self.attributes):
            values = train[column]
            if kind == "category":
                self.seen_values_[column] = sorted(set(values) - {MISSING})
            elif kind in ("number", "identifier") and not np.isnan(values).all():
                self.numeric_ranges_[column] = (float(np.nanmin(values)), float(np.nanmax(values)))
        rows = np.arange(len(train["order_value"]))
        fit_rows, calibration_rows = train_test_split(
            rows, test_size=self.calibration_fraction, random_state=self.random_state
        )
        calibration = {column: values[calibration_rows] for column, values in train.items()}
        train = {column: values[fit_rows] for column, values in train.items()}
        self.density_ = make_pipeline(
            StandardScaler(),
            GaussianMixture(
                n_components=self.n_components,
                covariance_type="full",
                reg_covar=_REG_COVAR,
                random_state=self.random_state,
            ),
        ).fit(_density_inputs(train))
        self.threshold_ = self._threshold_for_target(calibration)
        return self

    def _threshold_for_target(self, calibration: dict[str, np.ndarray]) -> float:
        """Anomaly threshold at which all flags together hit the target rate on calibration rows.

        Rows already flagged for an unseen value or range use part of the false-alarm budget, so
        the score threshold only flags enough of the remaining rows to fill it.
        """
        scores = self.score(calibration)
        rule_flagged = np.array([bool(reasons) for reasons in self._rule_reasons(calibration)])
        extra = int(round(self.target_false_alarm_rate * len(scores))) - int(rule_flagged.sum())
        remaining = np.sort(scores[~rule_flagged])[::-1]
        if extra >= len(remaining):
            return -np.inf
        # Flags are strict (score > threshold), so the threshold is the first unflagged score.
        return float(remaining[max(extra, 0)])

    def score(self, X) -> np.ndarray:
        """Anomaly score per row: negative log-density, higher is more unusual."""
        check_is_fitted(self, "density_")
        return -self.density_.score_samples(_density_inputs(feature_arrays(X)))

    def _rule_reasons(self, columns: dict[str, np.ndarray]) -> list[list[dict[str, str]]]:
        reasons = [[] for _ in range(len(columns[FEATURES[0]]))]
        for column, seen in self.seen_values_.items():
            values = columns[column]
            novel = ~np.isin(values, seen) & (values != MISSING)
            for i in np.flatnonzero(novel):
                reasons[i].append(
                    {
                        "code": "ood_unseen_value",
                        "text": f"{column} {values[i]!r} never seen in training",
                    }
                )
        for column, (low, high) in self.numeric_ranges_.items():
            values = columns[column]
            slack = RANGE_TOLERANCE * (high - low)
            for i in np.flatnonzero(values > high + slack):
                reasons[i].append(
                    {
                        "code": "ood_out_of_range",
                        "text": f"{column} {values[i]:g} above training maximum {high:g}",
                    }
                )
            for i in np.flatnonzero(values < low - slack):
                reasons[i].append(
                    {
                        "code": "ood_out_of_range",
                        "text": f"{column} {values[i]:g} below training minimum {low:g}",
                    }
                )
        return reasons

    def check(self, X) -> OODResult:
        """Score and flag each row, with a readable reason for every flag raised."""
        columns = feature_arrays(X, self.attributes)
        scores = self.score(columns)
        reasons = self._rule_reasons(columns)
        for i in np.flatnonzero(scores > self.threshold_):
            reasons[i].append(
                {
                    "code": "ood_anomaly",
                    "text": f"anomaly score {scores[i]:.2f} above threshold {self.threshold_:.2f}",
                }
            )
        flag = np.array([bool(row) for row in reasons], dtype=bool)
        return OODResult(score=scores, flag=flag, reasons=reasons)
