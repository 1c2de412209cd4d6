"""PSI arithmetic: bins from reference quantiles, category shares, the epsilon, the statuses."""

import json
import math

import numpy as np
import pytest

from ml.drift import (
    EPSILON,
    UNSEEN,
    drift_table,
    feature_profiles,
    population_stability_index,
    profile_psi,
    psi_status,
    reference_profile,
    worst_status,
)
from ml.generate import generate_returns
from ml.history import with_desk_view


def psi_by_hand(reference_shares, current_shares):
    return sum(
        (max(c, EPSILON) - max(r, EPSILON)) * math.log(max(c, EPSILON) / max(r, EPSILON))
        for r, c in zip(reference_shares, current_shares, strict=True)
    )


def test_a_sample_against_itself_has_zero_psi():
    values = np.random.default_rng(0).lognormal(4, 1, 5_000)
    assert population_stability_index(values, values) == pytest.approx(0.0, abs=1e-12)
    assert population_stability_index(["a", "b", "b"], ["b", "a", "b"], categorical=True) == 0.0


@pytest.mark.parametrize(
    ("reference", "current", "expected"),
    [
        (["A", "B"] * 50, ["A"] * 90 + ["B"] * 10, psi_by_hand([0.5, 0.5, 0], [0.9, 0.1, 0])),
        (["A"] * 75 + ["B"] * 25, ["A"] * 25 + ["B"] * 75, psi_by_hand([0.75, 0.25], [0.25, 0.75])),
        # A category never seen in the reference lands in the pooled unseen bin, priced at EPSILON.
        (
            ["A", "B"] * 50,
            ["A"] * 50 + ["C"] * 30 + ["D"] * 20,
            psi_by_hand([0.5, 0.5, 0], [0.5, 0, 0.5]),
        ),
    ],
    ids=["shift", "swap", "unseen"],
)
def test_categorical_psi_matches_the_formula(reference, current, expected):
    assert population_stability_index(reference, current, categorical=True) == pytest.approx(
        expected
    )


def test_numeric_bins_are_reference_deciles_and_an_empty_bin_costs_a_finite_amount():
    reference = np.arange(1_000, dtype=float)
    profile = reference_profile(reference)
    assert len(profile["edges"]) == 9
    assert profile["shares"] == pytest.approx([0.1] * 10, abs=0.002)

    everything_in_top_bin = np.full(100, 5_000.0)
    expected = psi_by_hand(profile["shares"], [0] * 9 + [1])
    assert profile_psi(profile, everything_in_top_bin) == pytest.approx(expected)
    assert 8 < expected < 9  # large, yet finite thanks to the epsilon


def test_values_on_an_edge_fall_in_the_bin_below():
    profile = reference_profile(np.arange(1, 11, dtype=float), bins=2)  # one edge, the median
    assert profile["edges"] == [5.0]
    assert profile_psi(profile, [5.0] * 5 + [5.5] * 5) == pytest.approx(0.0)


def test_tied_quantiles_merge_into_fewer_unequal_bins():
    # A velocity-like column: mostly zero, then ones and twos.
    reference = np.array([0] * 60 + [1] * 30 + [2] * 10, dtype=float)
    profile = reference_profile(reference)
    assert profile["edges"] == [0.0, 1.0]
    assert profile["shares"] == pytest.approx([0.6, 0.3, 0.1])
    assert population_stability_index(reference, reference[::-1]) == pytest.approx(0.0)


def test_more_drift_gives_a_larger_psi():
    rng = np.random.default_rng(1)
    reference = rng.normal(0, 1, 20_000)
    psis = [
        population_stability_index(reference, rng.normal(shift, 1, 5_000))
        for shift in (0, 0.2, 0.5, 1)
    ]
    assert psis == sorted(psis)
    assert psi_status(psis[0]) == "ok"
    assert psi_status(psis[-1]) == "alarm"


@pytest.mark.parametrize(
    ("psi", "status"),
    [(0.0, "ok"), (0.0999, "ok"), (0.1, "warn"), (0.2499, "warn"), (0.25, "alarm"), (3.0, "alarm")],
)
def test_psi_status_thresholds(psi, status):
    assert psi_status(psi) == status


def test_worst_status_wins():
    assert worst_status(["ok", "alarm", "warn"]) == "alarm"
    assert worst_status(["ok", "warn"]) == "warn"
    assert worst_status([]) == "ok"


@pytest.mark.parametrize(
    ("reference", "current", "categorical"),
    [
        ([], [1.0], False),
        ([1.0], [], False),
        (["a"], [], True),
        ([1.0, float("nan")], [1.0], False),
    ],
    ids=["empty reference", "empty current", "empty categorical", "nan"],
)
def test_unusable_samples_are_refused(reference, current, categorical):
    with pytest.raises(ValueError, match="empty|finite"):
        population_stability_index(reference, current, categorical=categorical)


def test_profiles_are_plain_json_and_cover_every_feature():
    frame = with_desk_view(generate_returns(rows=2_000, scenario="normal", seed=3))
    profiles = feature_profiles(frame)
    assert json.loads(json.dumps(profiles)) == profiles
    assert UNSEEN not in profiles["payment_method"]["shares"]
    rows = drift_table(profiles, frame)
    assert [row["feature"] for row in rows] == list(profiles)
    assert all(row["psi"] == pytest.approx(0.0) for row in rows)


def test_payment_method_shift_of_severe_drift_alarms_and_a_fresh_normal_sample_does_not():
    profiles = feature_profiles(
        with_desk_view(generate_returns(rows=10_000, scenario="normal", seed=21))
    )
    severe = {
        row["feature"]: row
        for row in drift_table(
            profiles, with_desk_view(generate_returns(rows=5_000, scenario="severe_drift", seed=22))
        )
    }
    # As many rows as the reference: how often a customer returns again within the day grows
    # with the day's returns, so the desk's own counts compare between days of like traffic.
    fresh = drift_table(
        profiles, with_desk_view(generate_returns(rows=10_000, scenario="normal", seed=23))
    )
    assert severe["payment_method"]["status"] == "alarm"
    assert {row["status"] for row in fresh} == {"ok"}
