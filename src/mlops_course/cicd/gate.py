"""The quality gate: may a candidate model replace the champion?"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass


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
