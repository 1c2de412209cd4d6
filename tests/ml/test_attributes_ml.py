"""Retailer attributes in ml: the generator's signals, a model and gate that learn from them,
and models without them that ignore them."""

import numpy as np
import pytest
from sklearn.base import clone

from ml.features import ReturnFeatures
from ml.generate import ATTRIBUTE_TYPES, generate_returns
from ml.history import with_desk_view, with_shared_identifiers
from ml.inference import score_returns
from ml.ood import OODGate
from ml.train import TrainingConfig, train

MODEL_ATTRIBUTES = tuple(
    (name, kind) for name, kind in ATTRIBUTE_TYPES.items() if kind != "identifier"
)


@pytest.fixture(scope="module")
def with_signals():
    return with_desk_view(generate_returns(rows=6_000, scenario="normal", seed=5, attributes=True))


@pytest.fixture(scope="module")
def bundles(with_signals):
    return {
        "without": train(with_signals, TrainingConfig(random_state=0)),
        "with": train(with_signals, TrainingConfig(random_state=0, attributes=MODEL_ATTRIBUTES)),
    }


def test_the_signals_leave_the_other_columns_as_they_were():
    plain = generate_returns(rows=500, scenario="stale_ring", seed=3)
    signals = generate_returns(rows=500, scenario="stale_ring", seed=3, attributes=True)
    assert signals[plain.columns].equals(plain)
    assert {f"attr_{name}" for name in ATTRIBUTE_TYPES} <= set(signals.columns)


def test_the_signals_carry_their_documented_fraud_relationships():
    df = generate_returns(rows=20_000, scenario="normal", seed=9, attributes=True)
    fraud, legit = df[df.is_fraud == 1], df[df.is_fraud == 0]
    share = lambda rows, column, value: (rows[column] == value).mean()  # noqa: E731
    assert share(fraud, "attr_email_domain_class", "disposable") > 0.25
    assert share(legit, "attr_email_domain_class", "disposable") < 0.04
    assert (fraud.attr_account_age_days < 30).mean() > 0.5
    assert (legit.attr_account_age_days < 30).mean() < 0.05
    assert share(fraud, "attr_billing_shipping_mismatch", "true") > 0.3
    assert share(legit, "attr_billing_shipping_mismatch", "true") < 0.08
    assert fraud.attr_return_reason.isin(["damaged", "not_as_described"]).mean() > 0.6
    assert fraud.attr_items_in_order.mean() < legit.attr_items_in_order.mean()
    assert (fraud.attr_order_hour < 6).mean() > 0.3 > (legit.attr_order_hour < 6).mean()


def test_a_rings_accounts_share_one_to_three_devices():
    df = generate_returns(rows=2_000, scenario="stale_ring", seed=4, attributes=True)
    ring = df[df.pattern == "stale_ring"]
    assert ring.customer_id.nunique() >= 10
    assert 1 <= ring.attr_device_id.nunique() <= 3
    # Every device of the ring serves several of its accounts.
    assert ring.groupby("attr_device_id").customer_id.nunique().min() >= 2
    others = df[df.pattern != "stale_ring"]
    assert not others.attr_device_id.isin(ring.attr_device_id).any()


def test_a_model_with_the_signals_beats_one_without_on_held_out_rows(bundles):
    without, with_ = bundles["without"].report["roc_auc"], bundles["with"].report["roc_auc"]
    assert with_ > without + 0.05
    assert bundles["with"].feature_schema["attributes"] == dict(MODEL_ATTRIBUTES)
    assert bundles["without"].feature_schema["attributes"] == {}


def test_a_model_without_attributes_ignores_them(bundles, with_signals):
    rows = with_signals.head(50)
    bare = rows.drop(columns=[c for c in rows.columns if c.startswith("attr_")])
    model = bundles["without"]
    assert np.array_equal(
        score_returns(model, rows).fraud_probability, score_returns(model, bare).fraud_probability
    )


def test_a_model_with_attributes_scores_rows_missing_them(bundles, with_signals):
    rows = with_signals.head(50)
    bare = rows.drop(columns=[c for c in rows.columns if c.startswith("attr_")])
    scored = score_returns(bundles["with"], bare.to_dict("records"))
    assert np.isfinite(scored.fraud_probability).all()
    assert not any(
        reason["code"] == "ood_unseen_value" for reasons in scored.ood_reasons for reason in reasons
    )
    young = score_returns(bundles["with"], rows.assign(attr_account_age_days=3))
    named = {c["feature"] for row in young.contributions for c in row}
    assert any(name.startswith("attr_") for name in named)


def test_an_unseen_category_of_an_attribute_is_novel(bundles, with_signals):
    rows = with_signals.head(3).assign(
        attr_email_domain_class=["temporary-forwarder", "free", None]
    )
    result = bundles["with"].ood_gate.check(rows)
    assert "attr_email_domain_class 'temporary-forwarder' never seen in training" in [
        reason["text"] for reason in result.reasons[0]
    ]
    for reasons in result.reasons[1:]:
        assert all(reason["code"] != "ood_unseen_value" for reason in reasons)


def test_an_identifier_enters_only_as_the_count_of_customers_sharing_it(with_signals):
    rows = with_shared_identifiers(with_signals, ["device_id"])
    features = ReturnFeatures(attributes=(("device_id", "identifier"),)).fit(rows)
    names = list(features.get_feature_names_out())
    assert "desk_shared_device_id" in names
    assert not any("attr_device_id" in name for name in names)
    renamed = rows.assign(attr_device_id="another-device")
    assert np.array_equal(features.transform(rows), features.transform(renamed))


def test_the_gate_with_attributes_keeps_the_estimator_contract():
    gate = OODGate(attributes=MODEL_ATTRIBUTES, random_state=1)
    assert clone(gate).get_params()["attributes"] == MODEL_ATTRIBUTES
