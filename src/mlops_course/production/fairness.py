"""Fairness across groups for the credit decision, with Fairlearn's ``MetricFrame``.

The decision is *refuse* when the predicted probability of default is at least a threshold.
For each group of applicants (here: age bands) the metrics are:

- ``approval_rate``: share of applicants approved (what demographic parity compares);
- ``false_refusal_rate``: share of applicants who would have repaid but were refused
  (the false positive rate of "refuse");
- ``missed_default_rate``: share of applicants who defaulted but were approved
  (the false negative rate);
- ``default_rate``: share who defaulted (the base rate, which differs between groups);
- ``applications``: how many, so a reader can judge the noise.

Equalized odds compares the two error rates across groups.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from mlops_course.checks import BadType, check_numeric_series, describe

#: Lower edges of the age bands: 18-29, 30-49, 50 and over.
AGE_BAND_EDGES: tuple[int, ...] = (30, 50)


def age_band(ages: object, edges: Sequence[int] = AGE_BAND_EDGES) -> pd.Series:
    """Age bands as labels (``"18-29"``, ``"30-49"``, ``"50+"`` for the default edges)."""
    if ages is None or isinstance(ages, (str, bytes)):
        raise BadType(f"ages must be a list or Series of ages, got {describe(ages)}.")
    values = pd.Series(ages)
    check_numeric_series("ages", values)
    if values.isna().any():
        raise ValueError("ages has missing values; band them only after filling or dropping them.")
    if list(edges) != sorted(edges) or len(set(edges)) != len(edges) or not edges:
        raise ValueError(f"edges must be increasing ages such as (30, 50), got {edges!r}.")
    labels = [f"18-{edges[0] - 1}"]
    labels += [f"{low}-{high - 1}" for low, high in zip(edges[:-1], edges[1:], strict=True)]
    labels.append(f"{edges[-1]}+")
    bins = [-np.inf, *edges, np.inf]
    return pd.cut(values, bins=bins, labels=labels, right=False).astype(str).rename("age_band")


def _metrics() -> dict[str, Any]:
    from fairlearn.metrics import count, false_negative_rate, false_positive_rate, selection_rate

    return {
        "applications": count,
        "approval_rate": lambda y_true, y_pred: 1.0 - selection_rate(y_true, y_pred),
        "false_refusal_rate": false_positive_rate,
        "missed_default_rate": false_negative_rate,
        "default_rate": lambda y_true, y_pred: float(np.mean(y_true)),
    }


def group_metrics(labels: object, refuse: object, groups: object) -> Any:
    """Decision metrics per group, as a Fairlearn ``MetricFrame``.

    Args:
        labels: 1 if the loan defaulted, else 0.
        refuse: 1 (True) if the model refused the application, else 0.
        groups: the group of each applicant (e.g. :func:`age_band`).

    Returns:
        A ``MetricFrame``: ``.by_group`` (a row per group), ``.overall``, ``.difference()``.
    """
    from fairlearn.metrics import MetricFrame

    y, decisions = _zeros_and_ones("labels", labels), _zeros_and_ones("refuse", refuse)
    sensitive = pd.Series(np.asarray(groups), name=getattr(groups, "name", None) or "group")
    if not len(y) == len(decisions) == len(sensitive):
        raise ValueError(
            f"labels, refuse and groups must have one length, got {len(y)}, {len(decisions)}, {len(sensitive)}."
        )
    if len(y) == 0 or not set(np.unique(y)) <= {0, 1} or not set(np.unique(decisions)) <= {0, 1}:
        raise ValueError("labels and refuse must be non-empty and hold only 0 and 1.")
    return MetricFrame(metrics=_metrics(), y_true=y, y_pred=decisions, sensitive_features=sensitive)


def _zeros_and_ones(name: str, values: object) -> np.ndarray:
    """``values`` as an int array, or a clear error naming the argument (``None``, NaN, ``'yes'``)."""
    try:
        return np.asarray(values, dtype=int)
    except (TypeError, ValueError):
        raise BadType(f"{name} must be a list of 0 and 1 (no missing values), got {describe(values)}.") from None


def threshold_sweep(labels: object, probabilities: object, groups: object, thresholds: Sequence[float]) -> pd.DataFrame:
    """Approval and error rates per group for each refusal threshold.

    Returns:
        One row per (threshold, group) with the metrics of :func:`group_metrics`.
    """
    p = np.asarray(probabilities, dtype=float)
    if not len(thresholds) or any(not 0.0 < float(t) < 1.0 for t in thresholds):
        raise ValueError(
            f"thresholds must be a non-empty list of numbers strictly between 0 and 1, got {thresholds!r}."
        )
    frames = []
    for threshold in thresholds:
        by_group = group_metrics(labels, p >= float(threshold), groups).by_group
        frames.append(by_group.assign(threshold=float(threshold)))
    table = pd.concat(frames).reset_index(names="group")
    return table[["threshold", "group", *[c for c in table.columns if c not in ("threshold", "group")]]]


__all__ = ["AGE_BAND_EDGES", "age_band", "group_metrics", "threshold_sweep"]
