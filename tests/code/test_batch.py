"""Unit tests for mlops_course.production.batch (the batch scoring job)."""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest

from mlops_course.production.batch import SCORE_COLUMNS, run_batch_job, score_frame


class FakeRegistry:
    def __init__(self, aliases):
        self.aliases = aliases

    def get_registered_model(self, name):
        return SimpleNamespace(aliases=dict(self.aliases))


class FakeModel:
    """Probability of default = x / 100, as two columns like predict_proba."""

    def __init__(self):
        self.calls = 0

    def predict(self, frame):
        self.calls += 1
        p = frame["x"].to_numpy(dtype=float) / 100
        return np.column_stack([1 - p, p])


APPLICATIONS = pd.DataFrame(
    {
        "application_id": [f"APP-{i}" for i in range(6)],
        "month": ["2025-01"] * 4 + ["2025-02"] * 2,
        "x": [10.0, 30.0, 50.0, 29.0, 90.0, 5.0],
    }
)
FIXED_TIME = dt.datetime(2025, 2, 1, 6, 0, tzinfo=dt.UTC)


def test_batch_job_scores_one_month_with_the_alias_version_and_writes_it(tmp_path):
    loaded = []

    def loader(name, version):
        loaded.append((name, version))
        return FakeModel()

    result = run_batch_job(
        FakeRegistry({"champion": "2"}),
        "credit",
        "champion",
        APPLICATIONS,
        "2025-01",
        features=["x"],
        out_dir=tmp_path,
        loader=loader,
        clock=lambda: FIXED_TIME,
    )
    assert loaded == [("credit", 2)]
    assert result.model_version == 2 and result.rows == 4
    assert result.path == tmp_path / "scores_2025-01_v2.parquet"
    scores = pd.read_parquet(result.path)
    assert list(scores.columns) == list(SCORE_COLUMNS)
    np.testing.assert_allclose(scores["probability"], [0.1, 0.3, 0.5, 0.29])
    assert scores["refuse"].tolist() == [False, True, True, False]
    assert set(scores["model_version"]) == {2} and set(scores["alias"]) == {"champion"}
    assert scores["scored_at"].iloc[0] == pd.Timestamp(FIXED_TIME)
    again = run_batch_job(
        FakeRegistry({"champion": "2"}), "credit", "champion", APPLICATIONS, "2025-01",
        features=["x"], out_dir=tmp_path, loader=loader, clock=lambda: FIXED_TIME,
    )  # fmt: skip
    assert again.path == result.path and len(list(tmp_path.iterdir())) == 1


def test_batch_job_refuses_a_missing_alias_or_month(tmp_path):
    common = {"features": ["x"], "out_dir": tmp_path, "loader": lambda n, v: FakeModel()}
    with pytest.raises(LookupError, match="champion"):
        run_batch_job(FakeRegistry({}), "credit", "champion", APPLICATIONS, "2025-01", **common)
    with pytest.raises(ValueError, match="2025-03"):
        run_batch_job(FakeRegistry({"champion": "1"}), "credit", "champion", APPLICATIONS, "2025-03", **common)
    with pytest.raises(ValueError, match="threshold"):
        run_batch_job(
            FakeRegistry({"champion": "1"}), "credit", "champion", APPLICATIONS, "2025-01", threshold=1.0, **common
        )


def test_score_frame_works_in_chunks_and_checks_features():
    model = FakeModel()
    probabilities = score_frame(model, APPLICATIONS, ["x"], chunk_size=4)
    assert model.calls == 2
    np.testing.assert_allclose(probabilities, APPLICATIONS["x"] / 100)
    with pytest.raises(ValueError, match="feature columns"):
        score_frame(model, APPLICATIONS, ["x", "y"])
