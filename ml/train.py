"""Train the fraud model and OOD gate on labelled returns and report on held-out rows.

The report measures the model and the gate; what the model's decisions cost is the policy's to
say, so the scoring layer prices the same held-out rows (see `holdout_split`) and adds that.
"""

import hashlib
import platform
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import sklearn
from sklearn.model_selection import train_test_split

from ml.history import with_desk_view, with_shared_identifiers
from ml.metrics import evaluation_report
from ml.model import FraudModel
from ml.ood import OODGate
from ml.schema import FEATURES, LABEL, attribute_column, data_hash


@dataclass(frozen=True)
class TrainingConfig:
    """Settings for train()."""

    random_state: int = 0
    holdout_fraction: float = 0.25
    calibration: str = "auto"
    ood_false_alarm_rate: float = 0.02
    # The declared attributes to learn from, (name, type) pairs with types in
    # ml.schema.MODEL_ATTRIBUTE_TYPES, read from the data's attr_<name> columns.
    attributes: tuple = ()


@dataclass(frozen=True)
class TrainedBundle:
    """What serving needs (model, gate, schema) and the record of how it was made."""

    model: FraudModel
    ood_gate: OODGate
    report: dict
    feature_schema: dict
    data_hash: str


def _code_version() -> str:
    """SHA-256 over the ml package's source, so an artifact names the code that made it."""
    digest = hashlib.sha256()
    for path in sorted(Path(__file__).parent.glob("*.py")):
        digest.update(path.name.encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()


def _with_desk_columns(df: pd.DataFrame, config: TrainingConfig) -> pd.DataFrame:
    """`df` with the desk's own view and, for the identifier attributes of `config`, how many
    customers share each (ml.history), over the whole frame in its order."""
    identifiers = [name for name, kind in config.attributes if kind == "identifier"]
    return with_shared_identifiers(with_desk_view(df), identifiers)


def holdout_split(df: pd.DataFrame, config: TrainingConfig) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(training rows, held-out rows): the stratified split train() fits and reports on, with
    the desk's features computed over the whole frame first, as train() does."""
    df = _with_desk_columns(df, config)
    return train_test_split(
        df, test_size=config.holdout_fraction, stratify=df[LABEL], random_state=config.random_state
    )


def train(
    df: pd.DataFrame, config: TrainingConfig, progress: Callable[[str], None] | None = None
) -> TrainedBundle:
    """Fit model and gate on a stratified training split; evaluate everything on the rest.

    The gate sets its threshold on a slice of the training split, so the false-alarm rate
    reported here comes from held-out rows that played no part in choosing it. The desk's own
    features are computed over the whole frame in its order (ml.history) unless it has them.
    """
    say = progress or (lambda message: None)
    df = _with_desk_columns(df, config)
    columns = (*FEATURES, LABEL, *(attribute_column(name) for name, _ in config.attributes))
    missing = [column for column in columns if column not in df.columns]
    if missing:
        raise ValueError(f"training data lacks columns: {', '.join(missing)}")
    training, holdout = holdout_split(df, config)
    say(f"fitting fraud model on {len(training):,} rows")
    attributes = tuple(tuple(pair) for pair in config.attributes)
    model = FraudModel(
        calibration=config.calibration, random_state=config.random_state, attributes=attributes
    )
    model.fit(training, training[LABEL])
    say("fitting OOD gate")
    gate = OODGate(
        target_false_alarm_rate=config.ood_false_alarm_rate,
        random_state=config.random_state,
        attributes=attributes,
    ).fit(training)
    say(f"evaluating on {len(holdout):,} held-out rows")
    p = model.predict_proba(holdout)[:, 1]
    y = holdout[LABEL].to_numpy()
    ood = gate.check(holdout)
    report = {
        **evaluation_report(y, p),
        "calibration_method": model.calibration_method_,
        "calibration_brier": model.calibration_brier_,
        "ood_threshold": gate.threshold_,
        "ood_false_alarm_rate": float(ood.flag.mean()),
        "ood_target": config.ood_false_alarm_rate,
        "n_train": len(training),
        "n_holdout": len(holdout),
        "fraud_rate": float(df[LABEL].mean()),
        "config": asdict(config),
        "code_version": _code_version(),
        "library_versions": {
            "python": platform.python_version(),
            "numpy": np.__version__,
            "pandas": pd.__version__,
            "scikit-learn": sklearn.__version__,
        },
    }
    feature_schema = {
        "features": list(FEATURES),
        # The input schema beyond FEATURES: each attribute the model reads, with its type.
        "attributes": dict(attributes),
        "categorical_values": gate.seen_values_,
        "numeric_ranges": {column: list(bounds) for column, bounds in gate.numeric_ranges_.items()},
    }
    return TrainedBundle(
        model=model,
        ood_gate=gate,
        report=report,
        feature_schema=feature_schema,
        data_hash=data_hash(df),
    )


def format_report(report: dict) -> str:
    """The report as aligned text lines for a terminal."""
    brier = ", ".join(
        f"{method} {value:.5f}" for method, value in report["calibration_brier"].items()
    )
    lines = [
        f"rows: {report['n_train']:,} train, {report['n_holdout']:,} held out; "
        f"fraud rate {report['fraud_rate']:.2%}",
        f"ROC-AUC {report['roc_auc']:.4f}   PR-AUC {report['pr_auc']:.4f}   "
        f"Brier {report['brier']:.5f}   ECE {report['ece']:.4f}",
        f"calibration: {report['calibration_method']}" + (f" (Brier {brier})" if brier else ""),
        f"OOD: threshold {report['ood_threshold']:.3f}, held-out flag rate "
        f"{report['ood_false_alarm_rate']:.2%} (target {report['ood_target']:.2%})",
        "reliability (bin: mean predicted / fraction fraud / count):",
    ]
    lines += [
        f"  {point['bin_lower']:.3f}-{point['bin_upper']:.3f}: {point['mean_predicted']:.4f} / "
        f"{point['fraction_positive']:.4f} / {point['count']}"
        for point in report["reliability"]
    ]
    return "\n".join(lines)
