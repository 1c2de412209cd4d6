"""The replay command refuses bad options and files before any work, with a clear message."""

import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from core.scratch_db import scratch_database
from insights.services.replay import replay_rows_read

HEADER = "order_id,customer_id,order_value,product_category,return_ratio,returns_velocity_30d,"
HEADER += "days_since_purchase,payment_method,is_fraud\n"


def labelled(tmp_path, *labels, prefix=""):
    path = tmp_path / "returns.csv"
    rows = [f"A-{i},C-1,20.00,Toys,0.1,0,3,PayPal,{label}\n" for i, label in enumerate(labels)]
    path.write_text(prefix + HEADER + "".join(rows), encoding="utf-8")
    return path


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("options", "message"),
    [
        (["--per-day", "0"], "--per-day must be at least 1"),
        (["--review-cost", "-50"], "--review-cost must not be negative"),
        (["--ood-probability", "1.5"], "--ood-probability must be between 0 and 1"),
        (["--window-days", "0"], "--window-days must be at least 1"),
    ],
)
def test_bad_options_are_refused_before_any_work(tmp_path, active_model, options, message):
    with pytest.raises(CommandError, match=message):
        call_command("replay", "--data", str(labelled(tmp_path, 1)), *options)


@pytest.mark.django_db
def test_an_out_path_that_is_a_file_is_refused_up_front(tmp_path, active_model):
    taken = tmp_path / "taken"
    taken.write_text("")
    with pytest.raises(CommandError, match="is a file, not a directory"):
        call_command("replay", "--data", str(labelled(tmp_path, 1)), "--out", str(taken))


@pytest.mark.django_db
def test_an_unreadable_label_is_named_by_line(tmp_path, active_model):
    with pytest.raises(CommandError, match="line 3: is_fraud must be 1, 0, true or false"):
        call_command("replay", "--data", str(labelled(tmp_path, 1, "maybe")))


def test_labels_may_be_words_and_the_file_may_start_with_a_bom(tmp_path):
    rows = replay_rows_read(labelled(tmp_path, "True", "false", 1, prefix="\ufeff"))
    assert [row["order_id"] for row in rows] == ["A-0", "A-1", "A-2"]


@pytest.mark.django_db
def test_a_scratch_database_interrupted_while_created_never_drops_the_live_one(monkeypatch):
    live = connection.settings_dict["NAME"]
    dropped = []

    def interrupted(**kwargs):
        raise KeyboardInterrupt  # Ctrl-C before Django switched to the scratch database

    monkeypatch.setattr(connection.creation, "create_test_db", interrupted)
    monkeypatch.setattr(connection.creation, "destroy_test_db", lambda *a, **k: dropped.append(a))
    with pytest.raises(KeyboardInterrupt), scratch_database(purpose="probe", say=lambda _: None):
        pass
    assert dropped == []
    assert connection.settings_dict["NAME"] == live


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("{not json", "not a readable JSON file"),
        ('[{"name": "x", "when": {"all": []}, "effect": {"type": "force_review"}}]', "when.all"),
        (
            '[{"name": "", "when": {"all": [{"field": "order_value", "op": "gt", "value": 1}]},'
            ' "effect": {"type": "force_review"}}]',
            "name",
        ),
        ("[3]", "rule 0: an object"),
    ],
)
def test_a_bad_rules_file_is_refused_before_any_work(tmp_path, active_model, content, message):
    rules = tmp_path / "rules.json"
    rules.write_text(content)
    with pytest.raises(CommandError, match=message):
        call_command("replay", "--data", str(labelled(tmp_path, 1)), "--rules", str(rules))
