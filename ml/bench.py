"""Benchmark: train (or load) a bundle, check it on the drift files, and time scoring.

Run from the repository root: ``python -m ml.bench`` or
``python -m ml.bench --bundle DIR --hashes HASHES.json``. The data are the shared peer files
beside the repository when they are there (or those in ``--data-dir``), else the project's own
generated ones.
"""

import argparse
import json
import time
from pathlib import Path

import numpy as np
import pandas as pd

from ml.artifacts import load_bundle
from ml.generate import OWN_DATASETS, own_returns
from ml.history import with_desk_view
from ml.inference import score_returns
from ml.schema import FEATURES, read_returns_csv
from ml.train import TrainingConfig, format_report, train

SHARED_DATASETS = Path(__file__).resolve().parents[2] / "shared" / "datasets"

MAX_TRAIN_SECONDS = 120.0
MAX_ECE = 0.02
MAX_FALSE_ALARM_GAP = 0.01
MAX_SINGLE_ROW_P99_MS = 5.0
MIN_BATCH_ROWS_PER_SECOND = 20_000.0
BATCH_SIZE = 1_000


def _datasets(data_dir: Path | None) -> dict[str, pd.DataFrame]:
    """normal, mild_drift and severe_drift: the files in `data_dir` (a missing drift file is
    skipped), or with no directory the project's own generated data."""
    frames = {}
    for name, (rows, seed) in OWN_DATASETS.items():
        if data_dir is None:
            print(f"data {name}: generated, {rows:,} rows, seed {seed} (ml.generate)")
            frames[name] = own_returns(scenario=name)
            continue
        path = data_dir / f"returns_{name}.csv"
        if path.exists() or name == "normal":
            print(f"data {name}: {path}")
            frames[name] = read_returns_csv(path)
        else:
            print(f"data {name}: {path} not found, skipped")
    return {name: with_desk_view(frame) for name, frame in frames.items()}


def _drift_section(bundle, datasets: dict[str, pd.DataFrame]) -> list[tuple[str, bool]]:
    """OOD flag rates on the drift files. What the model's decisions cost there is the policy's
    to say: `manage.py replay --data F.csv` prices them as the desk decides."""
    checks = []
    for name in ("mild_drift", "severe_drift"):
        if name not in datasets:
            continue
        df = datasets[name]
        scores = score_returns(bundle, df)
        print(f"\n{name}: {len(df):,} rows, OOD flag rate {scores.ood_flag.mean():.1%}")
        ring = df["customer_id"].str.startswith("RING-").to_numpy()
        if ring.any():
            fast = ring & (df["returns_velocity_30d"].to_numpy() > 5)
            out_of_range = np.array(
                [
                    any(r["code"] == "ood_out_of_range" for r in reasons)
                    for reasons in scores.ood_reasons
                ]
            )
            print(
                f"  mimicry ring: {ring.sum()} rows, {scores.ood_flag[ring].mean():.0%} flagged; "
                f"velocity > 5: {fast.sum()} rows, {out_of_range[fast].mean():.0%} out of range"
            )
            checks.append(
                ("ring rows with velocity > 5 flagged out of range", out_of_range[fast].all())
            )
    return checks


def scoring_rates(bundle, rows: list[dict], calls: int) -> dict[str, float]:
    """Single-row scoring p50/p99 in ms over `calls` calls, and batch rows/s (median of 30)."""
    for row in rows[:50]:
        score_returns(bundle, [row])
    latencies = []
    for i in range(calls):
        row = [rows[i % len(rows)]]
        start = time.perf_counter()
        score_returns(bundle, row)
        latencies.append(time.perf_counter() - start)
    p50, p99 = np.percentile(np.array(latencies) * 1e3, [50, 99])
    batch = rows[:BATCH_SIZE]
    durations = []
    for _ in range(30):
        start = time.perf_counter()
        score_returns(bundle, batch)
        durations.append(time.perf_counter() - start)
    return {
        "single_p50_ms": float(p50),
        "single_p99_ms": float(p99),
        "batch_rows": len(batch),
        "batch_rows_per_second": len(batch) / float(np.median(durations)),
    }


def _timing_section(bundle, rows: list[dict], calls: int) -> list[tuple[str, bool]]:
    rates = scoring_rates(bundle, rows, calls)
    p99, rows_per_second = rates["single_p99_ms"], rates["batch_rows_per_second"]
    print(
        f"\nsingle row over {calls:,} calls: p50 {rates['single_p50_ms']:.2f} ms, p99 {p99:.2f} ms"
    )
    print(f"batch of {rates['batch_rows']:,}: {rows_per_second:,.0f} rows/s (median of 30)")
    return [
        (f"single-row p99 under {MAX_SINGLE_ROW_P99_MS:g} ms", p99 < MAX_SINGLE_ROW_P99_MS),
        (
            f"batch throughput above {MIN_BATCH_ROWS_PER_SECOND:,.0f} rows/s",
            rows_per_second > MIN_BATCH_ROWS_PER_SECOND,
        ),
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--data-dir",
        type=Path,
        help="returns_{normal,mild_drift,severe_drift}.csv here (default: the shared peer files "
        "beside the repository if present, else generated data)",
    )
    parser.add_argument(
        "--bundle", type=Path, help="load this bundle directory instead of training"
    )
    parser.add_argument("--hashes", type=Path, help="JSON {filename: sha256} for --bundle")
    parser.add_argument("--calls", type=int, default=2_000, help="single-row calls to time")
    args = parser.parse_args()
    if (args.bundle is None) != (args.hashes is None):
        parser.error("--bundle and --hashes go together")

    data_dir = args.data_dir
    if data_dir is None and SHARED_DATASETS.is_dir():
        data_dir = SHARED_DATASETS
    datasets = _datasets(data_dir)
    normal = datasets["normal"]
    checks = []
    if args.bundle:
        bundle = load_bundle(args.bundle, json.loads(args.hashes.read_text()))
        print(f"loaded bundle from {args.bundle}")
    else:
        start = time.perf_counter()
        bundle = train(normal, TrainingConfig(), progress=print)
        seconds = time.perf_counter() - start
        print(f"trained in {seconds:.1f} s")
        checks.append((f"training under {MAX_TRAIN_SECONDS:g} s", seconds < MAX_TRAIN_SECONDS))
    report = bundle.report
    print(format_report(report))
    checks += [
        (f"held-out ECE at most {MAX_ECE}", report["ece"] <= MAX_ECE),
        (
            f"held-out OOD flag rate within {MAX_FALSE_ALARM_GAP:.0%} of target",
            abs(report["ood_false_alarm_rate"] - report["ood_target"]) <= MAX_FALSE_ALARM_GAP,
        ),
    ]
    checks += _drift_section(bundle, datasets)
    checks += _timing_section(bundle, normal[list(FEATURES)].to_dict("records"), args.calls)

    print("\ntargets:")
    for description, met in checks:
        print(f"  {'met' if met else 'NOT MET'}: {description}")


if __name__ == "__main__":
    main()
