"""The model command line: generate data, train (without activating), activate, roll back."""

from io import StringIO

import pandas as pd
import pytest
from django.core.management import CommandError, call_command

from scoring.models import ModelVersion


def run(*args):
    out = StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


def test_generate_returns_is_reproducible_by_seed(tmp_path):
    first, second = tmp_path / "a.csv", tmp_path / "b.csv"
    summary = run(
        "generate_returns",
        "--rows",
        "500",
        "--scenario",
        "severe_drift",
        "--seed",
        "7",
        "--out",
        str(first),
    )
    run(
        "generate_returns",
        "--rows",
        "500",
        "--scenario",
        "severe_drift",
        "--seed",
        "7",
        "--out",
        str(second),
    )
    assert first.read_bytes() == second.read_bytes()
    assert "fraud" in summary.lower()
    frame = pd.read_csv(first)
    # Like the shared severe-drift file, the mimicry ring comes on top of the ordinary rows.
    assert (~frame.customer_id.str.startswith("RING-")).sum() == 500
    assert frame.customer_id.str.startswith("RING-").any()


@pytest.mark.django_db
def test_train_without_activation_then_activate_and_roll_back(tmp_path, active_model):
    data = tmp_path / "train.csv"
    run(
        "generate_returns",
        "--rows",
        "4000",
        "--scenario",
        "normal",
        "--seed",
        "3",
        "--out",
        str(data),
    )
    out = run("train_model", "--data", str(data), "--no-activate")
    assert "ECE" in out
    assert "registered, not active" in out
    trained = ModelVersion.objects.exclude(pk=active_model.pk).get()
    assert not trained.is_active
    assert ModelVersion.objects.get(is_active=True) == active_model

    run("activate_model", trained.version)
    assert ModelVersion.objects.get(is_active=True) == trained
    run("activate_model", "--rollback")
    assert ModelVersion.objects.get(is_active=True) == active_model


@pytest.mark.django_db
def test_activate_unknown_version_is_a_clear_error():
    with pytest.raises(CommandError, match="no model version"):
        run("activate_model", "m-does-not-exist")


def test_train_on_a_file_without_labels_is_refused(tmp_path):
    data = tmp_path / "unlabelled.csv"
    data.write_text("order_id,customer_id\nA,B\n")
    with pytest.raises(CommandError):
        run("train_model", "--data", str(data))


def test_generate_returns_with_attributes_writes_the_signal_columns(tmp_path):
    path = tmp_path / "signals.csv"
    run(
        "generate_returns",
        "--rows",
        "1000",
        "--scenario",
        "stale_ring",
        "--out",
        str(path),
        "--attributes",
    )
    frame = pd.read_csv(path)
    assert {"attr_account_age_days", "attr_device_id", "attr_return_reason"} <= set(frame.columns)
    ring = frame[frame.customer_id.str.startswith("STALE-")]
    assert ring.customer_id.nunique() > ring.attr_device_id.nunique()
