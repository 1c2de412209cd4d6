from decimal import Decimal

import numpy as np
import pytest

from ml.generate import CATEGORIES, PAYMENT_METHODS, generate_returns
from ml.history import with_desk_view
from ml.inference import score_returns
from ml.schema import DESK_FEATURES, FEATURES


def test_unknown_categories_are_scored_and_flagged(bundle):
    rows = with_desk_view(generate_returns(rows=500, scenario="novel", seed=8))
    scores = score_returns(bundle, rows)
    assert np.isfinite(scores.fraud_probability).all()
    assert ((scores.fraud_probability >= 0) & (scores.fraud_probability <= 1)).all()
    unseen = ~rows["product_category"].isin(CATEGORIES) | ~rows["payment_method"].isin(
        PAYMENT_METHODS
    )
    assert scores.ood_flag[unseen.to_numpy()].all()
    assert all(
        any(reason["code"] == "ood_unseen_value" for reason in scores.ood_reasons[i])
        for i in np.flatnonzero(unseen)
    )
    assert len(scores.contributions) == len(rows)


def test_list_of_dicts_scores_like_a_frame(bundle, normal_returns):
    frame = normal_returns.head(20)
    as_frame = score_returns(bundle, frame)
    as_dicts = score_returns(bundle, frame[list(FEATURES)].to_dict("records"))
    np.testing.assert_allclose(as_dicts.fraud_probability, as_frame.fraud_probability)
    np.testing.assert_array_equal(as_dicts.ood_flag, as_frame.ood_flag)
    assert as_dicts.contributions == as_frame.contributions


def test_a_single_django_style_row_with_decimal_money(bundle):
    row = {
        "order_value": Decimal("2450.00"),
        "product_category": "Jewelry",
        "return_ratio": Decimal("0.2"),
        "returns_velocity_30d": 1,
        "days_since_purchase": 2,
        "payment_method": "Gift Card",
        **dict.fromkeys(DESK_FEATURES, 0.0),
    }
    scores = score_returns(bundle, [row])
    assert scores.ood_flag.tolist() == [True]
    codes = {reason["code"] for reason in scores.ood_reasons[0]}
    assert {"ood_unseen_value", "ood_out_of_range"} <= codes
    for contribution in scores.contributions[0]:
        assert set(contribution) == {"feature", "effect"}
        assert contribution["feature"] in FEATURES


def test_missing_feature_is_refused_by_name(bundle):
    with pytest.raises(ValueError, match="payment_method"):
        score_returns(bundle, [{"order_value": 10.0}])


def test_empty_batch_gives_empty_scores(bundle):
    scores = score_returns(bundle, [])
    assert scores.fraud_probability.shape == (0,)
    assert scores.ood_reasons == []
