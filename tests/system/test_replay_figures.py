"""The README's one-day replay figures, taken as a user takes them: `manage.py replay --data F`
in a scratch database beside the test one. Run with `-s` to see the summaries."""

import io
import re

import pytest
from django.conf import settings
from django.core.management import call_command

pytestmark = [pytest.mark.system, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def per_return(summary: str, line: str) -> float:
    return float(re.search(rf"^\s*{line}\s+(-?[\d.]+)$", summary, re.MULTILINE).group(1))


@pytest.mark.parametrize("name", ["returns_severe_drift.csv", "returns_mild_drift.csv"])
def test_a_one_day_replay_costs_less_than_approving_all_and_the_reference_design(
    name, active_model
):
    out = io.StringIO()
    call_command("replay", "--data", str(settings.SHARED_DATASETS / name), stdout=out)
    summary = out.getvalue()
    print(f"\n{name}\n{summary}")
    policy = per_return(summary, "this policy")
    assert policy < per_return(summary, "approve all")
    assert policy < per_return(summary, "reference design")
