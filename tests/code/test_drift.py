"""Unit tests of mlops_course.dataquality.drift: PSI and KS by hand, and the Evidently wrappers."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy.stats import ks_2samp

from mlops_course.data import generate_applications, split_by_month
from mlops_course.dataquality.drift import binned_shares, drift_by_group, drift_table, ks_statistic, psi


def test_psi_is_zero_for_identical_and_grows_with_the_shift():
    rng = np.random.default_rng(0)
    reference = rng.normal(0, 1, 5_000)
    assert psi(reference, reference) == pytest.approx(0.0, abs=1e-12)
    small, large = psi(reference, reference + 0.2), psi(reference, reference + 1.0)
    assert 0 < small < 0.1 < large


def test_psi_matches_the_formula_on_a_hand_example():
    reference = [1, 1, 2, 2]
    current = [1, 2, 2, 2]
    expected = (0.25 - 0.5) * np.log(0.25 / 0.5) + (0.75 - 0.5) * np.log(0.75 / 0.5)
    assert psi(reference, current, binning="category") == pytest.approx(expected)


def test_quantile_bins_are_equally_filled_by_the_reference():
    reference = np.arange(1_000.0)
    ref_shares, _, edges = binned_shares(reference, reference, bins=4)
    np.testing.assert_allclose(ref_shares, [0.25] * 4)
    assert np.isinf(edges[0]) and np.isinf(edges[-1])


def test_ks_statistic_matches_scipy():
    rng = np.random.default_rng(1)
    reference, current = rng.normal(0, 1, 700), rng.normal(0.3, 1.2, 400)
    assert ks_statistic(reference, current) == pytest.approx(ks_2samp(reference, current).statistic)


def test_drift_table_finds_covariate_drift_not_baseline():
    drifted = generate_applications(4_000, n_months=4, seed=2, scenario="covariate_drift")
    reference, current = split_by_month(drifted, "2024-03")
    table = drift_table(reference, current)
    assert {"credit_score", "annual_income"} & set(table.loc[table["drifted"], "column"])
    reference, current = split_by_month(generate_applications(4_000, n_months=4, seed=2), "2024-03")
    assert not drift_table(reference, current)["drifted"].any()


def test_drift_by_group_names_the_shifted_source():
    reference, current = split_by_month(generate_applications(6_000, n_months=4, seed=4), "2024-03")
    current = current.copy()
    hit = current["source"] == "broker_alpha"
    current.loc[hit, "credit_score"] = current.loc[hit, "credit_score"] - 90
    table = drift_by_group(reference, current, "source")
    assert table.iloc[0]["source"] == "broker_alpha"
    assert table.iloc[0]["credit_score"] > 0.25


def test_bad_input_is_explained():
    with pytest.raises(ValueError, match="non-missing"):
        psi([np.nan], [1.0])
    with pytest.raises(ValueError, match="binning"):
        psi([1.0, 2.0], [1.0], binning="decile")
    with pytest.raises(ValueError, match="bins"):
        psi([1.0, 2.0], [1.0], bins=1)
    with pytest.raises(ValueError, match="group"):
        drift_by_group(pd.DataFrame({"a": [1]}), pd.DataFrame({"a": [1]}), "source")
