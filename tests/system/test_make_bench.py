"""`make bench` at tiny sizes on its own servers: it runs from this checkout and prints a table
with every figure and a met/missed verdict beside each target. No figure is judged here."""

import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.system

ROOT = Path(__file__).resolve().parents[2]
TINY = [
    "--own-servers",
    "--returns", "200",
    "--clients", "2",
    "--batch", "100",
    "--single", "3",
    "--queue-returns", "1000",
    "--page-loads", "3",
    "--replay-rows", "100",
    "--scoring-calls", "50",
]  # fmt: skip
ROWS = (
    "raw batch scoring (batches of",
    "single-row scoring p50 / p99",
    "end to end, 200 returns, 2 clients × batches of 100, first POST → all decided",
    "intake alone (first POST → last answered)",
    "end to end / raw batch scoring",
    "lock-wait share of active sessions",
    "CPU per return, ms of a core: web / worker / PostgreSQL / rest of the machine",
    "ceiling at that CPU: ",
    "single return submit → decision p50 (3 in a row)",
    "single return submit → decision p99",
    "where a single return's time goes (medians)",
    "queue page p50 / p95 server time (1,000 returns, 50 open cases)",
    "case page p50 / p95 server time",
    "queue page: statements; large tables read whole",
    "queue page, Electronics over $500: statements; large tables read whole",
    "case page: statements; large tables read whole",
    "decisions feed, two pages: statements; large tables read whole",
    "worker RSS after the traffic",
    "web RSS after the traffic",
    "replay, 100 returns as one day",
)
TARGETED_ROWS = 12


def test_bench_prints_every_figure_with_its_target_verdict():
    before = set((ROOT / "var").glob("bench-*"))
    result = subprocess.run(
        [sys.executable, "-m", "config.bench", *TINY],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    table = [line for line in result.stdout.splitlines() if line.startswith("| ")]
    print("\n".join(table))
    for label in ROWS:
        assert sum(label in line for line in table) == 1, f"no row {label!r} in\n{result.stdout}"
    verdicts = [line.strip()[1:-1].split("|")[-1].strip() for line in table[2:]]
    assert sorted(set(verdicts) - {""}) <= ["MISSED", "met"], verdicts
    assert sum(bool(v) for v in verdicts) == TARGETED_ROWS
    assert "not found" not in "\n".join(table), "a server's memory was not read"
    assert set((ROOT / "var").glob("bench-*")) == before, "the bench left its servers' files"
