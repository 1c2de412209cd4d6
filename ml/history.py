"""The desk's own view of each customer, from the returns it has seen, beside what the client says.

A client's `returns_velocity_30d` and `return_ratio` can be stale, computed over another window,
or wrong. The desk sees every return it decides, so for each return it counts, over the same
customer's earlier returns: how many and how much in the last 24 hours and 30 days, how many
categories in 30 days, and the hours since the previous one; and how far its 30-day count runs
above the client's (the gap).

`desk_history` is the one place these numbers are computed: training runs it over a file in the
file's order, the live desk over each batch and its customers' stored returns, the replay over
the replayed returns at their simulated times. `identifier_sharing` does the same for a
retailer's identifier attribute (a device id): how many other customers the desk saw with the
same value in the last 30 days, which is how the accounts of a ring sharing devices show.
"""

from bisect import bisect_right
from collections import deque

import numpy as np
import pandas as pd

from ml.schema import DESK_FEATURES, MISSING, attribute_column, shared_column

DAY_SECONDS = 86_400.0
WINDOW_DAYS = 30
# Hours since the previous return when there is none within the 30-day window: live scoring
# fetches only 30 days of history, so training caps at the same horizon to see the same numbers.
NO_PREVIOUS_HOURS = WINDOW_DAYS * 24.0


def desk_history(
    *, customer, at, order_value, product_category, returns_velocity_30d
) -> dict[str, np.ndarray]:
    """DESK_FEATURES for each row, from the same customer's rows before it.

    Rows are in arrival order; `at` is the arrival time in seconds (any origin). "Before" means
    earlier in that order and within the window (`at` greater than this row's minus the window),
    so a row never counts itself or anything that arrived after it, and of two rows at the same
    second the first counts for the second only.
    """
    customer = np.asarray(customer, dtype=object)
    at = np.asarray(at, dtype=np.float64)
    value = np.asarray(order_value, dtype=np.float64)
    category = np.asarray(product_category, dtype=object)
    reported = np.asarray(returns_velocity_30d, dtype=np.float64)
    if len(at) > 1 and np.any(np.diff(at) < 0):
        raise ValueError("rows must be in arrival order")
    n = len(at)
    out = {name: np.zeros(n) for name in DESK_FEATURES}
    out["desk_hours_since_previous"][:] = NO_PREVIOUS_HOURS
    seen: dict[object, tuple[list[float], list[float], list[object]]] = {}
    for i in range(n):
        times, values, categories = seen.setdefault(customer[i], ([], [], []))
        if times:
            day = bisect_right(times, at[i] - DAY_SECONDS)
            month = bisect_right(times, at[i] - WINDOW_DAYS * DAY_SECONDS)
            out["desk_returns_24h"][i] = len(times) - day
            out["desk_returns_30d"][i] = len(times) - month
            out["desk_value_24h"][i] = sum(values[day:])
            out["desk_value_30d"][i] = sum(values[month:])
            out["desk_categories_30d"][i] = len(set(categories[month:]))
            if month < len(times):
                out["desk_hours_since_previous"][i] = (at[i] - times[-1]) / 3600.0
        times.append(at[i])
        values.append(value[i])
        categories.append(category[i])
    # Only a desk count above the client's is a signal: the client may see returns made
    # elsewhere (in store, another channel) that never reach the desk.
    out["desk_velocity_gap"] = np.clip(out["desk_returns_30d"] - reported, 0.0, None)
    return out


def identifier_sharing(*, customer, at, identifier) -> np.ndarray:
    """For each row, the number of other customers whose rows before it (in arrival order,
    within the 30-day window) carried the same identifier; 0 where the row has none (None, "",
    NaN). Rows are in arrival order, `at` in seconds, as for desk_history."""
    customer = np.asarray(customer, dtype=object)
    at = np.asarray(at, dtype=np.float64)
    if len(at) > 1 and np.any(np.diff(at) < 0):
        raise ValueError("rows must be in arrival order")
    out = np.zeros(len(at))
    seen: dict[object, deque] = {}
    for i, value in enumerate(identifier):
        if value is None or value == MISSING or (isinstance(value, float) and value != value):
            continue
        recent = seen.setdefault(value, deque())
        while recent and recent[0][0] <= at[i] - WINDOW_DAYS * DAY_SECONDS:
            recent.popleft()
        out[i] = len({who for _, who in recent} - {customer[i]})
        recent.append((at[i], customer[i]))
    return out


def _arrival(df: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """(arrival seconds, arrival order) of a frame's rows: at its `submitted_at` when it has
    one, else evenly over one day in row order, as the replay spreads such a file."""
    if "submitted_at" in df.columns:
        times = pd.to_datetime(df["submitted_at"], utc=True)
        at = (times - times.min()).dt.total_seconds().to_numpy()
        return at, np.argsort(at, kind="stable")
    return np.arange(len(df)) * (DAY_SECONDS / max(len(df), 1)), np.arange(len(df))


def with_shared_identifiers(df: pd.DataFrame, names) -> pd.DataFrame:
    """`df` with `desk_shared_<name>` for each identifier attribute in `names`, computed over
    its own rows in arrival order (see _arrival); a frame without the attribute's column
    shares nothing."""
    at, order = _arrival(df)
    columns = {}
    for name in names:
        source = attribute_column(name)
        if source not in df.columns:
            columns[shared_column(name)] = np.zeros(len(df))
            continue
        shared = identifier_sharing(
            customer=df["customer_id"].to_numpy()[order],
            at=at[order],
            identifier=df[source].to_numpy()[order],
        )
        column = np.empty(len(df))
        column[order] = shared
        columns[shared_column(name)] = column
    return df.assign(**columns)


def with_desk_view(df: pd.DataFrame) -> pd.DataFrame:
    """`df` with DESK_FEATURES computed over its own rows, in the file's order.

    A frame with a `submitted_at` column arrives at those times; one without arrives evenly over
    one day in row order, as the replay spreads such a file. A frame that already has every
    desk column is returned as it is.
    """
    if all(column in df.columns for column in DESK_FEATURES):
        return df
    at, order = _arrival(df)
    features = desk_history(
        customer=df["customer_id"].to_numpy()[order],
        at=at[order],
        order_value=df["order_value"].to_numpy()[order],
        product_category=df["product_category"].to_numpy()[order],
        returns_velocity_30d=df["returns_velocity_30d"].to_numpy()[order],
    )
    columns = {}
    for name, values in features.items():
        column = np.empty(len(df))
        column[order] = values
        columns[name] = column
    return df.assign(**columns)
