"""The credit pipeline: preprocessing inside the model, clear errors on bad input."""

from __future__ import annotations

import pandas as pd
import pytest

from mlops_course.data import generate_applications, split_by_month
from mlops_course.models import build_credit_pipeline, evaluate_credit_model, train_credit_model


@pytest.fixture(scope="module")
def frames() -> tuple[pd.DataFrame, pd.DataFrame]:
    return split_by_month(generate_applications(4_000, seed=3), "2024-10")


def test_trained_model_beats_chance_and_is_deterministic(frames) -> None:
    train, test = frames
    first = evaluate_credit_model(train_credit_model(train), test)
    second = evaluate_credit_model(train_credit_model(train), test)
    assert first == second
    assert first["roc_auc"] > 0.65
    assert set(first) == {"roc_auc", "average_precision", "brier", "accuracy"}


def test_pipeline_handles_nulls_and_unknown_categories(frames) -> None:
    train, test = frames
    model = train_credit_model(train)
    odd = test.head(20).copy()
    odd.loc[odd.index[:5], "annual_income"] = None
    odd.loc[odd.index[5:10], "loan_purpose"] = "spaceship"
    scores = model.predict_proba(odd)[:, 1]
    assert len(scores) == 20 and ((scores >= 0) & (scores <= 1)).all()


@pytest.mark.parametrize("kind", ["gradient_boosting", "random_forest"])
def test_other_model_kinds_train(frames, kind: str) -> None:
    train, test = frames
    params = {"max_iter": 30} if kind == "gradient_boosting" else {"n_estimators": 20}
    assert evaluate_credit_model(train_credit_model(train, kind, **params), test)["roc_auc"] > 0.6


def test_bad_input_gets_clear_errors(frames) -> None:
    train, test = frames
    with pytest.raises(ValueError, match="kind 'svm' is unknown"):
        build_credit_pipeline("svm")
    with pytest.raises(ValueError, match="lacks columns"):
        train_credit_model(train.drop(columns=["age"]))
    with pytest.raises(ValueError, match="single class"):
        train_credit_model(train[train["defaulted"] == 0])
    with pytest.raises(ValueError, match="threshold"):
        evaluate_credit_model(train_credit_model(train), test, threshold=1.5)
