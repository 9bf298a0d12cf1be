"""Monitoring a served model: prediction drift and quality (with late labels) per window.

- :func:`evidently_window_report` runs an Evidently 0.7 report on one window: drift of the
  predicted probability (PSI, with its test) and, where labels are known, ROC AUC and the
  log loss with their tests.
- :func:`plot_monitoring_timeline` draws a metric per window with its alert threshold.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from mlops_course.checks import check_frame, check_number
from mlops_course.i18n import tr
from mlops_course.psi import PSI_MAJOR

PREDICTION = "prediction"
LABEL = "defaulted"


def evidently_status(status: Any) -> str:
    """Evidently's test status (an enum such as ``TestStatus.SUCCESS``) as ``PASS``, ``FAIL``, ``WARNING`` or ``ERROR``."""
    if status is None or isinstance(status, (int, float)):
        raise TypeError(f"status must be an Evidently test status (e.g. TestStatus.SUCCESS), got {status!r}.")
    name = str(getattr(status, "value", status)).split(".")[-1].upper()
    return "PASS" if name == "SUCCESS" else name


def evidently_window_report(
    reference: pd.DataFrame,
    current: pd.DataFrame,
    *,
    psi_threshold: float = PSI_MAJOR,
    min_roc_auc: float = 0.70,
    max_log_loss: float = 0.35,
) -> tuple[dict[str, Any], Any]:
    """Run an Evidently 0.7 report on one window of served predictions.

    Args:
        reference: frame with ``prediction`` (probability of default) and ``defaulted``,
            from the period the model was validated on.
        current: the window's frame with ``prediction``; ``defaulted`` holds the labels
            known so far (NaN where not yet known).
        psi_threshold: drift alert level of the prediction's PSI.
        min_roc_auc: lowest acceptable ROC AUC on labelled rows.
        max_log_loss: highest acceptable log loss on labelled rows (it grows when
            probabilities are miscalibrated, e.g. after concept drift).

    Returns:
        ``(summary, snapshot)``: the summary has ``rows``, ``labelled``, ``prediction_psi``,
        ``drift_test``, ``roc_auc``, ``roc_auc_test``, ``log_loss``, ``log_loss_test`` and
        ``calibration_gap`` (observed default rate minus mean prediction; tests are
        ``"PASS"``/``"FAIL"``; quality is ``NaN`` and its tests ``"NO LABELS"`` when fewer
        than 50 labelled rows or one class); the snapshot can be saved with ``save_html``.
    """
    from evidently import BinaryClassification, DataDefinition, Dataset, Report
    from evidently.metrics import LogLoss, RocAuc, ValueDrift
    from evidently.tests import gte, lte

    for name, frame in (("reference", reference), ("current", current)):
        if PREDICTION not in frame.columns:
            raise ValueError(f"{name} needs a {PREDICTION!r} column with the predicted probability of default.")
    labelled = current.dropna(subset=[LABEL]) if LABEL in current.columns else current.iloc[:0]
    has_quality = len(labelled) >= 50 and labelled[LABEL].nunique() == 2
    numeric = DataDefinition(numerical_columns=[PREDICTION])
    metrics: list[Any] = [ValueDrift(column=PREDICTION, method="psi", threshold=psi_threshold)]
    snapshot = Report(metrics, include_tests=True).run(
        Dataset.from_pandas(current[[PREDICTION]], data_definition=numeric),
        Dataset.from_pandas(reference[[PREDICTION]], data_definition=numeric),
    )
    result = snapshot.dict()
    psi = float(result["metrics"][0]["value"])
    summary: dict[str, Any] = {
        "rows": int(len(current)),
        "labelled": int(len(labelled)),
        "prediction_psi": round(psi, 3),
        "drift_test": "FAIL" if psi >= psi_threshold else "PASS",
        "roc_auc": float("nan"),
        "roc_auc_test": "NO LABELS",
        "log_loss": float("nan"),
        "log_loss_test": "NO LABELS",
        "calibration_gap": float("nan"),
    }
    if has_quality:
        definition = DataDefinition(
            numerical_columns=[PREDICTION],
            classification=[BinaryClassification(target=LABEL, prediction_probas=PREDICTION)],
        )
        quality = Report([RocAuc(tests=[gte(min_roc_auc)]), LogLoss(tests=[lte(max_log_loss)])]).run(
            Dataset.from_pandas(labelled[[PREDICTION, LABEL]].astype({LABEL: int}), data_definition=definition), None
        )
        values = [float(m["value"]) for m in quality.dict()["metrics"]]
        statuses = [evidently_status(t["status"]) for t in quality.dict()["tests"]]
        summary.update(
            roc_auc=round(values[0], 3),
            roc_auc_test=statuses[0],
            log_loss=round(values[1], 3),
            log_loss_test=statuses[1],
            calibration_gap=round(float(labelled[LABEL].mean() - labelled[PREDICTION].mean()), 3),
        )
    return summary, snapshot


def plot_monitoring_timeline(
    table: pd.DataFrame,
    column: str,
    threshold: float,
    *,
    ax=None,
    title: str | None = None,
    ylabel: str | None = None,
    alert_above: bool = True,
):
    """Plot ``table[column]`` per window (the index) with the alert threshold; returns the axes.

    Windows whose value crosses the threshold (above it when ``alert_above``, else below)
    are marked in red.
    """
    import matplotlib.pyplot as plt

    check_frame("table", table, non_empty=False)
    threshold = check_number("threshold", threshold)
    if column not in table.columns:
        raise ValueError(f"column {column!r} is not in the table; it has: {', '.join(map(str, table.columns))}.")
    if ax is None:
        _, ax = plt.subplots(figsize=(7, 3), dpi=80)
    labels = [str(i) for i in table.index]
    values = table[column].to_numpy(dtype=float)
    ax.plot(labels, values, marker="o", color="tab:blue", label=column)
    ax.axhline(threshold, color="tab:red", linestyle="--", label=tr("plot.alert_threshold", threshold=f"{threshold:g}"))
    crossed = values > threshold if alert_above else values < threshold
    ax.scatter(np.array(labels)[crossed], values[crossed], color="tab:red", zorder=3, s=60, label=tr("plot.alert"))
    ax.set_title(title or tr("plot.per_window", column=column))
    ax.set_xlabel(tr("plot.window"))
    ax.set_ylabel(ylabel or column)
    ax.tick_params(axis="x", rotation=45)
    ax.legend(loc="best", fontsize=8)
    return ax


__all__ = ["evidently_window_report", "plot_monitoring_timeline", "evidently_status"]
