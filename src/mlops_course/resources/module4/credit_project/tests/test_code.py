"""Code tests: the data contract catches what it promises to catch."""

import pandas as pd

from credit_project.data import validate_applications
from credit_project.features import CATEGORICAL, NUMERIC


def test_contract_accepts_clean_data(applications):
    assert validate_applications(applications) == []


def test_contract_catches_nulls_ranges_and_duplicates(applications):
    broken = applications.head(50).copy()
    broken.loc[broken.index[0], "credit_score"] = 9_999
    broken.loc[broken.index[1], "annual_income"] = None
    broken = pd.concat([broken, broken.iloc[[2]]])
    problems = " ".join(validate_applications(broken))
    assert "credit_score" in problems and "annual_income" in problems and "duplicates" in problems


def test_features_are_distinct():
    assert not set(NUMERIC) & set(CATEGORICAL)
