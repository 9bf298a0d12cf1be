"""Behavioural tests of the course's credit model (mlops_course.models), the kinds module 4 teaches.

Invariance: what must not move the prediction. Directional: what must move it one way.
Minimum functionality: cases any acceptable model gets right, and a floor on ROC AUC.
"""

from __future__ import annotations

import numpy as np
import pytest

from mlops_course.data import generate_applications, split_by_month
from mlops_course.models import evaluate_credit_model, train_credit_model


@pytest.fixture(scope="module")
def split():
    return split_by_month(generate_applications(6_000, seed=11), "2024-10")


@pytest.fixture(scope="module")
def model(split):
    return train_credit_model(split[0])


def risk(model, frame) -> np.ndarray:
    return model.predict_proba(frame)[:, 1]


@pytest.mark.parametrize(
    ("column", "value"), [("source", "broker_beta"), ("channel", "branch"), ("application_id", "APP-X")]
)
def test_invariance_to_where_and_under_which_id_an_application_arrives(model, split, column, value):
    sample = split[1].head(300)
    np.testing.assert_allclose(risk(model, sample.assign(**{column: value})), risk(model, sample), atol=1e-12)


@pytest.mark.parametrize(
    ("column", "step", "expected_sign"),
    [("credit_score", 60, -1), ("debt_to_income", 0.15, 1), ("interest_rate", 0.03, 1)],
)
def test_direction_of_the_main_risk_drivers(model, split, column, step, expected_sign):
    sample = split[1].head(300)
    change = risk(model, sample.assign(**{column: sample[column] + step})) - risk(model, sample)
    assert (expected_sign * change > 0).all(), (
        f"raising {column} should move every prediction with sign {expected_sign}"
    )


def test_minimum_functionality_obvious_cases(model, split):
    base = split[1].head(1)
    safe = base.assign(
        credit_score=820, debt_to_income=0.05, interest_rate=0.05, employment_type="salaried", home_ownership="own"
    )
    risky = base.assign(
        credit_score=480, debt_to_income=0.95, interest_rate=0.30, employment_type="unemployed", loan_purpose="business"
    )
    assert risk(model, risky)[0] > 0.3 > 0.05 > risk(model, safe)[0]


def test_minimum_functionality_quality_floor(model, split):
    metrics = evaluate_credit_model(model, split[1])
    assert metrics["roc_auc"] > 0.68, metrics
    assert metrics["brier"] < 0.1, metrics
