"""Batch scoring: score a whole month of applications with the registered model, offline.

The online server answers one application at a time, within milliseconds, for a decision
someone is waiting for. A batch job scores many rows at once, on a schedule, for decisions
nobody waits on (a monthly portfolio review, a marketing list, a risk report). Both load
the model the same way, by alias from the registry, so they never disagree on which
version is in production; every scored row carries the version that scored it.
"""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from mlops_course.util import atomic_write_bytes

#: Loads a model version: ``loader(model_name, version)`` -> object with ``predict(frame)``.
Loader = Callable[[str, int], Any]
#: The columns of a scores file, in order.
SCORE_COLUMNS: tuple[str, ...] = (
    "application_id",
    "month",
    "probability",
    "refuse",
    "model_name",
    "model_version",
    "alias",
    "scored_at",
)


@dataclass(frozen=True)
class BatchResult:
    """What a batch job wrote: the file, the version that scored, the number of rows."""

    path: Path
    model_version: int
    rows: int


def _mlflow_loader(model_name: str, version: int) -> Any:
    import mlflow

    return mlflow.pyfunc.load_model(f"models:/{model_name}/{version}")


def score_frame(model: Any, frame: pd.DataFrame, features: Sequence[str], *, chunk_size: int = 5_000) -> np.ndarray:
    """Probabilities of default for every row of ``frame``, in chunks of ``chunk_size`` rows."""
    if chunk_size < 1:
        raise ValueError(f"chunk_size must be at least 1, got {chunk_size!r}.")
    missing = [c for c in features if c not in frame.columns]
    if missing:
        raise ValueError(f"frame lacks the feature columns {missing}; the model needs all of {list(features)}.")
    parts = []
    for start in range(0, len(frame), chunk_size):
        raw = model.predict(frame.iloc[start : start + chunk_size][list(features)])
        values = np.asarray(raw.to_numpy() if hasattr(raw, "to_numpy") else raw, dtype=float)
        parts.append(values[:, -1] if values.ndim == 2 else values.reshape(-1))
    return np.concatenate(parts) if parts else np.empty(0)


def run_batch_job(
    client: Any,
    model_name: str,
    alias: str,
    applications: pd.DataFrame,
    month: str,
    *,
    features: Sequence[str],
    out_dir: str | Path,
    threshold: float = 0.3,
    loader: Loader | None = None,
    clock: Callable[[], dt.datetime] | None = None,
) -> BatchResult:
    """Score one month of applications with the version behind ``alias`` and write a Parquet file.

    Args:
        client: an ``mlflow.MlflowClient`` (or a fake with ``get_registered_model``).
        model_name: the registered model.
        alias: the alias to score with, e.g. ``"champion"``; resolved once, at the start.
        applications: applications with ``application_id``, ``month`` and the features.
        month: the month to score, ``"YYYY-MM"``.
        features: the model's input columns.
        out_dir: folder of the scores files.
        threshold: refuse when the probability of default is at least this.
        loader: loads one version; defaults to ``mlflow.pyfunc.load_model``.
        clock: returns the time written in ``scored_at`` (UTC now by default).

    Returns:
        A :class:`BatchResult`. The file is ``scores_<month>_v<version>.parquet``: one row per
        application with the columns of :data:`SCORE_COLUMNS`; running the job again
        replaces it (written atomically).

    Raises:
        LookupError: the alias is not set.
        ValueError: the month has no applications, or an argument is out of range.
    """
    if not 0.0 < float(threshold) < 1.0:
        raise ValueError(f"threshold must lie strictly between 0 and 1, got {threshold!r}.")
    for column in ("application_id", "month"):
        if column not in applications.columns:
            raise ValueError(f"applications needs the column {column!r}.")
    rows = applications[applications["month"] == month]
    if rows.empty:
        raise ValueError(
            f"no applications in month {month!r}; months present: {sorted(applications['month'].unique())}."
        )
    aliases = client.get_registered_model(model_name).aliases
    if alias not in aliases:
        raise LookupError(f"alias {alias!r} is not set on model {model_name!r}.")
    version = int(aliases[alias])
    model = (loader or _mlflow_loader)(model_name, version)
    probabilities = score_frame(model, rows, features)
    scored_at = (clock or (lambda: dt.datetime.now(dt.UTC)))()
    scores = pd.DataFrame(
        {
            "application_id": rows["application_id"].to_numpy(),
            "month": rows["month"].to_numpy(),
            "probability": probabilities.round(6),
            "refuse": probabilities >= float(threshold),
            "model_name": model_name,
            "model_version": version,
            "alias": alias,
            "scored_at": pd.Timestamp(scored_at),
        },
        columns=list(SCORE_COLUMNS),
    )
    path = Path(out_dir) / f"scores_{month}_v{version}.parquet"
    buffer = io.BytesIO()
    scores.to_parquet(buffer, index=False)
    atomic_write_bytes(path, buffer.getvalue())
    return BatchResult(path=path, model_version=version, rows=len(scores))


__all__ = ["SCORE_COLUMNS", "BatchResult", "run_batch_job", "score_frame"]
