"""Unit tests for mlops_course.production.fairness (rates by group with Fairlearn)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from mlops_course.production.fairness import age_band, group_metrics, threshold_sweep


def test_age_bands_have_readable_labels_and_include_their_lower_edge():
    assert age_band([18, 29, 30, 49, 50, 85]).tolist() == ["18-29", "18-29", "30-49", "30-49", "50+", "50+"]
    with pytest.raises(ValueError, match="edges"):
        age_band([30], edges=(50, 30))
    with pytest.raises(ValueError, match="missing"):
        age_band([30, None])


def test_group_metrics_match_a_hand_count():
    labels = [0, 0, 1, 1, 0, 0, 0, 1]
    refuse = [1, 0, 1, 0, 0, 0, 1, 1]
    groups = ["a", "a", "a", "a", "b", "b", "b", "b"]
    by_group = group_metrics(labels, refuse, groups).by_group
    # group a: approved 2 of 4; good payers (0,0) one refused; defaulters (1,1) one approved
    assert by_group.loc["a", "applications"] == 4
    assert by_group.loc["a", "approval_rate"] == pytest.approx(0.5)
    assert by_group.loc["a", "false_refusal_rate"] == pytest.approx(0.5)
    assert by_group.loc["a", "missed_default_rate"] == pytest.approx(0.5)
    # group b: good payers (0,0,0) one refused; the defaulter refused
    assert by_group.loc["b", "false_refusal_rate"] == pytest.approx(1 / 3)
    assert by_group.loc["b", "missed_default_rate"] == pytest.approx(0.0)
    assert by_group.loc["b", "default_rate"] == pytest.approx(0.25)
    with pytest.raises(ValueError, match="one length"):
        group_metrics(labels, refuse[:3], groups)
    with pytest.raises(ValueError, match="0 and 1"):
        group_metrics([2] * 8, refuse, groups)


def test_a_higher_threshold_approves_more_in_every_group():
    rng = np.random.default_rng(0)
    probabilities = rng.uniform(0, 1, 400)
    labels = (rng.uniform(0, 1, 400) < probabilities).astype(int)
    groups = pd.Series(np.where(np.arange(400) % 2, "odd", "even"))
    sweep = threshold_sweep(labels, probabilities, groups, [0.2, 0.5])
    assert list(sweep.columns[:2]) == ["threshold", "group"]
    approval = sweep.pivot(index="threshold", columns="group", values="approval_rate")
    assert (approval.loc[0.5] > approval.loc[0.2]).all()
    with pytest.raises(ValueError, match="thresholds"):
        threshold_sweep(labels, probabilities, groups, [0.0])
