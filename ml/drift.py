"""Population stability index (PSI): how far a sample of returns has moved from the training data.

A reference is summarised once as a *profile* (bin edges and shares for a number, category
shares for a category), so it can be stored with a model version and compared with any later
sample without the training rows. PSI = Σ (current − reference) · ln(current / reference) over
the bins, each share floored at EPSILON so an empty bin costs a large but finite amount.
"""

from collections.abc import Iterable, Mapping

import numpy as np

from ml.schema import CATEGORICAL_FEATURES, CLIENT_FEATURES, FEATURES

EPSILON = 1e-4
PSI_WARN = 0.1
PSI_ALARM = 0.25
STATUSES = ("ok", "warn", "alarm")
# Categories the reference never had are pooled: twenty new payment methods are one shift.
UNSEEN = "(unseen)"


def reference_profile(values, *, categorical: bool = False, bins: int = 10) -> dict:
    """The reference distribution as plain data (JSON-safe).

    Numbers: the reference's inner quantiles as edges (ties merged, so a mostly-zero column
    gets fewer, unequal bins) with the share of reference rows in each right-closed bin.
    Categories: the share of each value.
    """
    if bins < 2:
        raise ValueError("bins must be at least 2")
    values = np.asarray(values, dtype=object if categorical else np.float64)
    if len(values) == 0:
        raise ValueError("the reference sample is empty")
    if categorical:
        categories, counts = np.unique(values.astype(str), return_counts=True)
        return {
            "kind": "categorical",
            "shares": {
                str(c): float(n / len(values)) for c, n in zip(categories, counts, strict=True)
            },
        }
    if not np.isfinite(values).all():
        raise ValueError("the reference sample has values that are not finite numbers")
    # Edges are values the reference holds (no interpolation), so no bin is empty by design.
    quantiles = np.linspace(0, 1, bins + 1)[1:-1]
    edges = np.unique(np.quantile(values, quantiles, method="inverted_cdf"))
    return {
        "kind": "numeric",
        "edges": [float(edge) for edge in edges],
        "shares": _numeric_shares(edges, values).tolist(),
    }


def _numeric_shares(edges: np.ndarray, values: np.ndarray) -> np.ndarray:
    # Bin i holds edges[i-1] < x <= edges[i]; below the first and above the last edge too.
    index = np.searchsorted(edges, values, side="left")
    return np.bincount(index, minlength=len(edges) + 1) / len(values)


def profile_psi(profile: Mapping, current) -> float:
    """PSI of a current sample against a stored reference profile."""
    current = np.asarray(current, dtype=object if profile["kind"] == "categorical" else np.float64)
    if len(current) == 0:
        raise ValueError("the current sample is empty")
    if profile["kind"] == "categorical":
        known = profile["shares"]
        values, counts = np.unique(current.astype(str), return_counts=True)
        observed = dict.fromkeys([*known, UNSEEN], 0.0)
        for value, count in zip(values, counts, strict=True):
            observed[value if value in known else UNSEEN] += count / len(current)
        reference = np.array([known.get(name, 0.0) for name in observed])
        shares = np.array(list(observed.values()))
    else:
        reference = np.asarray(profile["shares"], dtype=np.float64)
        shares = _numeric_shares(np.asarray(profile["edges"], dtype=np.float64), current)
    reference = np.maximum(reference, EPSILON)
    shares = np.maximum(shares, EPSILON)
    return float(np.sum((shares - reference) * np.log(shares / reference)))


def population_stability_index(reference, current, *, categorical: bool = False, bins: int = 10):
    """PSI of `current` against `reference`: 10 quantile bins of the reference for numbers,
    category shares (unseen ones pooled) for categories."""
    return profile_psi(reference_profile(reference, categorical=categorical, bins=bins), current)


def psi_status(psi: float) -> str:
    """The usual reading: below 0.1 stable, 0.1 to 0.25 worth a look, from 0.25 a real shift."""
    if psi < PSI_WARN:
        return "ok"
    return "warn" if psi < PSI_ALARM else "alarm"


def worst_status(statuses: Iterable[str]) -> str:
    return max(statuses, key=STATUSES.index, default="ok")


def feature_profiles(columns: Mapping, *, bins: int = 10) -> dict[str, dict]:
    """A reference profile for every client-sent feature of a frame or column mapping.

    The desk's own view of each customer (returns in the last day, ...) grows with the day's
    traffic, so its PSI would measure volume rather than who returns what; what it does to the
    model shows in the fraud score's PSI, which is profiled beside these.
    """
    return {
        name: reference_profile(columns[name], categorical=name in CATEGORICAL_FEATURES, bins=bins)
        for name in CLIENT_FEATURES
    }


def drift_table(profiles: Mapping[str, Mapping], current: Mapping) -> list[dict]:
    """[{"feature", "psi", "status"}] for every profiled column present in `current`."""
    rows = []
    # In FEATURES order: a profile read back from a JSONB column has its keys reordered.
    for name in sorted(
        profiles, key=lambda n: (FEATURES.index(n) if n in FEATURES else len(FEATURES), n)
    ):
        if name not in current:
            continue
        psi = profile_psi(profiles[name], current[name])
        rows.append({"feature": name, "psi": round(psi, 6), "status": psi_status(psi)})
    return rows


def drift_reference(frame, *, model, bins: int = 10) -> dict:
    """What drift is measured against: each feature's profile and the model's score profile on
    the data it was trained on. Plain data, small enough to keep in a model's feature schema."""
    return {
        "bins": bins,
        "features": feature_profiles(frame, bins=bins),
        "fraud_score": reference_profile(model.predict_proba(frame)[:, 1], bins=bins),
    }
