"""Column names, CSV loading and content hashing for the returns data."""

import hashlib
from pathlib import Path

import numpy as np
import pandas as pd

CLIENT_NUMERIC_FEATURES = (
    "order_value",
    "return_ratio",
    "returns_velocity_30d",
    "days_since_purchase",
)
# Computed by the desk from the returns it has seen (ml.history), never sent by a client.
DESK_FEATURES = (
    "desk_returns_24h",
    "desk_returns_30d",
    "desk_value_24h",
    "desk_value_30d",
    "desk_categories_30d",
    "desk_hours_since_previous",
    "desk_velocity_gap",
)
NUMERIC_FEATURES = CLIENT_NUMERIC_FEATURES + DESK_FEATURES
CATEGORICAL_FEATURES = ("product_category", "payment_method")
FEATURES = NUMERIC_FEATURES + CATEGORICAL_FEATURES
# What a client sends about a return, as against what the desk computes.
CLIENT_FEATURES = CLIENT_NUMERIC_FEATURES + CATEGORICAL_FEATURES
LABEL = "is_fraud"
# A retailer's declared attributes travel as columns `attr_<name>` (the CSV import's names). A
# model learns from those it was trained with (`attributes`, pairs of name and type). An
# identifier names one thing (a device) and is never a raw feature: the model reads how many
# other customers the desk saw with it in 30 days (ml.history.identifier_sharing), `desk_shared_
# <name>`.
ATTRIBUTE_PREFIX = "attr_"
SHARED_PREFIX = "desk_shared_"
MODEL_ATTRIBUTE_TYPES = ("number", "category", "boolean", "identifier")
MISSING = ""
ID_COLUMNS = ("order_id", "customer_id")

# Every column of a returns file, in the shared files' order, with the type it is parsed as.
_COLUMN_TYPES = {
    "order_id": "str",
    "customer_id": "str",
    "order_value": "float64",
    "product_category": "str",
    "return_ratio": "float64",
    "returns_velocity_30d": "int64",
    "days_since_purchase": "int64",
    "payment_method": "str",
    LABEL: "int64",
}
COLUMNS = tuple(_COLUMN_TYPES)


def attribute_column(name: str) -> str:
    return f"{ATTRIBUTE_PREFIX}{name}"


def shared_column(name: str) -> str:
    return f"{SHARED_PREFIX}{name}"


def attribute_values(values, kind: str) -> np.ndarray:
    """An attribute's values as the model reads them: numbers as floats with NaN for missing,
    categories and booleans as text with MISSING ("") for missing (booleans "true"/"false").
    Raises ValueError naming a value that does not parse."""
    if kind == "number":
        out = np.empty(len(values), dtype=np.float64)
        for i, value in enumerate(values):
            if value is None or value == MISSING or (isinstance(value, float) and value != value):
                out[i] = np.nan
            elif isinstance(value, bool):
                raise ValueError(f"a number attribute holds {value!r}")
            else:
                out[i] = float(value)
        return out
    out = np.empty(len(values), dtype=object)
    for i, value in enumerate(values):
        if value is None or (isinstance(value, float) and value != value):
            out[i] = MISSING
        elif kind == "boolean":
            text = str(value).strip().lower()
            if text in ("true", "1", "yes"):
                out[i] = "true"
            elif text in ("false", "0", "no"):
                out[i] = "false"
            elif text == MISSING:
                out[i] = MISSING
            else:
                raise ValueError(f"a boolean attribute holds {value!r}")
        else:
            out[i] = str(value)
    return out


def read_returns_csv(path: str | Path) -> pd.DataFrame:
    """Load a returns CSV, refusing it if a required column is missing."""
    df = pd.read_csv(path, dtype=str, keep_default_na=False)
    missing = [column for column in COLUMNS if column not in df.columns]
    if missing:
        raise ValueError(f"{path}: missing required columns: {', '.join(missing)}")
    # Parse numbers explicitly so a stray text cell fails loudly instead of becoming NaN.
    return df.astype(_COLUMN_TYPES)


def data_hash(df: pd.DataFrame) -> str:
    """SHA-256 of the rows as canonical CSV: fixed column order, no index, LF line ends."""
    columns = [column for column in COLUMNS if column in df.columns]
    columns += sorted(column for column in df.columns if column not in COLUMNS)
    text = df[columns].to_csv(index=False, lineterminator="\n", float_format="%.10g")
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def file_sha256(path: str | Path) -> str:
    """SHA-256 of a file's bytes, read in chunks so large files stay out of memory."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()
