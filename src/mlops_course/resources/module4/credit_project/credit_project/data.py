"""Load the applications and check them against the data contract."""

import pandas as pd

from mlops_course.cicd.config import ProjectConfig
from mlops_course.data import ID_COLUMN, TARGET, VALID_RANGES, generate_applications, split_by_month

from credit_project.features import CATEGORICAL, NUMERIC


def load_applications(config: ProjectConfig) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The (train, holdout) applications the configuration names."""
    frame = generate_applications(config.data.n_rows, n_months=config.data.n_months, seed=config.data.seed)
    return split_by_month(frame, config.data.first_holdout_month)


def validate_applications(frame: pd.DataFrame) -> list[str]:
    """The data contract's violations, one line each (empty when the frame is fine)."""
    missing = [c for c in [ID_COLUMN, *NUMERIC, *CATEGORICAL, TARGET] if c not in frame.columns]
    if missing:
        return [f"missing columns: {missing}"]
    problems = [f"{c}: {n} nulls" for c, n in frame[NUMERIC + CATEGORICAL].isna().sum().items() if n]
    for column, (low, high) in VALID_RANGES.items():
        outside = int((~frame[column].between(low, high) & frame[column].notna()).sum())
        if column in NUMERIC and outside:
            problems.append(f"{column}: {outside} values outside [{low}, {high}]")
    if frame[ID_COLUMN].duplicated().any():
        problems.append(f"{ID_COLUMN}: {int(frame[ID_COLUMN].duplicated().sum())} duplicates")
    if not set(frame[TARGET].unique()) <= {0, 1}:
        problems.append(f"{TARGET}: labels other than 0 and 1")
    return problems
