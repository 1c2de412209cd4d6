"""Drift against the active model's training data: the report command, snapshots, the banner."""

import csv
from datetime import date, timedelta
from io import StringIO
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command
from django.urls import reverse
from django.utils import timezone

from insights.models import DriftSnapshot
from insights.services.drift import (
    DriftReferenceMissing,
    drift_reference_for,
    drift_snapshot_record,
)
from insights.tasks import record_drift_snapshot
from intake.models import ReturnRequest
from intake.services.csv_intake import csv_rows_submit
from ml.generate import generate_returns
from ml.schema import COLUMNS
from tests.factories import ApiClientFactory, LabelFactory, ModelVersionFactory, UserFactory

DATASETS = settings.SHARED_DATASETS

pytestmark = pytest.mark.django_db


def report(*args) -> tuple[dict, str]:
    out = StringIO()
    call_command("drift_report", *args, stdout=out, no_color=True)
    text = out.getvalue()
    table = {}
    for line in text.splitlines():
        parts = line.split()
        if len(parts) == 3 and parts[2] in ("ok", "warn", "alarm"):
            table[parts[0]] = (float(parts[1]), parts[2])
    return table, text


def test_severe_drift_file_raises_the_alarm_on_payment_method(active_model):
    table, text = report("--data", str(DATASETS / "returns_severe_drift.csv"))

    assert table["payment_method"][1] == "alarm"
    assert table["payment_method"][0] > 0.25
    assert set(table) == {
        "order_value",
        "return_ratio",
        "returns_velocity_30d",
        "days_since_purchase",
        "product_category",
        "payment_method",
        "fraud_score",
    }
    assert "status: alarm" in text
    assert "calibration: ECE" in text  # the file has labels


def test_fresh_sample_of_the_training_distribution_stays_quiet(active_model, tmp_path):
    path = tmp_path / "fresh.csv"
    generate_returns(rows=3_000, scenario="normal", seed=99)[list(COLUMNS)].to_csv(
        path, index=False
    )

    table, text = report("--data", str(path))

    assert {status for _, status in table.values()} == {"ok"}, table
    assert "status: ok" in text


def test_report_names_a_file_without_the_feature_columns(active_model, tmp_path):
    path = tmp_path / "bad.csv"
    path.write_text("order_id,order_value\nA,1\n")
    with pytest.raises(CommandError, match="missing columns"):
        report("--data", str(path))


def test_a_model_without_reference_or_training_file_is_refused():
    # Only the stored name is looked up, beside the shared datasets: never a path elsewhere.
    model_version = ModelVersionFactory.build(training_data="../../etc/passwd")
    with pytest.raises(DriftReferenceMissing, match="passwd"):
        drift_reference_for(model_version, None)


def submit_rows(path: Path, limit: int) -> list[ReturnRequest]:
    with path.open(newline="") as handle:
        rows = [row for _, row in zip(range(limit), csv.DictReader(handle), strict=False)]
    client = ApiClientFactory()
    for results in csv_rows_submit(client=client, rows=rows):
        assert {r.status for r in results} == {"accepted"}
    return list(ReturnRequest.objects.filter(client=client))


def test_daily_snapshot_of_drifted_live_returns_is_an_alarm_shown_in_the_queue(
    active_model, client
):
    returns = submit_rows(DATASETS / "returns_severe_drift.csv", 400)
    for return_request in returns[:40]:
        LabelFactory(return_request=return_request, is_fraud=False)

    snapshot = drift_snapshot_record()

    assert snapshot.date == timezone.localdate()
    assert snapshot.status == "alarm"
    assert snapshot.model_version == active_model
    features = {row["feature"]: row for row in snapshot.metrics["features"]}
    assert features["payment_method"]["status"] == "alarm"
    assert snapshot.metrics["returns"] == 400
    assert snapshot.metrics["calibration"]["labelled"] == 40
    assert 0 <= snapshot.metrics["ood_rate"] <= 1

    client.force_login(UserFactory(role="reviewer"))
    queue = client.get(reverse("casework:queue")).content.decode()
    assert 'id="drift-alarm"' in queue


def test_a_rerun_replaces_the_days_snapshot(active_model):
    submit_rows(DATASETS / "returns_normal.csv", 300)
    first = drift_snapshot_record()
    second = drift_snapshot_record()
    assert DriftSnapshot.objects.get() == second
    assert first.pk == second.pk
    assert second.status == "ok"


def test_too_few_returns_is_not_called_drift(active_model):
    submit_rows(DATASETS / "returns_severe_drift.csv", 50)
    snapshot = drift_snapshot_record()
    assert snapshot.status == "insufficient"
    assert snapshot.metrics["returns"] == 50


def test_returns_outside_the_window_are_left_out(active_model):
    returns = submit_rows(DATASETS / "returns_normal.csv", 250)
    ReturnRequest.objects.filter(pk__in=[r.pk for r in returns[:100]]).update(
        received_at=timezone.now() - timedelta(days=8)
    )
    out = StringIO()
    call_command("drift_report", "--days", "7", stdout=out, no_color=True)
    assert "150 returns against model" in out.getvalue()
    assert "status: insufficient" in out.getvalue()


def test_the_daily_task_records_a_snapshot_and_is_scheduled(active_model):
    from config.celery_app import app

    submit_rows(DATASETS / "returns_normal.csv", 10)
    record_drift_snapshot()
    assert DriftSnapshot.objects.get().date == date.today()
    tasks = {entry["task"] for entry in app.conf.beat_schedule.values()}
    assert {"insights.tasks.record_drift_snapshot", "insights.tasks.retrain_model"} <= tasks


def test_the_daily_task_logs_an_alarm_naming_the_drifted_feature(active_model, caplog):
    submit_rows(DATASETS / "returns_severe_drift.csv", 400)
    record_drift_snapshot()
    alarms = [r.getMessage() for r in caplog.records if r.levelname == "ERROR"]
    assert len(alarms) == 1
    assert alarms[0].startswith("drift alarm: ")
    assert "payment_method PSI" in alarms[0]


def test_no_banner_without_an_alarm(active_model, client):
    DriftSnapshot.objects.create(date=timezone.localdate(), status="warn", metrics={"features": []})
    client.force_login(UserFactory(role="reviewer"))
    assert "drift-alarm" not in client.get(reverse("casework:queue")).content.decode()
