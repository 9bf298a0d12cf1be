"""The course's credit-default model: one scikit-learn pipeline, preprocessing included.

Preprocessing lives inside the model (a ``ColumnTransformer`` in a ``Pipeline``), so the
exact same transformation runs at training and at serving time: no skew by construction.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd
from sklearn.compose import ColumnTransformer
from sklearn.impute import SimpleImputer
from sklearn.metrics import accuracy_score, average_precision_score, brier_score_loss, roc_auc_score
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

from mlops_course.checks import BadType, check_frame, check_number, describe
from mlops_course.data import CATEGORICAL_FEATURES, NUMERIC_FEATURES, TARGET

MODEL_KINDS = ("logistic", "gradient_boosting", "random_forest")


def build_credit_pipeline(
    kind: str = "logistic",
    *,
    random_state: int = 42,
    numeric: Sequence[str] = NUMERIC_FEATURES,
    categorical: Sequence[str] = CATEGORICAL_FEATURES,
    **params: object,
) -> Pipeline:
    """Build the preprocessing-and-model pipeline (not yet fitted).

    Args:
        kind: ``"logistic"`` (fast, the default), ``"gradient_boosting"`` or ``"random_forest"``.
        random_state: seed of the estimator.
        numeric: numeric feature columns (median-imputed, scaled).
        categorical: categorical feature columns (most-frequent-imputed, one-hot; unknown
            categories at serving time are ignored, not an error).
        params: extra parameters of the estimator, e.g. ``C=0.5`` or ``max_depth=3``.

    Returns:
        A ``Pipeline`` with steps ``preprocess`` and ``model``.
    """
    if kind == "logistic":
        from sklearn.linear_model import LogisticRegression

        estimator = LogisticRegression(max_iter=1000, random_state=random_state, **params)
    elif kind == "gradient_boosting":
        from sklearn.ensemble import HistGradientBoostingClassifier

        estimator = HistGradientBoostingClassifier(random_state=random_state, **params)
    elif kind == "random_forest":
        from sklearn.ensemble import RandomForestClassifier

        estimator = RandomForestClassifier(random_state=random_state, n_jobs=1, **params)
    else:
        raise ValueError(f"kind {kind!r} is unknown; choose from: {', '.join(MODEL_KINDS)}.")
    preprocess = ColumnTransformer(
        [
            (
                "numeric",
                Pipeline([("impute", SimpleImputer(strategy="median")), ("scale", StandardScaler())]),
                list(numeric),
            ),
            (
                "categorical",
                Pipeline(
                    [
                        ("impute", SimpleImputer(strategy="most_frequent")),
                        ("onehot", OneHotEncoder(handle_unknown="ignore", sparse_output=False)),
                    ]
                ),
                list(categorical),
            ),
        ],
        verbose_feature_names_out=False,
    )
    return Pipeline([("preprocess", preprocess), ("model", estimator)])


def train_credit_model(
    frame: pd.DataFrame, kind: str = "logistic", *, random_state: int = 42, **params: Any
) -> Pipeline:
    """Fit the credit pipeline on a frame of labelled applications.

    Args:
        frame: applications with the feature columns and ``defaulted``.
        kind: see :func:`build_credit_pipeline`.
        random_state: seed of the estimator.
        params: extra estimator parameters.

    Returns:
        The fitted pipeline.

    Raises:
        ValueError: columns are missing or the label has a single class.
    """
    check_frame("frame", frame, non_empty=False)
    missing = [c for c in (*NUMERIC_FEATURES, *CATEGORICAL_FEATURES, TARGET) if c not in frame.columns]
    if missing:
        raise ValueError(
            f"the training frame lacks columns {missing}; generate it with mlops_course.data.generate_applications."
        )
    check_frame("frame", frame, numeric=NUMERIC_FEATURES)
    labels = frame[TARGET]
    if labels.isna().any():
        raise ValueError("the training frame has rows without a label; drop them (labels arrive late) before training.")
    if labels.nunique() < 2:
        raise ValueError("the training frame has a single class in 'defaulted'; use more rows or more months.")
    pipeline = build_credit_pipeline(kind, random_state=random_state, **params)
    return pipeline.fit(frame[list(NUMERIC_FEATURES + CATEGORICAL_FEATURES)], labels.astype(int))


def evaluate_credit_model(model: Pipeline, frame: pd.DataFrame, threshold: float = 0.5) -> dict[str, float]:
    """Score a fitted model on labelled applications.

    Args:
        model: a fitted pipeline with ``predict_proba``.
        frame: labelled applications.
        threshold: probability above which an application is predicted to default.

    Returns:
        ``roc_auc``, ``average_precision``, ``brier`` and ``accuracy``, rounded to 4 digits.
    """
    threshold = check_number("threshold", threshold, low=0.0, high=1.0, low_open=True, high_open=True)
    if not callable(getattr(model, "predict_proba", None)):
        raise BadType(f"model must be a fitted pipeline with predict_proba, got {describe(model)}.")
    check_frame("frame", frame, required=[*NUMERIC_FEATURES, *CATEGORICAL_FEATURES, TARGET], numeric=NUMERIC_FEATURES)
    labels = frame[TARGET].astype(int).to_numpy()
    if len(np.unique(labels)) < 2:
        raise ValueError("the evaluation frame needs both classes in 'defaulted' to compute ROC AUC.")
    scores = model.predict_proba(frame[list(NUMERIC_FEATURES + CATEGORICAL_FEATURES)])[:, 1]
    return {
        "roc_auc": round(float(roc_auc_score(labels, scores)), 4),
        "average_precision": round(float(average_precision_score(labels, scores)), 4),
        "brier": round(float(brier_score_loss(labels, scores)), 4),
        "accuracy": round(float(accuracy_score(labels, scores >= threshold)), 4),
    }


__all__ = ["MODEL_KINDS", "build_credit_pipeline", "evaluate_credit_model", "train_credit_model"]
