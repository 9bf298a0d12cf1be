"""Data checks: the generator is deterministic, complete, and injects what each scenario says."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from mlops_course import data
from mlops_course.data import SCENARIOS, generate_applications


@pytest.fixture(scope="module")
def baseline() -> pd.DataFrame:
    return generate_applications(6_000, seed=7)


def test_same_seed_same_frame() -> None:
    expected_frame = generate_applications(3_000, seed=11, scenario="covariate_drift")
    actual_frame = generate_applications(3_000, seed=11, scenario="covariate_drift")
    pd.testing.assert_frame_equal(actual_frame, expected_frame)
    assert data.dataset_fingerprint(actual_frame) == data.dataset_fingerprint(expected_frame)


def test_other_seed_other_frame() -> None:
    first = generate_applications(2_000, seed=1)
    second = generate_applications(2_000, seed=2)
    assert not first.equals(second)
    assert data.dataset_fingerprint(first) != data.dataset_fingerprint(second)


def test_known_fingerprint_is_stable_across_machines() -> None:
    # Pinned value: the generator must give the same data on every machine and release.
    # If a deliberate change to the generator moves it, update it in the same commit.
    frame = generate_applications(1_000, seed=42)
    assert data.dataset_fingerprint(frame) == "dddce10b979a65d3"
    assert int(frame["defaulted"].sum()) == 87


def test_columns_types_and_months(baseline: pd.DataFrame) -> None:
    assert tuple(baseline.columns) == data.COLUMNS
    assert len(baseline) == 6_000
    assert baseline["month"].nunique() == 12
    assert baseline["month"].min() == "2024-01" and baseline["month"].max() == "2024-12"
    assert baseline["application_id"].is_unique
    assert baseline["application_date"].is_monotonic_increasing
    assert set(baseline["source"]) == set(data.SOURCES)
    assert (baseline["channel"] == baseline["source"].map(data.SOURCES)).all()
    assert (baseline["label_available_at"] > baseline["application_date"]).all()


def test_baseline_is_clean_and_in_range(baseline: pd.DataFrame) -> None:
    assert not baseline.isna().any().any()
    for column, (low, high) in data.VALID_RANGES.items():
        assert baseline[column].between(low, high).all(), column
    for column, allowed in data.CATEGORIES.items():
        assert set(baseline[column]) <= set(allowed), column
    assert 0.04 < baseline["defaulted"].mean() < 0.15


def test_default_depends_on_risk(baseline: pd.DataFrame) -> None:
    risky = baseline["debt_to_income"] > baseline["debt_to_income"].quantile(0.8)
    safe = baseline["debt_to_income"] < baseline["debt_to_income"].quantile(0.2)
    assert baseline.loc[risky, "defaulted"].mean() > 1.5 * baseline.loc[safe, "defaulted"].mean()


def _after(frame: pd.DataFrame, month: str = "2024-07") -> pd.Series:
    return frame["month"] >= month


def test_covariate_drift_moves_features_not_before() -> None:
    drifted = generate_applications(6_000, seed=7, scenario="covariate_drift")
    clean = generate_applications(6_000, seed=7)
    late = _after(drifted)
    assert drifted.loc[late, "credit_score"].mean() < clean.loc[late, "credit_score"].mean() - 20
    assert drifted.loc[late, "annual_income"].median() < clean.loc[late, "annual_income"].median()
    early_gap = abs(drifted.loc[~late, "credit_score"].mean() - clean.loc[~late, "credit_score"].mean())
    assert early_gap < 1e-9


def test_concept_drift_raises_default_rate_for_same_features() -> None:
    drifted = generate_applications(8_000, seed=3, scenario="concept_drift")
    clean = generate_applications(8_000, seed=3)
    late = _after(drifted)
    pd.testing.assert_series_equal(drifted.loc[late, "credit_score"], clean.loc[late, "credit_score"])
    assert drifted.loc[late, "defaulted"].mean() > clean.loc[late, "defaulted"].mean() + 0.03


def test_partner_nulls_hit_only_the_affected_source_after_the_incident() -> None:
    frame = generate_applications(6_000, seed=5, scenario="partner_nulls", affected_source="broker_alpha")
    nulls = frame["annual_income"].isna()
    assert nulls.sum() > 100
    assert set(frame.loc[nulls, "source"]) == {"broker_alpha"}
    assert frame.loc[nulls, "month"].min() >= "2024-07"


def test_renamed_column_moves_values_to_new_name() -> None:
    frame = generate_applications(6_000, seed=5, scenario="renamed_column")
    assert "yearly_income" in frame.columns
    moved = frame["yearly_income"].notna()
    assert set(frame.loc[moved, "source"]) == {"broker_beta"}
    assert frame.loc[moved, "annual_income"].isna().all()


def test_out_of_range_values_are_injected() -> None:
    frame = generate_applications(6_000, seed=5, scenario="out_of_range")
    invalid = pd.Series(False, index=frame.index)
    for column, (low, high) in data.VALID_RANGES.items():
        invalid |= ~frame[column].between(low, high)
    assert invalid.sum() > 50
    assert set(frame.loc[invalid, "source"]) == {"broker_beta"}


def test_duplicates_repeat_application_ids() -> None:
    frame = generate_applications(6_000, seed=5, scenario="duplicates")
    assert len(frame) > 6_000
    assert frame["application_id"].duplicated().sum() == len(frame) - 6_000


def test_late_labels_delay_recent_months() -> None:
    frame = generate_applications(6_000, seed=5, scenario="late_labels")
    delay = (frame["label_available_at"] - frame["application_date"]).dt.days
    late = _after(frame)
    assert delay[late].min() > delay[~late].max()
    known = data.labelled_as_of(frame, "2025-01-31")
    assert known["month"].max() < "2024-12"


def test_scenarios_combine_and_intensity_zero_is_baseline() -> None:
    combined = generate_applications(3_000, seed=9, scenario=["partner_nulls", "duplicates"])
    assert combined["annual_income"].isna().any() and combined["application_id"].duplicated().any()
    pd.testing.assert_frame_equal(
        generate_applications(3_000, seed=9, scenario="covariate_drift", intensity=0.0),
        generate_applications(3_000, seed=9),
    )


def test_every_scenario_is_documented() -> None:
    table = data.scenario_table()
    assert list(table["scenario"]) == list(SCENARIOS)
    for name in SCENARIOS:
        generate_applications(600, scenario=name)


@pytest.mark.parametrize(
    ("kwargs", "expected_words"),
    [
        ({"scenario": "alien_invasion"}, ["scenario", "alien_invasion", "baseline"]),
        ({"n_rows": -5}, ["n_rows", "positive"]),
        ({"n_rows": 0}, ["n_rows"]),
        ({"n_months": 0}, ["n_months", "1 to 120"]),
        ({"n_months": 500}, ["n_months"]),
        ({"start": "January"}, ["start", "2024-01"]),
        ({"start": "2024-13"}, ["start", "YYYY-MM"]),
        ({"incident_month": 12}, ["incident_month", "0 to 11"]),
        ({"affected_source": "nobody"}, ["affected_source", "broker_beta"]),
        ({"seed": -1}, ["seed"]),
        ({"intensity": 9}, ["intensity"]),
    ],
)
def test_bad_arguments_raise_clear_value_errors(kwargs: dict, expected_words: list[str]) -> None:
    with pytest.raises(ValueError) as error:
        generate_applications(**({"n_rows": 1_200} | kwargs))
    for word in expected_words:
        assert word in str(error.value)


def test_split_by_month_and_batches() -> None:
    frame = generate_applications(2_400, seed=1)
    train, test = data.split_by_month(frame, "2024-10")
    assert len(train) + len(test) == len(frame)
    assert train["month"].max() < "2024-10" <= test["month"].min()
    with pytest.raises(ValueError, match="empty"):
        data.split_by_month(frame, "2030-01")
    with pytest.raises(ValueError, match="first_test_month"):
        data.split_by_month(frame, "soon")
    batches = list(data.iter_batches(frame, 500))
    assert [len(b) for b in batches] == [500, 500, 500, 500, 400]
    with pytest.raises(ValueError, match="batch_size"):
        list(data.iter_batches(frame, 0))


def test_fingerprint_sees_any_change() -> None:
    frame = generate_applications(1_000, seed=1)
    changed = frame.copy()
    changed.loc[5, "age"] += 1
    assert data.dataset_fingerprint(changed) != data.dataset_fingerprint(frame)
    assert data.dataset_fingerprint(frame.astype({"age": float})) != data.dataset_fingerprint(frame)
    assert len(data.dataset_fingerprint(frame)) == 16 and all(
        c in "0123456789abcdef" for c in data.dataset_fingerprint(frame)
    )
    assert np.isfinite(frame["annual_income"]).all()
