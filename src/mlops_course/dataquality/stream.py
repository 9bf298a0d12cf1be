"""Handling data problems in real time: a micro-batch handler that loses nothing.

:func:`simulate_stream` builds a stream of applications with incidents injected month by
month. :class:`StreamHandler` takes the stream one micro-batch at a time and, for every
record, decides: **quarantine** it (with a reason) when it breaks the data contract,
**impute** the columns the contract allows to be imputed, score it with the model or, when
the batch is too degraded or the model fails, with a **fallback**. It raises **alerts**
and asks for **retraining** when drift persists. Every record ends up processed or
quarantined: ``processed + quarantined == received``, checked after every batch.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from mlops_course.checks import BadType, check_callable, check_count, check_frame, check_number, describe
from mlops_course.data import DATE_COLUMN, ID_COLUMN, NUMERIC_FEATURES, SCENARIOS, SOURCES, generate_applications
from mlops_course.dataquality.quality import DataContract, find_violations, reasons_by_record
from mlops_course.psi import PSI_MAJOR, psi

Scorer = Callable[[pd.DataFrame], np.ndarray]
EVENT_KINDS = ("contract", "completeness", "quality", "fallback", "model_error", "drift", "retrain")
LEDGER_COLUMNS = ("application_id", "batch", "source", "status", "route", "reason", "imputed", "score")


@dataclass(frozen=True)
class Incident:
    """A production incident to inject: ``scenario`` on ``source`` from ``first_month`` to ``last_month`` (inclusive, 0-based)."""

    scenario: str
    first_month: int
    last_month: int
    source: str = "broker_beta"
    intensity: float = 1.0

    def __post_init__(self) -> None:
        check_count("first_month", self.first_month)
        check_count("last_month", self.last_month)
        check_number("intensity", self.intensity, low=0)
        if self.scenario not in SCENARIOS or self.scenario == "baseline":
            raise ValueError(
                f"scenario {self.scenario!r} is not an incident; choose from: {', '.join(list(SCENARIOS)[1:])}."
            )
        if not 0 <= self.first_month <= self.last_month:
            raise ValueError(
                f"months must satisfy 0 <= first_month <= last_month, got {self.first_month}..{self.last_month}."
            )
        if self.source not in SOURCES:
            raise ValueError(f"source {self.source!r} is unknown; choose from: {', '.join(SOURCES)}.")


def simulate_stream(
    incidents: Sequence[Incident] = (),
    *,
    n_months: int = 6,
    rows_per_month: int = 1_000,
    start: str = "2024-07",
    seed: int = 0,
) -> pd.DataFrame:
    """Applications month after month, with each incident active in its months.

    Application ids are made unique across months (``APP-M03-0000123``); a re-sent record
    keeps its id, so duplicates stay duplicates.

    Raises:
        ValueError: bad arguments, or two incidents hit different sources in the same month.
    """
    if not isinstance(n_months, int) or n_months < 1:
        raise ValueError(f"n_months must be a positive whole number, got {n_months!r}.")
    rows_per_month = check_count("rows_per_month", rows_per_month, low=1)
    months = pd.period_range(pd.Period(start, freq="M"), periods=n_months, freq="M")
    frames = []
    for index, month in enumerate(months):
        active = [i for i in incidents if i.first_month <= index <= i.last_month]
        sources = {i.source for i in active if i.scenario not in ("covariate_drift", "concept_drift", "late_labels")}
        if len(sources) > 1:
            raise ValueError(
                f"month {index} has incidents on several sources {sorted(sources)}; use one source per month."
            )
        frame = generate_applications(
            rows_per_month,
            n_months=1,
            start=str(month),
            seed=seed * 1_000 + index,
            scenario=[i.scenario for i in active] or "baseline",
            incident_month=0,
            affected_source=sources.pop() if sources else "broker_beta",
            intensity=max([i.intensity for i in active], default=1.0),
        )
        frame[ID_COLUMN] = frame[ID_COLUMN].str.replace("APP-", f"APP-M{index:02d}-", regex=False)
        frames.append(frame)
    return pd.concat(frames, ignore_index=True)


@dataclass
class StreamConfig:
    """Thresholds of the handler (the quality plan's numbers)."""

    max_quarantine_share: float = 0.05  # alert when more of a batch is quarantined
    max_imputed_share: float = 0.10  # above this, imputed records go to the fallback
    drift_threshold: float = PSI_MAJOR  # PSI of a numeric feature that counts as drift (the course's major shift)
    drift_window: int = 600  # processed records the drift check looks at
    drift_patience: int = 3  # consecutive drifted batches before retraining is requested
    drift_columns: tuple[str, ...] = NUMERIC_FEATURES

    def __post_init__(self) -> None:
        for name in ("max_quarantine_share", "max_imputed_share"):
            check_number(name, getattr(self, name), low=0, high=1)
        check_number("drift_threshold", self.drift_threshold, low=0, low_open=True)
        check_count("drift_window", self.drift_window, low=50)
        check_count("drift_patience", self.drift_patience, low=1)
        for name in ("max_quarantine_share", "max_imputed_share"):
            if not 0 <= getattr(self, name) <= 1:
                raise ValueError(f"{name} must be a share between 0 and 1, got {getattr(self, name)!r}.")
        if self.drift_threshold <= 0 or self.drift_window < 50 or self.drift_patience < 1:
            raise ValueError("drift_threshold must be > 0, drift_window >= 50 and drift_patience >= 1.")


@dataclass
class StreamHandler:
    """Process micro-batches against a contract; quarantine, impute, fall back, alert, request retraining.

    Args:
        contract: the data contract each record must keep.
        reference: clean reference records (the training data): imputation medians and drift baseline.
        scorer: the model, as ``frame -> default probability``; ``None`` leaves scores empty.
        fallback_scorer: used when the model cannot be trusted for a record; by default the
            reference default rate (a conservative constant).
        on_retrain: called with the batch number when retraining is requested.
        config: thresholds.
    """

    contract: DataContract
    reference: pd.DataFrame
    scorer: Scorer | None = None
    fallback_scorer: Scorer | None = None
    on_retrain: Callable[[int], None] | None = None
    config: StreamConfig = field(default_factory=StreamConfig)

    def __post_init__(self) -> None:
        if not isinstance(self.contract, DataContract):
            raise BadType(f"contract must be a DataContract (see load_contract()), got {describe(self.contract)}.")
        check_frame("reference", self.reference)
        for name in ("scorer", "fallback_scorer", "on_retrain"):
            if getattr(self, name) is not None:
                check_callable(name, getattr(self, name))
        missing = [c for c in self.config.drift_columns if c not in self.reference.columns]
        if missing or len(self.reference) < 50:
            raise ValueError(f"reference needs at least 50 rows and the drift columns; missing {missing}.")
        self.medians = {c: float(self.reference[c].median()) for c in self.contract.imputable()}
        self._seen: set[object] = set()
        self._window: deque[pd.DataFrame] = deque()
        self._drifted_batches = 0
        self._ledger: list[pd.DataFrame] = []
        self._quarantine: list[pd.DataFrame] = []
        self.events: list[dict[str, object]] = []
        self.drift_history: list[dict[str, object]] = []
        self.batches = 0
        self.received = self.processed = self.quarantined = 0
        self.retrain_requested_at: list[int] = []

    # -- public ---------------------------------------------------------------------------
    def process(self, batch: pd.DataFrame) -> dict[str, int]:
        """Handle one micro-batch; return its counts (received, processed, quarantined, imputed, fallback)."""
        if not isinstance(batch, pd.DataFrame):
            raise ValueError(f"batch must be a pandas DataFrame, got {type(batch).__name__}.")
        number, self.batches = self.batches, self.batches + 1
        batch = batch.reset_index(drop=True)
        when = batch[DATE_COLUMN].max() if DATE_COLUMN in batch.columns and len(batch) else pd.NaT
        violations = find_violations(batch, self.contract, as_of=when, seen_keys=self._seen)
        reasons = reasons_by_record(batch, violations)
        if ID_COLUMN in batch.columns:
            self._seen.update(batch[ID_COLUMN].dropna())
        bad = reasons != ""
        good = batch[~bad].copy()
        imputed, route, scores = self._impute_and_score(good, number, when)
        self._account(batch, bad, reasons, good, imputed, route, scores, number)
        self._alert_on_quality(batch, bad, violations, number, when)
        self._check_drift(batch[~bad], number, when)
        counts = {
            "received": len(batch),
            "processed": int((~bad).sum()),
            "quarantined": int(bad.sum()),
            "imputed": int((imputed != "").sum()),
            "fallback": int((route == "fallback").sum()),
        }
        if self.processed + self.quarantined != self.received:  # the promise: nothing is lost
            raise RuntimeError(
                f"records lost: {self.received} received, {self.processed} processed, {self.quarantined} quarantined"
            )
        return counts

    @property
    def ledger(self) -> pd.DataFrame:
        """One row per received record: where it went and why."""
        if not self._ledger:
            return pd.DataFrame(columns=list(LEDGER_COLUMNS))
        return pd.concat(self._ledger, ignore_index=True)

    @property
    def quarantine(self) -> pd.DataFrame:
        """The quarantined records as received, with ``reason`` and ``batch``."""
        if not self._quarantine:
            return pd.DataFrame(columns=["batch", "reason"])
        return pd.concat(self._quarantine, ignore_index=True)

    @property
    def alerts(self) -> pd.DataFrame:
        """The events raised so far: ``batch``, ``time``, ``kind``, ``source``, ``message``."""
        return pd.DataFrame(self.events, columns=["batch", "time", "kind", "source", "message"])

    # -- steps ----------------------------------------------------------------------------
    def _impute_and_score(
        self, good: pd.DataFrame, number: int, when: object
    ) -> tuple[pd.Series, pd.Series, np.ndarray]:
        imputed = pd.Series("", index=good.index, dtype=object)
        for column, median in self.medians.items():
            if column in good.columns:
                holes = good[column].isna()
                imputed[holes] = imputed[holes] + np.where(imputed[holes] == "", "", ",") + column
                good.loc[holes, column] = median
        route = pd.Series("model", index=good.index, dtype=object)
        if len(good) and (imputed != "").mean() > self.config.max_imputed_share:
            route[imputed != ""] = "fallback"
            self._event(
                number,
                when,
                "fallback",
                None,
                f"{(imputed != '').mean():.0%} of valid records needed imputation; they are scored by the fallback",
            )
        scores = np.full(len(good), np.nan)
        use_model = (route == "model").to_numpy()
        if self.scorer is not None and use_model.any():
            try:
                scores[use_model] = np.asarray(self.scorer(good[use_model]), dtype=float)
            except Exception as exc:
                route[:] = "fallback"
                self._event(
                    number, when, "model_error", None, f"model failed ({type(exc).__name__}); whole batch on fallback"
                )
        fallback = (route == "fallback").to_numpy()
        if fallback.any():
            scores[fallback] = self._fallback(good[fallback])
        return imputed, route, scores

    def _fallback(self, frame: pd.DataFrame) -> np.ndarray:
        if self.fallback_scorer is not None:
            return np.asarray(self.fallback_scorer(frame), dtype=float)
        prior = float(self.reference["defaulted"].mean()) if "defaulted" in self.reference.columns else np.nan
        return np.full(len(frame), prior)

    def _account(self, batch, bad, reasons, good, imputed, route, scores, number) -> None:
        ids = batch[ID_COLUMN] if ID_COLUMN in batch.columns else pd.Series(batch.index.astype(str))
        sources = batch["source"] if "source" in batch.columns else pd.Series("", index=batch.index)
        entry = pd.DataFrame(
            {
                "application_id": ids.to_numpy(),
                "batch": number,
                "source": sources.to_numpy(),
                "status": np.where(bad, "quarantined", "processed"),
                "route": "",
                "reason": reasons.to_numpy(),
                "imputed": "",
                "score": np.nan,
            }
        )
        entry.loc[good.index, "route"] = route.to_numpy()
        entry.loc[good.index, "imputed"] = imputed.to_numpy()
        entry.loc[good.index, "score"] = scores
        self._ledger.append(entry)
        held = batch[bad].assign(batch=number, reason=reasons[bad])
        if len(held):
            self._quarantine.append(held)
        self.received += len(batch)
        self.processed += int((~bad).sum())
        self.quarantined += int(bad.sum())

    def _alert_on_quality(self, batch, bad, violations, number, when) -> None:
        if not len(batch):
            return
        sources = batch["source"] if "source" in batch.columns else pd.Series("unknown", index=batch.index)
        broken = violations[violations["rule"].isin(["missing", "unexpected_column"])]
        for (rule, column), rows in broken.groupby(["rule", "column"])["row"]:
            source = sources.loc[rows].mode().iloc[0]
            self._event(number, when, "contract", source, f"{rule} {column} in {len(rows)} records")
        for column, spec in self.contract.columns.items():
            if spec.max_null_share is not None and column in batch.columns:
                holes = batch[column].isna() & ~bad
                if holes.mean() > spec.max_null_share:
                    source = sources[holes].mode().iloc[0]
                    self._event(number, when, "completeness", source, f"{holes.mean():.0%} of {column} missing")
        if bad.mean() > self.config.max_quarantine_share:
            source = sources[bad].mode().iloc[0]
            self._event(number, when, "quality", source, f"{bad.mean():.0%} of the batch quarantined")

    def _check_drift(self, valid: pd.DataFrame, number: int, when: object) -> None:
        # reindex: a batch lacking a column (all quarantined) adds no values, it does not crash
        self._window.append(valid.reindex(columns=list(self.config.drift_columns)))
        while sum(len(f) for f in self._window) - len(self._window[0]) >= self.config.drift_window:
            self._window.popleft()
        window = pd.concat(self._window)
        if len(window) < self.config.drift_window // 2:
            return
        scores = {
            c: psi(self.reference[c], window[c]) for c in self.config.drift_columns if window[c].notna().sum() >= 20
        }
        if not scores:  # no drift column has 20 values in the window yet
            return
        column = max(scores, key=lambda name: scores[name])
        self.drift_history.append({"batch": number, "max_psi": round(scores[column], 4), "column": column})
        if scores[column] < self.config.drift_threshold:
            self._drifted_batches = 0
            return
        self._drifted_batches += 1
        self._event(number, when, "drift", None, f"PSI {scores[column]:.2f} on {column}")
        if self._drifted_batches == self.config.drift_patience:
            self.retrain_requested_at.append(number)
            self._event(
                number, when, "retrain", None, f"drift for {self.config.drift_patience} batches: retraining requested"
            )
            if self.on_retrain is not None:
                self.on_retrain(number)

    def _event(self, number: int, when: object, kind: str, source: object, message: str) -> None:
        self.events.append({"batch": number, "time": when, "kind": kind, "source": source, "message": message})


def plot_timeline(handler: StreamHandler, incidents: Sequence[Incident] = (), ax=None):
    """Incident timeline: per batch, records processed by the model, by the fallback, and quarantined; alerts as markers.

    Returns:
        The matplotlib ``Axes``.
    """
    import matplotlib.pyplot as plt

    if not isinstance(handler, StreamHandler):
        raise BadType(f"handler must be a StreamHandler that has processed batches, got {describe(handler)}.")
    ledger = handler.ledger
    if ledger.empty:
        raise ValueError("the handler has processed no batch yet; call handler.process(batch) first.")
    ax = ax or plt.subplots(figsize=(10, 4), dpi=80)[1]
    outcome = np.where(ledger["status"] == "quarantined", "quarantined", ledger["route"])
    counts = pd.crosstab(ledger["batch"], outcome).reindex(columns=["model", "fallback", "quarantined"], fill_value=0)
    bottom = np.zeros(len(counts))
    for name, colour in zip(counts.columns, ("tab:green", "tab:orange", "tab:red"), strict=True):
        ax.bar(counts.index, counts[name], bottom=bottom, color=colour, label=name, width=0.85)
        bottom += counts[name].to_numpy()
    markers = {
        "contract": "s",
        "completeness": "o",
        "quality": "v",
        "fallback": "D",
        "model_error": "x",
        "drift": "^",
        "retrain": "*",
    }
    alerts = handler.alerts
    top = bottom.max() * 1.05
    for offset, (kind, rows) in enumerate(alerts.groupby("kind", sort=False)):
        ax.scatter(
            rows["batch"].unique(),
            np.full(rows["batch"].nunique(), top * (1 + 0.06 * offset)),
            marker=markers.get(kind, "o"),
            s=60,
            color="black" if kind != "retrain" else "tab:purple",
            label=f"alert: {kind}",
        )
    ax.set(title="Incident timeline: where every record went, batch by batch", xlabel="micro-batch", ylabel="records")
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=8)
    return ax


__all__ = ["EVENT_KINDS", "Incident", "StreamConfig", "StreamHandler", "plot_timeline", "simulate_stream"]
