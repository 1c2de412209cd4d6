import hashlib

import pandas as pd
import pytest

from ml.generate import generate_returns
from ml.schema import COLUMNS, data_hash, file_sha256, read_returns_csv


@pytest.fixture
def returns_csv(tmp_path):
    df = generate_returns(rows=50, scenario="normal", seed=1)[list(COLUMNS)]
    path = tmp_path / "returns.csv"
    df.to_csv(path, index=False)
    return df, path


def test_read_returns_csv_round_trips_a_written_file(returns_csv):
    df, path = returns_csv
    loaded = read_returns_csv(path)
    assert list(loaded.columns) == list(COLUMNS)
    assert loaded["returns_velocity_30d"].dtype == "int64"
    assert loaded["order_value"].dtype == "float64"
    assert data_hash(loaded) == data_hash(df)


def test_read_returns_csv_names_every_missing_column(returns_csv, tmp_path):
    df, _ = returns_csv
    path = tmp_path / "partial.csv"
    df.drop(columns=["return_ratio", "is_fraud"]).to_csv(path, index=False)
    with pytest.raises(ValueError, match="return_ratio, is_fraud"):
        read_returns_csv(path)


def test_read_returns_csv_refuses_text_in_a_numeric_column(returns_csv, tmp_path):
    df, _ = returns_csv
    path = tmp_path / "bad.csv"
    df.assign(order_value=["lots"] + list(df["order_value"][1:])).to_csv(path, index=False)
    with pytest.raises(ValueError, match="lots"):
        read_returns_csv(path)


def test_data_hash_ignores_column_order_and_index_but_not_values(returns_csv):
    df, _ = returns_csv
    reordered = df[list(reversed(df.columns))].set_axis(range(100, 150))
    assert data_hash(reordered) == data_hash(df)
    changed = df.copy()
    changed.loc[0, "order_value"] += 0.01
    assert data_hash(changed) != data_hash(df)


def test_data_hash_leaves_the_frame_untouched(returns_csv):
    df, _ = returns_csv
    before = df.copy()
    data_hash(df)
    pd.testing.assert_frame_equal(df, before)


def test_file_sha256_matches_hashlib(returns_csv):
    _, path = returns_csv
    assert file_sha256(path) == hashlib.sha256(path.read_bytes()).hexdigest()
