"""Drift: PSI and KS computed by hand, and thin wrappers around Evidently 0.7.

The hand-made statistics show what a drift tool does underneath. :func:`psi` bins the
reference by its quantiles (the textbook PSI) or, with ``binning="sturges"``, exactly as
Evidently's ``psi`` method does (Sturges bins over both samples), so the two can be compared
number for number. Evidently is imported only inside the functions that use it (it takes
seconds to import).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from mlops_course.checks import check_count, check_frame, check_number, check_numeric_series
from mlops_course.data import CATEGORICAL_FEATURES, NUMERIC_FEATURES
from mlops_course.paths import course_data_dir
from mlops_course.psi import PSI_MAJOR, PSI_MODERATE, binned_shares, nonmissing_values, psi

if TYPE_CHECKING:  # pragma: no cover
    from evidently.core.report import Snapshot


def ks_statistic(reference: object, current: object) -> float:
    """Two-sample Kolmogorov-Smirnov statistic: the largest gap between the two empirical CDFs."""
    ref, cur = (
        np.sort(
            check_numeric_series("reference", pd.Series(nonmissing_values(reference, "reference"))).to_numpy(float)
        ),
        np.sort(check_numeric_series("current", pd.Series(nonmissing_values(current, "current"))).to_numpy(float)),
    )
    grid = np.concatenate([ref, cur])
    ref_cdf = np.searchsorted(ref, grid, side="right") / len(ref)
    cur_cdf = np.searchsorted(cur, grid, side="right") / len(cur)
    return float(np.max(np.abs(ref_cdf - cur_cdf)))


def drift_table(
    reference: pd.DataFrame,
    current: pd.DataFrame,
    numeric: Sequence[str] = NUMERIC_FEATURES,
    categorical: Sequence[str] = CATEGORICAL_FEATURES,
    threshold: float = PSI_MAJOR,
) -> pd.DataFrame:
    """PSI of every feature between two frames, largest first.

    Returns:
        Columns ``column``, ``psi`` (rounded to 4 digits) and ``drifted`` (``psi >= threshold``).
    """
    threshold = check_number("threshold", threshold, low=0, low_open=True)
    check_frame("reference", reference)
    check_frame("current", current)
    missing = [c for c in (*numeric, *categorical) if c not in reference.columns or c not in current.columns]
    if missing:
        raise ValueError(
            f"columns {missing} are missing from reference or current; compare frames with the same features."
        )
    rows = [(c, psi(reference[c], current[c])) for c in numeric]
    rows += [(c, psi(reference[c], current[c], binning="category")) for c in categorical]
    table = pd.DataFrame(rows, columns=["column", "psi"])
    table["psi"] = table["psi"].round(4)
    table["drifted"] = table["psi"] >= threshold
    return table.sort_values("psi", ascending=False, ignore_index=True)


def drift_by_group(
    reference: pd.DataFrame,
    current: pd.DataFrame,
    group: str,
    columns: Sequence[str] = NUMERIC_FEATURES,
    min_rows: int = 30,
) -> pd.DataFrame:
    """PSI of each column for each group of ``current`` (e.g. each ``source``) against the whole reference.

    Returns:
        One row per group with enough rows (``min_rows``): the group, its ``rows``, the PSI
        of every column and ``max_psi``, sorted by ``max_psi`` descending.
    """
    check_frame("reference", reference)
    check_frame("current", current, non_empty=False)
    min_rows = check_count("min_rows", min_rows, low=1)
    if group not in current.columns:
        raise ValueError(f"group {group!r} is not a column of current; try 'source' or 'channel'.")
    rows = []
    for name, part in current.groupby(group, sort=True):
        if len(part) < min_rows:
            continue
        scores = {c: psi(reference[c], part[c]) if part[c].notna().any() else float("nan") for c in columns}
        rows.append({group: name, "rows": len(part), **scores})
    table = pd.DataFrame(rows)
    if table.empty:
        return table
    table["max_psi"] = table[list(columns)].max(axis=1)
    return table.sort_values("max_psi", ascending=False, ignore_index=True).round(4)


# --- Evidently 0.7 ------------------------------------------------------------------------
def evidently_drift_report(
    reference: pd.DataFrame,
    current: pd.DataFrame,
    numeric: Sequence[str] = NUMERIC_FEATURES,
    categorical: Sequence[str] = CATEGORICAL_FEATURES,
    *,
    per_column_method: Mapping[str, str] | None = None,
    per_column_threshold: Mapping[str, float] | None = None,
    drift_share: float = 0.5,
) -> Snapshot:
    """Run Evidently's ``DataDriftPreset`` (with its per-column tests) on two frames.

    Args:
        reference, current: frames with the feature columns.
        numeric, categorical: the columns to compare.
        per_column_method: e.g. ``{"annual_income": "psi"}``; other columns use
            Evidently's defaults (chosen by column type and size).
        per_column_threshold: e.g. ``{"annual_income": 0.25}``.
        drift_share: the dataset counts as drifted when at least this share of columns drift.

    Returns:
        Evidently's ``Snapshot`` (``.dict()``, ``.save_html(path)``).
    """
    from evidently import DataDefinition, Dataset, Report
    from evidently.presets import DataDriftPreset

    if not 0 < drift_share <= 1:
        raise ValueError(f"drift_share must be in (0, 1], got {drift_share!r}.")
    columns = [*numeric, *categorical]
    missing = [c for c in columns if c not in reference.columns or c not in current.columns]
    if missing:
        raise ValueError(f"columns {missing} are missing from reference or current.")
    definition = DataDefinition(numerical_columns=list(numeric), categorical_columns=list(categorical))
    ref = Dataset.from_pandas(reference[columns].reset_index(drop=True), data_definition=definition)
    cur = Dataset.from_pandas(current[columns].reset_index(drop=True), data_definition=definition)
    preset = DataDriftPreset(
        columns=columns,
        drift_share=drift_share,
        per_column_method=dict(per_column_method) if per_column_method else None,
        per_column_threshold=dict(per_column_threshold) if per_column_threshold else None,
    )
    return Report([preset], include_tests=True).run(cur, ref)


def summarise_drift(snapshot: Snapshot) -> pd.DataFrame:
    """Per-column drift from an Evidently snapshot: ``column``, ``method``, ``score``, ``threshold``, ``drifted``.

    ``drifted`` is the outcome of Evidently's own per-column test (a failed test means drift).
    """
    result = snapshot.dict()
    status = {t["metric_config"]["metric_id"]: str(getattr(t["status"], "value", t["status"])) for t in result["tests"]}
    rows = []
    for metric in result["metrics"]:
        config = metric["config"]
        if not config.get("type", "").endswith("ValueDrift"):
            continue
        rows.append(
            {
                "column": config["column"],
                "method": config["method"],
                "score": round(float(metric["value"]), 4),
                "threshold": config.get("threshold"),
                "drifted": status.get(metric["id"]) == "FAIL",
            }
        )
    if not rows:
        raise ValueError("the snapshot has no ValueDrift metrics; run it with DataDriftPreset.")
    return pd.DataFrame(rows)


def drifted_share(snapshot: Snapshot) -> tuple[int, float]:
    """``(count, share)`` of drifted columns reported by the preset's ``DriftedColumnsCount``."""
    for metric in snapshot.dict()["metrics"]:
        if metric["config"].get("type", "").endswith("DriftedColumnsCount"):
            return int(metric["value"]["count"]), round(float(metric["value"]["share"]), 4)
    raise ValueError("the snapshot has no DriftedColumnsCount metric; run it with DataDriftPreset.")


def save_report(snapshot: Snapshot, name: str, folder: str | Path | None = None) -> Path:
    """Save an Evidently snapshot as a standalone HTML file (by default under ``.course-data/reports/module6``).

    Returns:
        The path of the written file.
    """
    if not name or any(ch in name for ch in "/\\"):
        raise ValueError(f"name must be a plain file name such as 'drift_2024-07', got {name!r}.")
    target_dir = Path(folder) if folder is not None else course_data_dir("reports", "module6")
    target_dir.mkdir(parents=True, exist_ok=True)
    path = target_dir / (name if name.endswith(".html") else f"{name}.html")
    snapshot.save_html(str(path))
    return path


__all__ = [
    "PSI_MAJOR",
    "PSI_MODERATE",
    "binned_shares",
    "drift_by_group",
    "drift_table",
    "drifted_share",
    "evidently_drift_report",
    "ks_statistic",
    "psi",
    "save_report",
    "summarise_drift",
]
