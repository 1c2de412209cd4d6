import copy
import json

import numpy as np
import pandas as pd
import pytest

import ml.artifacts
from ml.artifacts import (
    BUNDLE_FILES,
    IncompatibleArtifactError,
    TamperedArtifactError,
    load_bundle,
    save_bundle,
)
from ml.features import ReturnFeatures


@pytest.fixture
def saved(bundle, tmp_path):
    return tmp_path, save_bundle(bundle, tmp_path)


def test_saved_bundle_loads_back_and_scores_the_same(bundle, saved, normal_returns):
    directory, hashes = saved
    assert set(hashes) == set(BUNDLE_FILES)
    loaded = load_bundle(directory, hashes)
    rows = normal_returns.head(50)
    np.testing.assert_array_equal(
        loaded.model.predict_proba(rows), bundle.model.predict_proba(rows)
    )
    assert loaded.data_hash == bundle.data_hash
    assert loaded.feature_schema == json.loads(json.dumps(bundle.feature_schema))
    assert loaded.report["ece"] == bundle.report["ece"]


@pytest.mark.parametrize("name", BUNDLE_FILES)
def test_flipped_byte_is_refused_before_anything_is_unpickled(saved, monkeypatch, name):
    directory, hashes = saved
    path = directory / name
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0x01
    path.write_bytes(bytes(data))

    def refuse(*args, **kwargs):
        raise AssertionError("joblib.load called on an unverified bundle")

    monkeypatch.setattr(ml.artifacts.joblib, "load", refuse)
    with pytest.raises(TamperedArtifactError, match=name):
        load_bundle(directory, hashes)


def test_missing_file_or_missing_hash_is_refused(saved):
    directory, hashes = saved
    with pytest.raises(TamperedArtifactError, match="no expected hash"):
        load_bundle(directory, {k: v for k, v in hashes.items() if k != "ood.joblib"})
    (directory / "report.json").unlink()
    with pytest.raises(TamperedArtifactError, match="missing"):
        load_bundle(directory, hashes)


def test_a_model_trained_on_other_features_is_refused_with_what_to_do(
    bundle, normal_returns, tmp_path
):
    # As after an upgrade that changed the features: the pickled pipeline makes one column more
    # than the trees were fitted on.
    other = copy.deepcopy(bundle)
    widened = normal_returns.assign(payment_method="Store Credit").iloc[:50]
    other.model.features_ = ReturnFeatures().fit(pd.concat([normal_returns, widened]))
    hashes = save_bundle(other, tmp_path / "old")
    with pytest.raises(IncompatibleArtifactError, match="train a new model"):
        load_bundle(tmp_path / "old", hashes)
