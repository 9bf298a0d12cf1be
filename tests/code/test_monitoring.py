"""Unit tests for mlops_course.production.monitoring (Evidently window report, timeline plot)."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import numpy as np
import pandas as pd
import pytest

from mlops_course.production.monitoring import (
    evidently_status,
    evidently_window_report,
    plot_monitoring_timeline,
)


def test_test_status_normalises_evidently_enums():
    from evidently.legacy.tests.base_test import TestStatus

    assert evidently_status(TestStatus.SUCCESS) == "PASS"
    assert evidently_status(TestStatus.FAIL) == "FAIL"
    assert evidently_status("TestStatus.WARNING") == "WARNING"


def _window(rng, n, a, b, labelled=True):
    prediction = rng.beta(a, b, n)
    labels = (rng.random(n) < prediction).astype(float)
    if not labelled:
        labels[:] = np.nan
    return pd.DataFrame({"prediction": prediction, "defaulted": labels})


def test_evidently_window_report_flags_drift_and_poor_calibration():
    rng = np.random.default_rng(1)
    reference = _window(rng, 2_000, 2, 12)
    stable, _ = evidently_window_report(reference, _window(rng, 800, 2, 12), max_log_loss=0.5)
    shifted = _window(rng, 800, 8, 5)
    shifted["defaulted"] = (rng.random(800) < 0.05).astype(float)  # predictions far above the truth
    drifted, snapshot = evidently_window_report(reference, shifted, max_log_loss=0.5)
    assert stable["drift_test"] == "PASS" and stable["log_loss_test"] == "PASS"
    assert drifted["drift_test"] == "FAIL" and drifted["prediction_psi"] > 0.2
    assert drifted["log_loss_test"] == "FAIL"
    assert drifted["calibration_gap"] < -0.2
    assert hasattr(snapshot, "save_html")


def test_evidently_window_report_without_labels_skips_quality():
    rng = np.random.default_rng(2)
    summary, _ = evidently_window_report(_window(rng, 1_000, 2, 12), _window(rng, 300, 2, 12, labelled=False))
    assert summary["labelled"] == 0
    assert summary["roc_auc_test"] == "NO LABELS" and np.isnan(summary["roc_auc"])


def test_evidently_window_report_needs_prediction_column():
    frame = pd.DataFrame({"score": [0.1, 0.2]})
    with pytest.raises(ValueError, match="prediction"):
        evidently_window_report(frame, frame)


def test_timeline_plot_has_title_labels_and_marks_alerts():
    table = pd.DataFrame({"psi": [0.05, 0.3, 0.1]}, index=["2024-01", "2024-02", "2024-03"])
    ax = plot_monitoring_timeline(table, "psi", 0.2, title="Drift")
    assert ax.get_title() == "Drift" and ax.get_xlabel() and ax.get_ylabel()
    alert_points = ax.collections[0].get_offsets()
    assert len(alert_points) == 1
    with pytest.raises(ValueError, match="not in the table"):
        plot_monitoring_timeline(table, "auc", 0.7)
