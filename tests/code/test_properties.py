"""Property-based tests (Hypothesis) of the answers that matter most: PSI, quality rules, the gate, the stream, capacity."""

from __future__ import annotations

import math
from functools import cache

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mlops_course.cicd import quality_gate
from mlops_course.data import generate_applications
from mlops_course.dataquality.quality import completeness, find_violations, load_contract, validity
from mlops_course.dataquality.stream import StreamHandler
from mlops_course.infra.capacity import daily_traffic, simulate_autoscaling, size_fleet
from mlops_course.psi import psi

FAST = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
SLOW = settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])

finite = st.floats(min_value=-1e6, max_value=1e6, allow_nan=False, allow_infinity=False)
samples = st.lists(finite, min_size=1, max_size=200)


@cache
def applications() -> pd.DataFrame:
    return generate_applications(300, n_months=2, seed=5)


@cache
def contract():
    return load_contract()


# --- PSI ----------------------------------------------------------------------------------
@FAST
@given(samples, st.sampled_from(["quantile", "sturges"]))
def test_psi_of_a_sample_with_itself_is_zero(values: list[float], binning: str) -> None:
    assert psi(values, values, binning=binning) == pytest.approx(0.0, abs=1e-12)


@FAST
@given(samples, samples, st.sampled_from(["quantile", "sturges"]))
def test_psi_is_never_negative(reference: list[float], current: list[float], binning: str) -> None:
    value = psi(reference, current, binning=binning)
    assert math.isfinite(value) and value >= -1e-12


@FAST
@given(st.lists(st.sampled_from("abcd"), min_size=1, max_size=100), st.lists(st.sampled_from("abcd"), min_size=1))
def test_categorical_psi_is_never_negative(reference: list[str], current: list[str]) -> None:
    assert psi(reference, reference, binning="category") == pytest.approx(0.0, abs=1e-12)
    assert psi(reference, current, binning="category") >= -1e-12


# --- quality rules ------------------------------------------------------------------------
cells = st.sets(st.integers(min_value=0, max_value=299), max_size=30)


@FAST
@given(cells, st.sampled_from(["forty", "n/a", "?", "40 years"]))
def test_a_word_among_numbers_is_a_wrong_type_violation_exactly_where_it_is(rows: set[int], word: str) -> None:
    frame = applications().copy()
    frame["age"] = frame["age"].astype(object)
    frame.loc[sorted(rows), "age"] = word
    violations = find_violations(frame, contract())
    flagged = set(violations.loc[(violations["column"] == "age") & (violations["rule"] == "wrong_type"), "row"])
    assert flagged == rows
    assert validity(frame)["age"] >= len(rows) / len(frame) - 1e-12


@FAST
@given(cells, st.sampled_from(["age", "annual_income", "credit_score"]))
def test_completeness_is_the_share_of_holes(rows: set[int], column: str) -> None:
    frame = applications().copy()
    before = frame[column].isna()
    frame.loc[sorted(rows), column] = np.nan
    share = completeness(frame, columns=column)[column]
    assert 0.0 <= share <= 1.0
    assert share == pytest.approx((before | frame.index.isin(sorted(rows))).mean())


# --- the gate -----------------------------------------------------------------------------
auc = st.one_of(st.floats(min_value=0.0, max_value=1.0), st.just(float("nan")))


@FAST
@given(auc, st.one_of(st.none(), auc), st.floats(0.5, 1.0), st.floats(0.0, 0.5))
def test_the_gate_never_passes_a_nan_and_passes_only_what_its_rules_allow(
    candidate: float, champion: float | None, floor: float, drop: float
) -> None:
    decision = quality_gate({"roc_auc": candidate}, None if champion is None else {"roc_auc": champion}, floor, drop)
    if decision.passed:
        assert not math.isnan(candidate) and candidate >= floor
        assert champion is None or (not math.isnan(champion) and candidate >= champion - drop)
    else:
        assert decision.reasons
    if math.isnan(candidate) or (champion is not None and math.isnan(champion)):
        assert not decision.passed


# --- the stream handler -------------------------------------------------------------------
def _damage(batch: pd.DataFrame, how: str) -> pd.DataFrame:
    if how == "empty":
        return batch.iloc[:0]
    if how == "no_age":
        return batch.drop(columns=["age"])
    if how == "forty":
        out = batch.copy()
        out["age"] = out["age"].astype(object)
        out.loc[out.index[::3], "age"] = "forty"
        return out
    if how == "resent":
        return pd.concat([batch, batch.head(5)])
    if how == "extra_column":
        return batch.assign(comment="hello")
    if how == "no_columns":
        return pd.DataFrame(index=batch.index)
    return batch


batches = st.lists(
    st.tuples(
        st.integers(min_value=0, max_value=280),
        st.integers(min_value=0, max_value=60),
        st.sampled_from(["clean", "empty", "no_age", "forty", "resent", "extra_column", "no_columns"]),
    ),
    min_size=1,
    max_size=6,
)


@SLOW
@given(batches)
def test_processed_plus_quarantined_is_received_for_any_batch_sequence(plan: list[tuple[int, int, str]]) -> None:
    handler = StreamHandler(contract(), applications(), scorer=lambda f: np.full(len(f), 0.1))
    sent = 0
    for start, size, how in plan:
        batch = _damage(applications().iloc[start : start + size], how)
        counts = handler.process(batch)
        sent += len(batch)
        assert counts["processed"] + counts["quarantined"] == counts["received"] == len(batch)
    assert handler.processed + handler.quarantined == handler.received == sent == len(handler.ledger)
    assert len(handler.quarantine) == handler.quarantined


# --- capacity -----------------------------------------------------------------------------
rates = st.floats(min_value=0.01, max_value=5_000)
times = st.floats(min_value=0.001, max_value=5.0)


@FAST
@given(rates, times, st.integers(1, 8), st.floats(0.1, 1.0), st.integers(1, 5))
def test_the_fleet_keeps_utilisation_at_or_below_the_target(
    arrival: float, service: float, workers: int, target: float, floor: int
) -> None:
    plan = size_fleet(arrival, service, concurrency_per_replica=workers, target_utilization=target, min_replicas=floor)
    assert plan.replicas >= floor
    assert plan.utilization <= target + 1e-3
    more = size_fleet(
        arrival * 2, service, concurrency_per_replica=workers, target_utilization=target, min_replicas=floor
    )
    assert more.replicas >= plan.replicas


@SLOW
@given(st.floats(1, 2_000), st.floats(1, 200), st.integers(1, 4), st.integers(4, 30), st.integers(0, 5))
def test_autoscaling_stays_within_its_bounds(peak: float, capacity: float, low: int, high: int, startup: int) -> None:
    demand = daily_traffic(peak, step_minutes=15, seed=1)
    run = simulate_autoscaling(
        demand, capacity_rps_per_replica=capacity, min_replicas=low, max_replicas=high, startup_minutes=startup
    )
    assert len(run) == len(demand)
    assert run["replicas"].between(low, high).all() and run["desired"].between(low, high).all()
    assert (run["dropped_rps"] >= 0).all() and run["utilization"].between(0, 1).all()
