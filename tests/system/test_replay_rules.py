"""A rule test-run on a one-day replay: `manage.py replay --data F --rules R.json` replays the
file without and with the rules and reports the rule's hits and the change in cost per return.
Run with `-s` to see the figures."""

import io
import json
import re

import pytest
from django.conf import settings
from django.core.management import call_command

pytestmark = [pytest.mark.system, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

ELECTRONICS_OVER_500 = {
    "name": "Electronics over $500",
    "when": {
        "all": [
            {"field": "product_category", "op": "eq", "value": "Electronics"},
            {"field": "order_value", "op": "gt", "value": 500},
        ]
    },
    "effect": {"type": "probability_floor", "value": 0.25},
}


def test_electronics_over_500_probability_floor_on_the_severe_day(tmp_path, active_model):
    rules = tmp_path / "rules.json"
    rules.write_text(json.dumps([ELECTRONICS_OVER_500]))
    out = io.StringIO()
    call_command(
        "replay",
        "--data",
        str(settings.SHARED_DATASETS / "returns_severe_drift.csv"),
        "--rules",
        str(rules),
        "--out",
        str(tmp_path / "out"),
        stdout=out,
    )
    text = out.getvalue()
    print(f"\n{text}")
    summary = json.loads((tmp_path / "out" / "summary.json").read_text())
    (rule,) = summary["rules"]
    electronics_over_500 = sum(
        1
        for line in (settings.SHARED_DATASETS / "returns_severe_drift.csv").read_text().splitlines()
        if ",Electronics," in line and float(line.split(",")[2]) > 500
    )
    assert rule["hits"] == electronics_over_500
    assert rule["mix"]["approve"] < rule["hits"]
    assert re.search(r"Electronics over \$500: [\d,]+ hits", text)
    assert re.search(r"cost per return without the rules [\d.]+, with them [\d.]+", text)
    assert (
        summary["without_rules"]["realized_cost_per_return"] != summary["realized_cost_per_return"]
    )
