"""The quality gate: may a candidate model replace the champion?"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any


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
    ``max_roc_auc_drop`` below the champion's.
    """
    if not 0.5 <= min_roc_auc <= 1.0 or not 0.0 <= max_roc_auc_drop <= 0.5:
        raise ValueError(
            f"min_roc_auc must be in [0.5, 1] and max_roc_auc_drop in [0, 0.5], got {min_roc_auc}, {max_roc_auc_drop}"
        )
    if "roc_auc" not in candidate:
        raise ValueError(f"candidate metrics need 'roc_auc', got keys {sorted(candidate)}")
    auc = float(candidate["roc_auc"])
    reasons = []
    if auc < min_roc_auc:
        reasons.append(f"roc_auc {auc:.4f} is below the floor {min_roc_auc:.4f}")
    if champion is not None and auc < float(champion["roc_auc"]) - max_roc_auc_drop:
        reasons.append(
            f"roc_auc {auc:.4f} is more than {max_roc_auc_drop:.4f} below the champion's {float(champion['roc_auc']):.4f}"
        )
    return GateDecision(not reasons, tuple(reasons))


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
