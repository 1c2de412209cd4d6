import numpy as np
import pandas as pd
import pytest

from ml.history import NO_PREVIOUS_HOURS, desk_history, with_desk_view
from ml.schema import DESK_FEATURES

HOUR = 3600.0
DAY = 24 * HOUR


def history(rows):
    customer, at, value, category, reported = zip(*rows, strict=True)
    return desk_history(
        customer=customer,
        at=at,
        order_value=value,
        product_category=category,
        returns_velocity_30d=reported,
    )


def test_each_return_counts_only_the_same_customers_returns_before_it():
    out = history(
        [
            ("A", 0.0, 10.0, "Toys", 0),
            ("B", 1 * HOUR, 99.0, "Toys", 0),
            ("A", 2 * HOUR, 20.0, "Beauty", 0),
            ("A", 3 * HOUR, 30.0, "Beauty", 1),
        ]
    )
    assert out["desk_returns_24h"].tolist() == [0, 0, 1, 2]
    assert out["desk_value_24h"].tolist() == [0, 0, 10, 30]
    assert out["desk_categories_30d"].tolist() == [0, 0, 1, 2]
    assert out["desk_hours_since_previous"].tolist() == [
        NO_PREVIOUS_HOURS,
        NO_PREVIOUS_HOURS,
        2.0,
        1.0,
    ]
    # The client reported 1 where the desk had seen 2.
    assert out["desk_velocity_gap"].tolist() == [0, 0, 1, 1]


@pytest.mark.parametrize(
    ("gap", "in_24h", "in_30d"),
    [
        (DAY - 1, 1, 1),
        (DAY, 0, 1),  # the windows are (t - window, t]: a return exactly a day back is older
        (30 * DAY - 1, 0, 1),
        (30 * DAY, 0, 0),
    ],
)
def test_windows_end_a_day_and_thirty_days_back(gap, in_24h, in_30d):
    out = history([("A", 0.0, 50.0, "Toys", 0), ("A", gap, 5.0, "Toys", 0)])
    assert out["desk_returns_24h"][1] == in_24h
    assert out["desk_returns_30d"][1] == in_30d
    assert out["desk_value_30d"][1] == 50.0 * in_30d
    expected_hours = gap / HOUR if in_30d else NO_PREVIOUS_HOURS
    assert out["desk_hours_since_previous"][1] == expected_hours


def test_of_two_returns_at_the_same_second_only_the_first_counts_for_the_second():
    out = history([("A", 5.0, 1.0, "Toys", 0), ("A", 5.0, 1.0, "Toys", 0)])
    assert out["desk_returns_24h"].tolist() == [0, 1]


def test_a_client_count_above_the_desks_is_no_gap():
    out = history([("A", 0.0, 1.0, "Toys", 9), ("A", 1.0, 1.0, "Toys", 9)])
    assert out["desk_velocity_gap"].tolist() == [0, 0]


def test_rows_out_of_arrival_order_are_refused():
    with pytest.raises(ValueError, match="arrival order"):
        history([("A", 10.0, 1.0, "Toys", 0), ("A", 5.0, 1.0, "Toys", 0)])


def test_a_file_without_times_arrives_in_row_order_over_one_day():
    df = pd.DataFrame(
        {
            "customer_id": ["A", "B", "A", "A"],
            "order_value": [10.0, 20.0, 30.0, 40.0],
            "product_category": ["Toys"] * 4,
            "returns_velocity_30d": [0, 0, 0, 0],
        }
    )
    out = with_desk_view(df)
    assert out["desk_returns_24h"].tolist() == [0, 0, 1, 2]
    # Four rows over a day: six hours apart.
    assert out["desk_hours_since_previous"].tolist()[2:] == [12.0, 6.0]
    assert set(DESK_FEATURES) <= set(out.columns)
    assert with_desk_view(out) is out


def test_a_file_with_submitted_at_arrives_at_those_times_whatever_its_row_order():
    df = pd.DataFrame(
        {
            "customer_id": ["A", "A"],
            "order_value": [10.0, 20.0],
            "product_category": ["Toys", "Toys"],
            "returns_velocity_30d": [0, 0],
            "submitted_at": ["2026-11-02T00:00:00Z", "2026-11-01T00:00:00Z"],
        }
    )
    out = with_desk_view(df)
    assert out["desk_returns_30d"].tolist() == [1, 0]
    assert out["desk_value_30d"].tolist() == [20.0, 0.0]
    assert np.array_equal(out["order_value"], df["order_value"])
