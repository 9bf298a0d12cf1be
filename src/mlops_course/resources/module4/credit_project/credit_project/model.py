"""Fit and score the credit model."""

import numpy as np
import pandas as pd
from sklearn.pipeline import Pipeline

from mlops_course.cicd.config import ProjectConfig
from mlops_course.data import TARGET
from mlops_course.models import build_credit_pipeline

from credit_project.features import CATEGORICAL, NUMERIC


def fit(frame: pd.DataFrame, config: ProjectConfig) -> Pipeline:
    """Fit the pipeline (preprocessing included) on labelled applications."""
    params = {"C": config.model.C} if config.model.kind == "logistic" else {}
    pipeline = build_credit_pipeline(
        config.model.kind, random_state=config.model.random_state, numeric=NUMERIC, categorical=CATEGORICAL, **params
    )
    return pipeline.fit(frame[NUMERIC + CATEGORICAL], frame[TARGET])


def default_probability(model: Pipeline, frame: pd.DataFrame) -> np.ndarray:
    """The predicted probability of default for each application."""
    return model.predict_proba(frame[NUMERIC + CATEGORICAL])[:, 1]
