"""When should the training pipeline run again? Schedule, new data and drift triggers.

A trigger policy looks at the state of the world (today, the last training run, how many
new labelled rows arrived, how far the inputs drifted) and answers with the reasons to
retrain, if any. Orchestrators implement the same three ideas: a cron schedule, a sensor
on new data, and an alert from monitoring that starts a run.

A trigger is not yet a retrain: retraining needs *labels*, and in credit they arrive weeks or
months after the application. :meth:`TriggerPolicy.decide` therefore answers ``"retrain"``
only when enough new labelled rows arrived since the last run; a trigger that fires with too
few (a drift alarm the month the inputs moved) answers ``"wait for labels"``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

from mlops_course.checks import check_count, check_number
from mlops_course.psi import PSI_MAJOR


@dataclass(frozen=True)
class TriggerPolicy:
    """When to retrain.

    Args:
        max_days_between_runs: the schedule: retrain at least this often (days).
        min_new_rows: retrain once this many new labelled rows have arrived.
        max_psi: retrain when any monitored column's PSI exceeds this (default: the
            course's "major shift" threshold, :data:`mlops_course.psi.PSI_MAJOR`).
        min_labelled_rows: a retrain needs at least this many new labelled rows; a trigger
            that fires with fewer waits for labels (see :meth:`decide`).
    """

    max_days_between_runs: int = 90
    min_new_rows: int = 2_000
    max_psi: float = PSI_MAJOR
    min_labelled_rows: int = 1

    def __post_init__(self) -> None:
        check_count("max_days_between_runs", self.max_days_between_runs, low=1)
        check_count("min_new_rows", self.min_new_rows, low=1)
        check_number("max_psi", self.max_psi, low=0, low_open=True)
        check_count("min_labelled_rows", self.min_labelled_rows, low=1)
        if self.max_days_between_runs < 1:
            raise ValueError(f"max_days_between_runs must be at least 1 day, got {self.max_days_between_runs!r}.")
        if self.min_new_rows < 1:
            raise ValueError(f"min_new_rows must be at least 1, got {self.min_new_rows!r}.")
        if not self.max_psi > 0:
            raise ValueError(f"max_psi must be positive (0.1-0.25 are usual), got {self.max_psi!r}.")
        if self.min_labelled_rows < 1:
            raise ValueError(f"min_labelled_rows must be at least 1, got {self.min_labelled_rows!r}.")

    def reasons(
        self,
        today: str | pd.Timestamp,
        last_run: str | pd.Timestamp,
        new_rows: int,
        psi_by_column: dict[str, float] | None = None,
    ) -> list[str]:
        """The reasons to retrain now (empty: no trigger fires).

        Args:
            today: the current date.
            last_run: the date the pipeline last trained the model.
            new_rows: labelled rows that arrived since ``last_run``.
            psi_by_column: the latest drift measure per monitored column.

        Returns:
            A list of ``"schedule: ..."``, ``"new data: ..."`` and ``"drift: ..."`` reasons.
        """
        today, last_run = pd.Timestamp(today), pd.Timestamp(last_run)
        if today < last_run:
            raise ValueError(f"today ({today.date()}) is before the last run ({last_run.date()}).")
        if new_rows < 0:
            raise ValueError(f"new_rows must be zero or more, got {new_rows!r}.")
        reasons = []
        days = (today - last_run).days
        if days >= self.max_days_between_runs:
            reasons.append(f"schedule: {days} days since the last run (every {self.max_days_between_runs})")
        if new_rows >= self.min_new_rows:
            reasons.append(f"new data: {new_rows} new labelled rows (threshold {self.min_new_rows})")
        drifted = {c: v for c, v in (psi_by_column or {}).items() if v > self.max_psi}
        if drifted:
            worst = max(drifted, key=drifted.__getitem__)
            reasons.append(f"drift: PSI of {worst} is {drifted[worst]:.2f} (threshold {self.max_psi})")
        return reasons

    def decide(
        self,
        today: str | pd.Timestamp,
        last_run: str | pd.Timestamp,
        new_rows: int,
        psi_by_column: dict[str, float] | None = None,
    ) -> TriggerDecision:
        """What to do now: ``"retrain"``, ``"wait for labels"`` (a trigger fired, too few new labels) or ``"none"``.

        Args:
            today, last_run, new_rows, psi_by_column: as for :meth:`reasons`.

        Returns:
            A :class:`TriggerDecision` with the action and the reasons that fired.
        """
        reasons = self.reasons(today, last_run, new_rows, psi_by_column)
        if not reasons:
            return TriggerDecision("none", reasons)
        if new_rows < self.min_labelled_rows:
            return TriggerDecision("wait for labels", reasons)
        return TriggerDecision("retrain", reasons)


@dataclass(frozen=True)
class TriggerDecision:
    """A trigger policy's answer: ``action`` is ``"retrain"``, ``"wait for labels"`` or ``"none"``."""

    action: str
    reasons: list[str] = field(default_factory=list)

    @property
    def retrain(self) -> bool:
        """Whether the pipeline should run now."""
        return self.action == "retrain"

    @property
    def triggers(self) -> str:
        """The names of the triggers that fired, e.g. ``"schedule; drift"``, or ``"-"``."""
        return "; ".join(r.split(":")[0] for r in self.reasons) or "-"


__all__ = ["TriggerDecision", "TriggerPolicy"]
