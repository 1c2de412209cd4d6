"""Synthetic returns with labelled fraud patterns: the project's own training data, test data, and
data for rehearsing drift."""

from pathlib import Path

import numpy as np
import pandas as pd

from ml.schema import CATEGORICAL_FEATURES, CLIENT_NUMERIC_FEATURES, COLUMNS, LABEL

SCENARIOS = ("normal", "mild_drift", "severe_drift", "novel", "stale_ring")

CATEGORIES = ("Electronics", "Clothing", "Home & Garden", "Beauty", "Toys")
CATEGORY_SHARES = (0.29, 0.40, 0.15, 0.10, 0.06)
PAYMENT_METHODS = ("Credit Card", "Debit Card", "PayPal", "Gift Card")
PAYMENT_SHARES = (0.60, 0.25, 0.10, 0.05)
NOVEL_CATEGORIES = ("Jewelry", "Gaming Consoles", "Luxury Handbags")
NOVEL_PAYMENT_METHODS = ("Crypto", "Buy Now Pay Later")

# Share of rows deliberately drawn from each pattern's risky region, on top of the rows the
# base population puts there by chance; small enough that the base mix matches the shared file.
PATTERN_SHARES = {
    "high_value_electronics": 0.004,
    "serial_returner": 0.003,
    "high_velocity": 0.002,
    "gift_card_quick_return": 0.002,
    "wardrobing": 0.003,
}
# Chance that a row in a pattern's region is fraud; where regions overlap, the later one wins.
PATTERN_FRAUD_CHANCE = {
    "high_value_electronics": 0.20,
    "serial_returner": 0.30,
    "wardrobing": 0.35,
    "gift_card_quick_return": 0.40,
    "high_velocity": 0.60,
}
NOISE_FRAUD_RATE = 0.01
CUSTOMERS = 10_000
# The project's own data, so that nothing outside the repository is needed to train or bench:
# (rows, seed) per scenario, sized like the shared peer files. Distinct seeds keep the drift
# samples from being the training rows again.
OWN_DATASETS = {"normal": (10_000, 0), "mild_drift": (5_000, 1), "severe_drift": (5_000, 2)}


def _base_rows(rng: np.random.Generator, n: int) -> pd.DataFrame:
    # Marginals fitted to returns_normal.csv: log-normal values around $90, Beta(2, 10) return
    # ratios, Poisson(0.5) velocity and roughly geometric days since purchase.
    return pd.DataFrame(
        {
            "customer_id": [f"CUST-{i:05d}" for i in rng.integers(0, CUSTOMERS, n)],
            "order_value": np.maximum(rng.lognormal(4.5, 0.8, n), 1.0),
            "product_category": rng.choice(CATEGORIES, n, p=CATEGORY_SHARES),
            "return_ratio": rng.beta(2.0, 10.0, n),
            "returns_velocity_30d": rng.poisson(0.5, n),
            "days_since_purchase": rng.geometric(0.133, n),
            "payment_method": rng.choice(PAYMENT_METHODS, n, p=PAYMENT_SHARES),
        }
    )


