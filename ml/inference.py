"""Score a batch of returns with a trained bundle: fraud probability, OOD flag and reasons."""

from dataclasses import dataclass

import numpy as np
import pandas as pd

from ml.features import attribute_columns, feature_arrays
from ml.schema import FEATURES
from ml.train import TrainedBundle


@dataclass(frozen=True)
class ScoreBatch:
    """Scores for a batch, row-aligned with the input.

    ``fraud_probability`` is the model's calibrated estimate as is; raising it for flagged rows
    is the policy's job (scoring.policy).
    """

    fraud_probability: np.ndarray
    ood_score: np.ndarray
    ood_flag: np.ndarray
    ood_reasons: list[list[dict[str, str]]]
    contributions: list[list[dict[str, float]]]


def _feature_columns(rows: pd.DataFrame | list[dict], attributes=()) -> dict[str, np.ndarray]:
    # Plain arrays rather than a DataFrame: building a frame costs more than scoring one row.
    if isinstance(rows, pd.DataFrame):
        return feature_arrays(rows, attributes)
    missing = sorted({column for row in rows for column in FEATURES if column not in row})
    if missing:
        raise ValueError(f"returns lack feature columns: {', '.join(missing)}")
    columns = {column: [row[column] for row in rows] for column in FEATURES}
    for column, _kind in attribute_columns(attributes):
        columns[column] = [row.get(column) for row in rows]  # absent: the attribute is missing
    return feature_arrays(columns, attributes)


def score_returns(
    bundle: TrainedBundle, rows: pd.DataFrame | list[dict], top_k: int = 3
) -> ScoreBatch:
    """Score all rows in one vectorised pass; unseen categories are scored and flagged, not refused.

    A row's attributes are its `attr_<name>` columns; those the model was not trained with are
    ignored, and those it was trained with that a row lacks are missing.
    Contributions list up to ``top_k`` features per row as {"feature", "effect"}, the effect in
    probability (see FraudModel.predict_with_contributions).
    """
    columns = _feature_columns(rows, bundle.model.attributes)
    if len(columns[FEATURES[0]]) == 0:
        return ScoreBatch(np.empty(0), np.empty(0), np.empty(0, dtype=bool), [], [])
    probability, contributions = bundle.model.predict_with_contributions(columns, top_k)
    ood = bundle.ood_gate.check(columns)
    return ScoreBatch(
        fraud_probability=probability,
        ood_score=ood.score,
        ood_flag=ood.flag,
        ood_reasons=ood.reasons,
        contributions=[
            [{"feature": name, "effect": effect} for name, effect in row] for row in contributions
        ],
    )
