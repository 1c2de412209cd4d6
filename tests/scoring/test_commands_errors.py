"""Commands given a bad option or file stop with a CommandError that says what is wrong."""

import pytest
from django.core.management import CommandError, call_command

pytestmark = pytest.mark.django_db


@pytest.fixture
def a_file(tmp_path):
    path = tmp_path / "a-file"
    path.write_text("")
    return path


def bad_replay_dir(tmp_path):
    directory = tmp_path / "replay"
    directory.mkdir()
    (directory / "summary.json").write_text("{not json")
    (directory / "decisions.csv").write_text("")
    return str(directory)


@pytest.mark.parametrize(
    ("command", "message"),
    [
        (lambda t, f: ["economic_report", "--out", str(t / "o"), "--per-day", "0"], "--per-day"),
        (lambda t, f: ["economic_report", "--out", str(f)], "is a file, not a directory"),
        (
            lambda t, f: [
                "economic_report",
                "--out",
                str(t / "o"),
                "--replay",
                str(bad_replay_dir(t)),
            ],
            "not a readable replay",
        ),
        (lambda t, f: ["failure_report", "--out", str(t)], "is a directory"),
        (lambda t, f: ["generate_returns", "--rows", "0", "--out", str(t / "g.csv")], "--rows"),
        (lambda t, f: ["generate_returns", "--rows", "5", "--out", str(t)], "is a directory"),
        (lambda t, f: ["create_api_client", "", "--role", "submitter"], "1 to 100 characters"),
        (lambda t, f: ["create_api_client", "x" * 101, "--role", "submitter"], "1 to 100"),
        (lambda t, f: ["retrain", "--margin", "NaN"], "--margin"),
        (lambda t, f: ["bench_queue", "--case-every", "0"], "must each be at least 1"),
    ],
    ids=[
        "report-per-day",
        "report-out-file",
        "report-bad-replay",
        "failures-out-dir",
        "generate-rows",
        "generate-out-dir",
        "client-empty-name",
        "client-long-name",
        "retrain-nan-margin",
        "bench-zero",
    ],
)
def test_bad_input_is_a_command_error(tmp_path, a_file, command, message):
    with pytest.raises(CommandError, match=message):
        call_command(*command(tmp_path, a_file))


def test_training_data_with_one_class_is_a_command_error(tmp_path):
    data = tmp_path / "one-class.csv"
    rows = [f"A-{i},C-{i},20.00,Toys,0.1,0,3,PayPal,0" for i in range(50)]
    data.write_text(
        "order_id,customer_id,order_value,product_category,return_ratio,returns_velocity_30d,"
        "days_since_purchase,payment_method,is_fraud\n" + "\n".join(rows) + "\n"
    )
    with pytest.raises(CommandError, match="both classes"):
        call_command("train_model", "--data", str(data))
