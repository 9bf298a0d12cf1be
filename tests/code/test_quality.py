"""Unit tests of mlops_course.dataquality.quality: dimensions, contract loading, schema and record rules."""

from __future__ import annotations

import pandas as pd
import pytest

from mlops_course.data import generate_applications
from mlops_course.dataquality.quality import (
    check_schema,
    completeness,
    consistency,
    contract_path,
    find_violations,
    load_contract,
    parse_contract,
    reasons_by_record,
    timeliness,
    uniqueness,
    validity,
    violation_summary,
)


@pytest.fixture(scope="module")
def contract():
    return load_contract()


@pytest.fixture(scope="module")
def baseline():
    return generate_applications(1_200, n_months=2, seed=3)


def test_baseline_keeps_the_contract(contract, baseline):
    assert check_schema(baseline, contract) == []
    actual = find_violations(baseline, contract)
    assert actual.empty, violation_summary(actual)
    assert (reasons_by_record(baseline, actual) == "").all()
    assert uniqueness(baseline) == 0
    assert consistency(baseline).sum() == 0
    assert validity(baseline).max() == 0.0


def test_partner_nulls_are_allowed_but_measured(contract):
    frame = generate_applications(1_200, n_months=2, seed=3, scenario="partner_nulls", incident_month=1)
    expected_share = frame["annual_income"].isna().mean()
    assert expected_share > 0
    assert completeness(frame)["annual_income"] == pytest.approx(expected_share)
    assert find_violations(frame, contract).empty  # annual_income is nullable (imputed) in the contract


def test_out_of_range_rows_are_exactly_the_impossible_ones(contract):
    frame = generate_applications(2_000, n_months=2, seed=5, scenario="out_of_range", incident_month=1)
    expected = set(
        frame.index[
            (frame["age"] > 100)
            | (frame["annual_income"] < 0)
            | (frame["credit_score"] > 850)
            | (frame["debt_to_income"] > 1.5)
        ]
    )
    actual = find_violations(frame, contract)
    assert set(actual["row"]) == expected and expected
    assert set(actual["rule"]) == {"out_of_range"}


def test_duplicates_renamed_column_and_unknown_category_are_caught(contract):
    frame = generate_applications(
        2_000, n_months=2, seed=5, scenario=["duplicates", "renamed_column"], incident_month=1
    )
    frame.loc[0, "home_ownership"] = "castle"
    reasons = reasons_by_record(frame, find_violations(frame, contract))
    assert reasons.str.contains("duplicate:application_id").sum() == frame["application_id"].duplicated().sum() > 0
    assert reasons.str.contains("unexpected_column:yearly_income").sum() == frame["yearly_income"].notna().sum() > 0
    assert "not_allowed:home_ownership" in reasons.loc[0]
    assert "unexpected column 'yearly_income'" in check_schema(frame, contract)


def test_seen_keys_and_freshness(contract, baseline):
    first_id = baseline["application_id"].iloc[0]
    actual = find_violations(baseline, contract, seen_keys=[first_id], as_of=baseline["application_date"].max())
    assert first_id in set(baseline.loc[actual.loc[actual["rule"] == "duplicate", "row"], "application_id"])
    stale = actual.loc[actual["rule"] == "stale", "row"]
    limit = baseline["application_date"].max() - pd.Timedelta(days=30)
    assert set(stale) == set(baseline.index[baseline["application_date"] < limit])


def test_missing_required_column_flags_every_record(contract, baseline):
    frame = baseline.drop(columns=["credit_score"])
    assert "missing column 'credit_score'" in check_schema(frame, contract)
    actual = find_violations(frame, contract)
    assert (actual["rule"] == "missing").sum() == len(frame)


def test_consistency_and_timeliness_detect_injected_problems(baseline):
    frame = baseline.copy()
    frame.loc[frame.index[:3], "channel"] = "branch" if frame["channel"].iloc[0] != "branch" else "online"
    assert consistency(frame)["channel matches source"] == 3
    moment = frame["application_date"].max() + pd.Timedelta(days=10)
    assert timeliness(frame, moment)["data_age_days"] == 10.0


def test_contract_file_and_bad_contracts(contract):
    assert contract_path().is_file()
    assert contract.primary_key == "application_id"
    assert set(contract.imputable()) == {"annual_income", "employment_years"}
    data = contract.model_dump()
    data["columns"]["age"]["min"] = 200
    with pytest.raises(ValueError, match="columns.age"):
        parse_contract(data)
    data = contract.model_dump()
    data["primary_key"] = "nope"
    with pytest.raises(ValueError, match="primary_key"):
        parse_contract(data)


def test_bad_input_is_explained(contract, tmp_path):
    with pytest.raises(ValueError, match="DataFrame"):
        find_violations([1, 2], contract)
    with pytest.raises(ValueError, match="does not exist"):
        load_contract(tmp_path / "missing.yaml")
    (tmp_path / "list.yaml").write_text("- a\n- b\n")
    with pytest.raises(ValueError, match="mapping"):
        load_contract(tmp_path / "list.yaml")
    with pytest.raises(ValueError, match="key"):
        uniqueness(pd.DataFrame({"a": [1]}), key="id")
