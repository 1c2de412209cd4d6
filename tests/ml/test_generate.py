import numpy as np
import pandas as pd
import pytest

from ml.generate import (
    CATEGORIES,
    PATTERN_FRAUD_CHANCE,
    PAYMENT_METHODS,
    SCENARIOS,
    generate_returns,
    own_returns,
    own_returns_csv,
    summarize,
)
from ml.schema import COLUMNS, read_returns_csv


@pytest.mark.parametrize("scenario", SCENARIOS)
def test_same_seed_gives_identical_frame(scenario):
    first = generate_returns(rows=2_000, scenario=scenario, seed=5)
    second = generate_returns(rows=2_000, scenario=scenario, seed=5)
    pd.testing.assert_frame_equal(first, second)
    assert list(first.columns) == [*COLUMNS, "pattern"]


def test_different_seeds_give_different_frames():
    first = generate_returns(rows=500, scenario="normal", seed=1)
    second = generate_returns(rows=500, scenario="normal", seed=2)
    assert not first["order_value"].equals(second["order_value"])


def test_normal_rows_resemble_the_shared_training_file():
    df = generate_returns(rows=20_000, scenario="normal", seed=0)
    assert set(df["product_category"]) == set(CATEGORIES)
    assert set(df["payment_method"]) == set(PAYMENT_METHODS)
    assert 80 < df["order_value"].median() < 100
    assert 0.14 < df["return_ratio"].mean() < 0.19
    assert 0.01 < df["is_fraud"].mean() < 0.04
    assert df["order_id"].is_unique


def test_patterns_carry_their_fraud_chance():
    df = generate_returns(rows=40_000, scenario="normal", seed=0)
    rates = df.groupby("pattern")["is_fraud"].mean()
    assert rates["none"] == 0.0
    assert rates["noise"] == 1.0
    for pattern, chance in PATTERN_FRAUD_CHANCE.items():
        # Noise fraud also lands inside pattern regions, adding about one point.
        assert abs(rates[pattern] - chance) < 0.1, pattern


def test_mild_drift_inflates_prices_of_the_same_rows():
    normal = generate_returns(rows=1_000, scenario="normal", seed=3)
    mild = generate_returns(rows=1_000, scenario="mild_drift", seed=3)
    np.testing.assert_allclose(mild["order_value"], normal["order_value"] * 1.15, atol=0.02)
    assert (mild["product_category"] == "Clothing").mean() > (
        normal["product_category"] == "Clothing"
    ).mean() + 0.1


def test_severe_drift_appends_a_mimicry_ring_of_cheap_fast_fraud():
    df = generate_returns(rows=5_000, scenario="severe_drift", seed=0)
    ring = df[df["pattern"] == "mimicry_ring"]
    assert len(ring) == 200
    assert ring["customer_id"].str.fullmatch(r"RING-\d{3}").all()
    assert ring["order_id"].str.fullmatch(r"MIMIC-\d{4}").all()
    assert ring["customer_id"].nunique() <= 20
    assert (ring["is_fraud"] == 1).all()
    assert ring["order_value"].between(20, 30).all()
    assert ring["returns_velocity_30d"].between(4, 9).all()
    assert (ring["returns_velocity_30d"] > 5).any()
    assert (df.loc[df["pattern"] != "mimicry_ring", "payment_method"] == "PayPal").mean() > 0.3


def test_novel_brings_unseen_categories_and_payment_methods():
    df = generate_returns(rows=2_000, scenario="novel", seed=0)
    unseen_category = ~df["product_category"].isin(CATEGORIES)
    assert unseen_category.mean() > 0.15
    assert (~df["payment_method"].isin(PAYMENT_METHODS)).mean() > 0.1
    assert df.loc[unseen_category, "order_value"].max() > 1_000


def test_unknown_scenario_is_refused():
    with pytest.raises(ValueError, match="unknown scenario"):
        generate_returns(rows=10, scenario="holiday", seed=0)


def test_summarize_reports_rates_ranges_and_mix():
    text = summarize(generate_returns(rows=1_000, scenario="severe_drift", seed=0))
    assert "rows: 1,040" in text
    assert "mimicry_ring" in text
    assert "returns_velocity_30d" in text
    assert "payment_method: " in text


def test_own_training_data_is_written_once_from_a_fixed_seed(tmp_path):
    path = tmp_path / "data" / "own.csv"
    assert own_returns_csv(path=path, scenario="normal") == path
    frame = read_returns_csv(path)
    assert len(frame) >= 10_000
    assert list(frame.columns) == list(COLUMNS)
    pd.testing.assert_frame_equal(frame, own_returns(scenario="normal"), check_dtype=False)
    assert [p.name for p in path.parent.iterdir()] == ["own.csv"]  # no partial file left

    # Present, it is read as it is: a first model's data never changes under it.
    path.write_text("kept\n")
    own_returns_csv(path=path, scenario="normal")
    assert path.read_text() == "kept\n"
