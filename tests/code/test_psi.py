"""Unit tests for mlops_course.psi: the course's one PSI and its thresholds."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from mlops_course.psi import PSI_MAJOR, PSI_MODERATE, PSI_THRESHOLDS, psi, psi_band


def test_psi_is_zero_for_identical_samples_and_grows_with_shift() -> None:
    rng = np.random.default_rng(0)
    reference = rng.normal(0, 1, 5_000)
    actual_same = psi(reference, reference)
    actual_small = psi(reference, reference + 0.1)
    actual_large = psi(reference, reference + 1.0)
    assert actual_same == pytest.approx(0.0, abs=1e-12)
    assert 0 < actual_small < PSI_MODERATE < PSI_MAJOR < actual_large


def test_psi_matches_a_hand_computed_example() -> None:
    reference = np.arange(100.0)  # ten equal bins of ten values
    current = np.arange(50.0, 150.0)  # half in the top five bins, half above the range
    shares_ref = np.full(10, 0.1)
    shares_cur = np.array([1e-4] * 5 + [0.1] * 4 + [0.6])
    expected = float(np.sum((shares_cur - shares_ref) * np.log(shares_cur / shares_ref)))
    assert psi(reference, current) == pytest.approx(expected, rel=1e-9)


def test_psi_of_categories_compares_shares_per_value() -> None:
    reference = pd.Series(["a"] * 50 + ["b"] * 50)
    current = pd.Series(["a"] * 80 + ["b"] * 20)
    expected = (0.8 - 0.5) * np.log(0.8 / 0.5) + (0.2 - 0.5) * np.log(0.2 / 0.5)
    assert psi(reference, current, binning="category") == pytest.approx(expected, rel=1e-9)


@pytest.mark.parametrize(
    ("reference", "current", "bins", "binning", "message"),
    [
        (np.arange(50.0), np.arange(5.0), 1, "quantile", "bins"),
        (np.arange(50.0), np.arange(5.0), 10, "deciles", "binning"),
        (np.array([np.nan, np.nan]), np.arange(5.0), 10, "quantile", "reference has no non-missing"),
        (np.arange(50.0), np.array([]), 10, "quantile", "current has no non-missing"),
    ],
)
def test_psi_rejects_bad_input(reference, current, bins, binning, message) -> None:
    with pytest.raises(ValueError, match=message):
        psi(reference, current, bins=bins, binning=binning)


def test_the_thresholds_table_covers_every_value_once() -> None:
    assert [psi_band(v) for v in (0.0, 0.099, PSI_MODERATE, 0.2, PSI_MAJOR, 3.0)] == [
        "stable",
        "stable",
        "moderate shift",
        "moderate shift",
        "major shift",
        "major shift",
    ]
    assert list(PSI_THRESHOLDS) == ["stable", "moderate shift", "major shift"]
    with pytest.raises(ValueError, match="finite PSI"):
        psi_band(float("nan"))
