"""Behavioural tests: invariance, direction, minimum functionality."""

import numpy as np
from sklearn.metrics import roc_auc_score

from credit_project.model import default_probability


def test_invariance_where_the_application_came_from(model, applications):
    sample = applications.head(200)
    moved = sample.assign(source="broker_beta", channel="broker")
    np.testing.assert_allclose(default_probability(model, moved), default_probability(model, sample), atol=1e-9)


def test_direction_better_credit_score_lowers_risk(model, applications):
    sample = applications.head(200)
    better = sample.assign(credit_score=(sample["credit_score"] + 80).clip(upper=850))
    assert (default_probability(model, better) <= default_probability(model, sample) + 1e-9).all()


def test_minimum_functionality(model, applications):
    holdout = applications[applications["month"] >= "2024-10"]
    assert roc_auc_score(holdout["defaulted"], default_probability(model, holdout)) > 0.65
    safe = holdout.head(1).assign(credit_score=820, debt_to_income=0.1, employment_type="salaried")
    risky = holdout.head(1).assign(credit_score=450, debt_to_income=0.9, employment_type="unemployed")
    assert default_probability(model, risky)[0] > default_probability(model, safe)[0]