def _inject_patterns(rng: np.random.Generator, df: pd.DataFrame) -> pd.DataFrame:
    """Move a few rows into each pattern's risky region; habitual returners share few accounts."""
    df = df.copy()
    n = len(df)
    counts = {pattern: int(round(share * n)) for pattern, share in PATTERN_SHARES.items()}
    chosen = rng.permutation(n)[: sum(counts.values())]
    habitual_accounts = [f"CUST-{i:05d}" for i in rng.integers(0, CUSTOMERS, max(1, n // 400))]
    start = 0
    for pattern, count in counts.items():
        rows = df.index[chosen[start : start + count]]
        start += count
        if pattern == "high_value_electronics":
            df.loc[rows, "product_category"] = "Electronics"
            df.loc[rows, "order_value"] = rng.lognormal(6.5, 0.35, count)
        elif pattern == "serial_returner":
            df.loc[rows, "return_ratio"] = rng.uniform(0.5, 0.68, count)
            df.loc[rows, "customer_id"] = rng.choice(habitual_accounts, count)
        elif pattern == "high_velocity":
            df.loc[rows, "returns_velocity_30d"] = rng.integers(4, 6, count)
        elif pattern == "gift_card_quick_return":
            df.loc[rows, "payment_method"] = "Gift Card"
            df.loc[rows, "days_since_purchase"] = rng.integers(1, 4, count)
        elif pattern == "wardrobing":
            df.loc[rows, "product_category"] = "Clothing"
            df.loc[rows, "days_since_purchase"] = rng.integers(21, 46, count)
            df.loc[rows, "return_ratio"] = rng.uniform(0.3, 0.6, count)
            df.loc[rows, "order_value"] = rng.lognormal(5.0, 0.5, count)
            df.loc[rows, "customer_id"] = rng.choice(habitual_accounts, count)
    return df


def _pattern_regions(df: pd.DataFrame) -> dict[str, pd.Series]:
    return {
        "high_value_electronics": (df["product_category"] == "Electronics")
        & (df["order_value"] > 500),
        "serial_returner": df["return_ratio"] > 0.5,
        "wardrobing": (df["product_category"] == "Clothing")
        & (df["days_since_purchase"] >= 21)
        & (df["return_ratio"] >= 0.3),
        "gift_card_quick_return": (df["payment_method"] == "Gift Card")
        & (df["days_since_purchase"] <= 3),
        "high_velocity": df["returns_velocity_30d"] >= 4,
    }


def _label(rng: np.random.Generator, df: pd.DataFrame) -> pd.DataFrame:
    """Draw fraud from the pattern whose region holds the row, plus background noise fraud."""
    pattern = np.full(len(df), "none", dtype=object)
    chance = np.zeros(len(df))
    regions = _pattern_regions(df)
    for name, fraud_chance in PATTERN_FRAUD_CHANCE.items():
        region = regions[name].to_numpy()
        pattern[region] = name
        chance[region] = fraud_chance
    is_fraud = rng.random(len(df)) < chance
    noise = rng.random(len(df)) < NOISE_FRAUD_RATE
    pattern[noise & (pattern == "none")] = "noise"
    return df.assign(**{LABEL: (is_fraud | noise).astype(np.int64), "pattern": pattern})


def _mimicry_ring(rng: np.random.Generator, rows: int) -> pd.DataFrame:
    """A few accounts making many cheap, fast returns that each look ordinary on their own."""
    # Sized like the shared severe-drift file: 200 ring returns per 5,000, ten per account.
    n = max(1, round(rows * 0.04))
    return pd.DataFrame(
        {
            "order_id": [f"MIMIC-{i:04d}" for i in range(n)],
            "customer_id": [f"RING-{i:03d}" for i in rng.integers(0, max(1, n // 10), n)],
            "order_value": rng.uniform(20.0, 30.0, n),
            "product_category": rng.choice(("Beauty", "Electronics"), n),
            "return_ratio": rng.uniform(0.03, 0.55, n),
            "returns_velocity_30d": rng.integers(4, 10, n),
            "days_since_purchase": rng.integers(1, 10, n),
            "payment_method": "Credit Card",
            LABEL: 1,
            "pattern": "mimicry_ring",
        }
    )


def _stale_ring(rng: np.random.Generator, rows: int) -> pd.DataFrame:
    """Accounts returning 10 to 14 times in the day while the client's aggregates, stale, give
    each a 30-day velocity of 1 to 3. Each return on its own looks like any other."""
    accounts = max(1, rows // 100)
    per_account = rng.integers(10, 15, accounts)
    n = int(per_account.sum())
    reported = rng.integers(1, 4, accounts)
    account = np.repeat(np.arange(accounts), per_account)
    base = _base_rows(rng, n)
    return base.assign(
        customer_id=[f"STALE-{i:03d}" for i in account],
        returns_velocity_30d=reported[account],
        **{LABEL: 1, "pattern": "stale_ring"},
    )


def _drift(rng: np.random.Generator, df: pd.DataFrame, scenario: str) -> pd.DataFrame:
    df = df.copy()
    n = len(df)
    if scenario == "mild_drift":
        # Price inflation and a seasonal swing towards clothing.
        df["order_value"] = df["order_value"] * 1.15
        df.loc[rng.random(n) < 0.20, "product_category"] = "Clothing"
    elif scenario == "severe_drift":
        df.loc[rng.random(n) < 0.30, "payment_method"] = "PayPal"
    elif scenario == "novel":
        novel_category = rng.random(n) < 0.25
        df.loc[novel_category, "product_category"] = rng.choice(
            NOVEL_CATEGORIES, novel_category.sum()
        )
        high_value = novel_category & (rng.random(n) < 0.3)
        df.loc[high_value, "order_value"] = rng.lognormal(6.8, 0.4, high_value.sum())
        novel_payment = rng.random(n) < 0.20
        df.loc[novel_payment, "payment_method"] = rng.choice(
            NOVEL_PAYMENT_METHODS, novel_payment.sum()
        )
    return df


# The retailer signals `attributes=True` adds, as the declared attributes' CSV columns
# (attr_<name>), with their types. Each is drawn after the label, from the label (and for the
# rings, the account), so the fraud relationships are these and nothing else:
# - account_age_days: legitimate accounts are months to years old (log-normal around 14
#   months); 60% of fraudulent returns come from accounts under 30 days old; a ring's accounts
#   are all under 3 weeks old.
# - email_domain_class: free / corporate / disposable; disposable is 2% of legitimate returns,
#   35% of fraudulent ones.
# - billing_shipping_mismatch: 5% of legitimate returns, 40% of fraudulent ones.
# - return_reason: legitimate returns are mostly size_fit and changed_mind; fraud mostly claims
#   damaged or not_as_described.
# - items_in_order: 1 + Poisson(1.2) for legitimate orders, 1 + Poisson(0.3) for fraud.
# - order_hour: legitimate orders peak in the afternoon; 40% of fraud is ordered 0:00-5:59.
# - device_id: one device per customer (a tenth of customers use a second), shared with one
#   other customer by 1 customer in 25 (a household); a ring (stale_ring, the mimicry ring)
#   works all its accounts from one to three devices, each return from any of them.
ATTRIBUTE_TYPES = {
    "account_age_days": "number",
    "email_domain_class": "category",
    "billing_shipping_mismatch": "boolean",
    "return_reason": "category",
    "items_in_order": "number",
    "order_hour": "number",
    "device_id": "identifier",
}
EMAIL_DOMAIN_CLASSES = ("free", "corporate", "disposable")
RETURN_REASONS = ("size_fit", "changed_mind", "damaged", "not_as_described", "arrived_late")
RINGS = ("stale_ring", "mimicry_ring")


def _household(customer: str) -> str:
    """Whose devices a customer uses: its own, or for one customer in 25 (numbered 1 past a
    multiple of 25) its neighbour's, as a household shares a computer."""
    prefix, _, number = customer.rpartition("-")
    if number.isdigit() and int(number) % 25 == 1:
        return f"{prefix}-{int(number) - 1:0{len(number)}d}"
    return customer


def _with_attributes(rng: np.random.Generator, df: pd.DataFrame) -> pd.DataFrame:
    n = len(df)
    fraud = df[LABEL].to_numpy() == 1
    ring = df["pattern"].isin(RINGS).to_numpy()
    account_age = np.round(rng.lognormal(6.0, 0.9, n))
    young = fraud & (rng.random(n) < 0.6)
    account_age[young] = rng.integers(0, 30, young.sum())
    # A ring's account keeps one age across its returns.
    ring_accounts = df.loc[ring, "customer_id"]
    ages = {account: rng.integers(0, 21) for account in sorted(set(ring_accounts))}
    account_age[ring] = ring_accounts.map(ages).to_numpy()
    email = np.where(
        fraud,
        rng.choice(EMAIL_DOMAIN_CLASSES, n, p=(0.55, 0.10, 0.35)),
        rng.choice(EMAIL_DOMAIN_CLASSES, n, p=(0.60, 0.38, 0.02)),
    )
    mismatch = rng.random(n) < np.where(fraud, 0.40, 0.05)
    reason = np.where(
        fraud,
        rng.choice(RETURN_REASONS, n, p=(0.05, 0.10, 0.35, 0.40, 0.10)),
        rng.choice(RETURN_REASONS, n, p=(0.40, 0.30, 0.12, 0.13, 0.05)),
    )
    items = 1 + rng.poisson(np.where(fraud, 0.3, 1.2))
    hour = np.round(rng.normal(15.0, 3.5, n)).astype(int) % 24
    night = fraud & (rng.random(n) < 0.4)
    hour[night] = rng.integers(0, 6, night.sum())
    second = rng.random(n) < 0.1
    device = np.array(
        [
            f"DEV-{_household(c)}-{2 if s else 1}"
            for c, s in zip(df["customer_id"], second, strict=True)
        ],
        dtype=object,
    )
    # A ring works its accounts from one to three devices, any of them for any account.
    for pattern in RINGS:
        rows = (df["pattern"] == pattern).to_numpy()
        if rows.any():
            pool = [f"DEV-{pattern.upper()}-{i}" for i in range(int(rng.integers(1, 4)))]
            device[rows] = rng.choice(pool, rows.sum())
    return df.assign(
        attr_account_age_days=account_age.astype(np.int64),
        attr_email_domain_class=email,
        attr_billing_shipping_mismatch=np.where(mismatch, "true", "false"),
        attr_return_reason=reason,
        attr_items_in_order=items.astype(np.int64),
        attr_order_hour=hour,
        attr_device_id=device,
    )


def generate_returns(
    *, rows: int, scenario: str, seed: int, attributes: bool = False
) -> pd.DataFrame:
    """Generate ``rows`` returns (plus a mimicry ring for severe_drift, a ring with stale client
    aggregates mixed in for stale_ring); same seed, same frame.

    The ``pattern`` column names the fraud pattern whose rule set the row's fraud chance,
    ``noise`` for background fraud outside every pattern, or ``none``. Drift changes the inputs
    only: labels are drawn after it from the same pattern rules. With ``attributes`` the
    retailer signals of ATTRIBUTE_TYPES follow as attr_<name> columns, drawn from a stream of
    their own, so the other columns are the same as without them.
    """
    if scenario not in SCENARIOS:
        raise ValueError(f"unknown scenario {scenario!r}; expected one of {', '.join(SCENARIOS)}")
    if rows < 1:
        raise ValueError("rows must be at least 1")
    rng = np.random.default_rng(seed)
    df = _drift(rng, _inject_patterns(rng, _base_rows(rng, rows)), scenario)
    df = _label(rng, df)
    df.insert(0, "order_id", [f"ORD-{i:08d}" for i in range(1, rows + 1)])
    if scenario == "severe_drift":
        df = pd.concat([df, _mimicry_ring(rng, rows)], ignore_index=True)
    elif scenario == "stale_ring":
        ring = _stale_ring(rng, rows)
        ring.insert(0, "order_id", [f"STALE-{i:05d}" for i in range(len(ring))])
        # Mixed into the day at random places, each account's returns in their own order.
        at = np.concatenate([np.arange(len(df)) / len(df), rng.random(len(ring))])
        df = pd.concat([df, ring], ignore_index=True)
        df = df.iloc[np.argsort(at, kind="stable")].reset_index(drop=True)
    # Same rounding as the shared files: cents, three-decimal ratios.
    df["order_value"] = df["order_value"].round(2)
    df["return_ratio"] = df["return_ratio"].round(3)
    df = df[[*COLUMNS, "pattern"]]
    if attributes:
        df = _with_attributes(np.random.default_rng([seed, 1]), df)
    return df


def summarize(df: pd.DataFrame) -> str:
    """A printable check of a returns frame: size, fraud rates, value ranges and category mix."""
    lines = [f"rows: {len(df):,}", f"fraud rate: {df[LABEL].mean():.2%}"]
    if "pattern" in df.columns:
        lines.append("by pattern (rows, fraud rate):")
        by_pattern = df.groupby("pattern")[LABEL].agg(["size", "mean"])
        for pattern, row in by_pattern.sort_values("size", ascending=False).iterrows():
            lines.append(f"  {pattern:<24} {int(row['size']):>7,}  {row['mean']:7.2%}")
    lines.append("numeric ranges (min / median / max):")
    for column in CLIENT_NUMERIC_FEATURES:
        values = df[column]
        lines.append(
            f"  {column:<24} {values.min():>9.3f} {values.median():>9.3f} {values.max():>9.3f}"
        )
    for column in CATEGORICAL_FEATURES:
        shares = df[column].value_counts(normalize=True)
        mix = ", ".join(f"{value} {share:.1%}" for value, share in shares.items())
        lines.append(f"{column}: {mix}")
    return "\n".join(lines)


def own_returns(*, scenario: str) -> pd.DataFrame:
    """The project's own returns for `scenario` (OWN_DATASETS), in the shared files' columns."""
    rows, seed = OWN_DATASETS[scenario]
    return generate_returns(rows=rows, scenario=scenario, seed=seed)[list(COLUMNS)]


def own_returns_csv(*, path: Path, scenario: str) -> Path:
    """`path`, holding own_returns(scenario); written the first time it is asked for."""
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        # Written aside and renamed, so an interrupted first run leaves no half file behind.
        partial = path.with_name(f"{path.name}.partial")
        own_returns(scenario=scenario).to_csv(partial, index=False)
        partial.replace(path)
    return path
