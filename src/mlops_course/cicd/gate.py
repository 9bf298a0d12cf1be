"""The quality gate: may a candidate model replace the champion?"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from mlops_course.checks import BadType, check_number


@dataclass(frozen=True)
class GateDecision:
    """Whether a candidate passed the gate, and why not."""

    passed: bool
    reasons: tuple[str, ...]


def quality_gate(
    candidate: Mapping[str, float], champion: Mapping[str, float] | None, min_roc_auc: float, max_roc_auc_drop: float
) -> GateDecision:
    """Decide whether ``candidate`` may replace ``champion`` (``None`` when there is none yet).

    The candidate fails when its ``roc_auc`` is below ``min_roc_auc`` or more than
    ``max_roc_auc_drop`` below the champion's. A NaN ``roc_auc`` (a failed evaluation) always
    fails, the candidate's or the champion's: the gate never passes what it cannot compare.
    """
    min_roc_auc = check_number("min_roc_auc", min_roc_auc, low=0.5, high=1.0)
    max_roc_auc_drop = check_number("max_roc_auc_drop", max_roc_auc_drop, low=0.0, high=0.5)
    auc = _metric("candidate", candidate)
    reasons = []
    if auc != auc:  # NaN: a broken evaluation never passes the gate
        reasons.append("roc_auc is NaN (the evaluation failed); a candidate without a score cannot pass")
    elif auc < min_roc_auc:
        reasons.append(f"roc_auc {auc:.4f} is below the floor {min_roc_auc:.4f}")
    best = None if champion is None else _metric("champion", champion)
    if best is not None and best != best:
        reasons.append("the champion's roc_auc is NaN; fix its record before comparing against it")
    elif best is not None and auc == auc and auc < best - max_roc_auc_drop:
        reasons.append(f"roc_auc {auc:.4f} is more than {max_roc_auc_drop:.4f} below the champion's {best:.4f}")
    return GateDecision(not reasons, tuple(reasons))


def _metric(name: str, metrics: object) -> float:
    """The ``roc_auc`` of a metrics mapping as a float (NaN kept: the gate fails it)."""
    if not isinstance(metrics, Mapping) or "roc_auc" not in metrics:
        keys = sorted(map(str, metrics)) if isinstance(metrics, Mapping) else type(metrics).__name__
        raise BadType(f"{name} must be a mapping of metrics with 'roc_auc', got {keys}")
    value = metrics["roc_auc"]
    if isinstance(value, bool) or not isinstance(value, (int, float)) and not hasattr(value, "__float__"):
        raise BadType(f"{name}['roc_auc'] must be a number, got {value!r}")
    try:
        return float(value)
    except (TypeError, ValueError):
        raise BadType(f"{name}['roc_auc'] must be a number, got {value!r}") from None


def evaluation_metrics(model: Any, frame: Any) -> dict[str, float]:
    """What a quality gate looks at, for ``model`` scored on the labelled applications ``frame``.

    Returns:
        ``roc_auc`` (ranking, higher is better), ``brier`` (mean squared error of the predicted
        probability of default, lower is better; prices are set from it) and
        ``worst_partner_auc`` (the lowest ROC AUC among the partners in ``source``), rounded to 4 places.
    """
    import numpy as np
    from sklearn.metrics import roc_auc_score

    from mlops_course.data import TARGET

    if TARGET not in getattr(frame, "columns", ()) or "source" not in frame.columns:
        raise ValueError(f"frame must be labelled applications with {TARGET!r} and 'source' columns")
    risk = np.asarray(model.predict_proba(frame)[:, 1], dtype=float)
    labels = frame[TARGET].to_numpy()
    by_partner = [
        float(roc_auc_score(labels[mask], risk[mask]))
        for mask in (frame["source"].to_numpy() == source for source in sorted(frame["source"].unique()))
        if len(set(labels[mask])) == 2
    ]
    return {
        "roc_auc": round(float(roc_auc_score(labels, risk)), 4),
        "brier": round(float(np.mean((risk - labels) ** 2)), 4),
        "worst_partner_auc": round(min(by_partner), 4),
    }
