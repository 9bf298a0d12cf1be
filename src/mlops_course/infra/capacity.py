"""Resource management for a model service: measure, size the fleet, simulate autoscaling, cost.

The arithmetic is Little's law (requests in flight = arrival rate x time in the system)
and utilisation (busy share of the capacity you pay for). Keeping utilisation below a
target (say 60-70 %) leaves headroom for bursts and for the minutes a new replica needs
to start. Prices in :data:`EXAMPLE_PRICES` are examples for teaching, not a quote.
"""

from __future__ import annotations

import math
import pickle
import time
import tracemalloc
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
import pandas as pd

from mlops_course.checks import (
    BadType,
    BadValue,
    check_callable,
    check_count,
    check_number,
    check_numeric_series,
    describe,
)

HOURS_PER_MONTH = 730  # 365 * 24 / 12
#: Example on-demand prices (USD per hour, Linux, us-east-1) as listed by AWS in 2024.
#: For teaching only: check the provider's current price list before you budget.
EXAMPLE_PRICES_DATE = "2024-06"
EXAMPLE_PRICES: dict[str, dict[str, float]] = {
    "t3.medium": {"vcpu": 2, "memory_gib": 4, "usd_per_hour": 0.0416},
    "c6i.large": {"vcpu": 2, "memory_gib": 4, "usd_per_hour": 0.085},
    "m6i.large": {"vcpu": 2, "memory_gib": 8, "usd_per_hour": 0.096},
    "m6i.xlarge": {"vcpu": 4, "memory_gib": 16, "usd_per_hour": 0.192},
}
#: Example S3 Standard storage price (USD per GB-month, first 50 TB, us-east-1, 2024).
EXAMPLE_S3_USD_PER_GB_MONTH = 0.023


def _positive(name: str, value: float) -> float:
    if (
        isinstance(value, bool)
        or not isinstance(value, (int, float, np.integer, np.floating))
        or not value > 0
        or not math.isfinite(value)
    ):
        raise ValueError(f"{name} must be a positive number, got {value!r}.")
    return float(value)


def measure_latency(
    predict: Callable[[Any], Any],
    payload: Any,
    *,
    n_calls: int = 200,
    warmup: int = 10,
    clock: Callable[[], float] = time.perf_counter,
) -> dict[str, float]:
    """Time ``predict(payload)`` ``n_calls`` times (after ``warmup`` untimed calls).

    Returns:
        ``mean_ms``, ``p50_ms``, ``p95_ms``, ``p99_ms`` and ``max_ms`` per call, rounded to 3 digits.
    """
    check_callable("predict", predict)
    warmup = check_count("warmup", warmup)
    if not isinstance(n_calls, int) or not 1 <= n_calls <= 100_000:
        raise ValueError(f"n_calls must be a whole number from 1 to 100000, got {n_calls!r}.")
    for _ in range(max(0, warmup)):
        predict(payload)
    timings = np.empty(n_calls)
    for i in range(n_calls):
        started = clock()
        predict(payload)
        timings[i] = (clock() - started) * 1000
    return {
        "mean_ms": round(float(timings.mean()), 3),
        "p50_ms": round(float(np.percentile(timings, 50)), 3),
        "p95_ms": round(float(np.percentile(timings, 95)), 3),
        "p99_ms": round(float(np.percentile(timings, 99)), 3),
        "max_ms": round(float(timings.max()), 3),
    }


def measure_memory(model: Any, predict: Callable[[Any], Any], payload: Any) -> dict[str, float]:
    """The model's serialized size (KiB) and the peak Python memory one ``predict(payload)`` allocates (MiB)."""
    check_callable("predict", predict)
    size = len(pickle.dumps(model))
    tracemalloc.start()
    try:
        predict(payload)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return {"model_kib": round(size / 2**10, 1), "predict_peak_mib": round(peak / 2**20, 3)}


@dataclass(frozen=True)
class CapacityPlan:
    """How many replicas a load needs, and why."""

    arrival_rps: float
    service_time_s: float
    concurrency_per_replica: int
    target_utilization: float
    in_flight: float  # Little's law: L = lambda * W
    capacity_rps_per_replica: float
    replicas: int
    utilization: float

    def as_dict(self) -> dict[str, float]:
        """The plan as a plain dict (for a table)."""
        return asdict(self)


def size_fleet(
    arrival_rps: float,
    service_time_s: float,
    *,
    concurrency_per_replica: int = 1,
    target_utilization: float = 0.6,
    min_replicas: int = 2,
) -> CapacityPlan:
    """Replicas needed so that utilisation stays at or below the target at this load.

    Args:
        arrival_rps: requests per second at the load you plan for (the peak, not the mean).
        service_time_s: seconds one request occupies a worker (measured, e.g. p95 latency).
        concurrency_per_replica: requests one replica serves at the same time (workers).
        target_utilization: the busy share you accept, in (0, 1].
        min_replicas: the floor, for redundancy (two survive losing one).

    Returns:
        The :class:`CapacityPlan`; ``replicas = max(min_replicas, ceil(in_flight / (concurrency * target)))``.
    """
    arrival = _positive("arrival_rps", arrival_rps)
    service = _positive("service_time_s", service_time_s)
    if (
        isinstance(concurrency_per_replica, bool)
        or not isinstance(concurrency_per_replica, (int, np.integer))
        or concurrency_per_replica < 1
    ):
        raise ValueError(f"concurrency_per_replica must be a whole number >= 1, got {concurrency_per_replica!r}.")
    check_number("target_utilization", target_utilization, low=0, high=1, low_open=True)
    if not 0 < float(target_utilization) <= 1:
        raise ValueError(f"target_utilization must be in (0, 1], e.g. 0.6 for 60 %, got {target_utilization!r}.")
    if isinstance(min_replicas, bool) or not isinstance(min_replicas, (int, np.integer)) or min_replicas < 1:
        raise ValueError(f"min_replicas must be a whole number >= 1, got {min_replicas!r}.")
    in_flight = arrival * service
    needed = math.ceil(round(in_flight / (concurrency_per_replica * float(target_utilization)), 9))
    replicas = max(int(min_replicas), needed)
    return CapacityPlan(
        arrival_rps=arrival,
        service_time_s=service,
        concurrency_per_replica=int(concurrency_per_replica),
        target_utilization=float(target_utilization),
        in_flight=round(in_flight, 4),
        capacity_rps_per_replica=round(concurrency_per_replica / service, 4),
        replicas=replicas,
        utilization=round(in_flight / (replicas * concurrency_per_replica), 4),
    )


def daily_traffic(
    peak_rps: float,
    *,
    trough_rps: float | None = None,
    seed: int = 0,
    noise: float = 0.05,
    step_minutes: int = 1,
    spike: tuple[float, float] | None = None,
) -> pd.Series:
    """A day of requests per second: quiet night, a morning and a larger evening peak, some noise.

    Args:
        peak_rps: the evening peak's requests per second (before noise).
        trough_rps: the night's level; 10 % of the peak by default.
        seed: seed of the noise.
        noise: relative standard deviation of the noise.
        step_minutes: resolution; must divide a day.
        spike: ``(hour, extra_rps)``: a sudden burst (a campaign, a partner's batch) that
            adds ``extra_rps`` from ``hour`` for 45 minutes.

    Returns:
        A Series indexed by minute of the day (0, step, ..., 1440 - step), named ``demand_rps``.
    """
    peak = _positive("peak_rps", peak_rps)
    trough = peak * 0.1 if trough_rps is None else check_number("trough_rps", trough_rps, low=0, high=peak)
    noise = check_number("noise", noise, low=0)
    if not 0 <= trough <= peak:
        raise ValueError(f"trough_rps must be between 0 and peak_rps ({peak}), got {trough_rps!r}.")
    if not isinstance(step_minutes, int) or step_minutes < 1 or 1440 % step_minutes:
        raise ValueError(f"step_minutes must divide a day (1, 5, 15, 60...), got {step_minutes!r}.")
    minutes = np.arange(0, 1440, step_minutes)
    hours = minutes / 60
    shape = 0.75 * np.exp(-0.5 * ((hours - 11) / 2.2) ** 2) + 1.0 * np.exp(-0.5 * ((hours - 20) / 1.8) ** 2)
    shape = shape / shape.max()
    rng = np.random.default_rng(seed)
    demand = trough + (peak - trough) * shape
    if spike is not None:
        hour, extra = float(spike[0]), float(spike[1])
        if not 0 <= hour < 24 or extra < 0:
            raise ValueError(f"spike must be (hour in [0, 24), extra_rps >= 0), got {spike!r}.")
        demand = demand + extra * ((hours >= hour) & (hours < hour + 0.75))
    demand = demand * (1 + noise * rng.standard_normal(len(minutes)))
    return pd.Series(np.clip(demand, 0, None).round(3), index=pd.Index(minutes, name="minute"), name="demand_rps")


def simulate_autoscaling(
    demand_rps: pd.Series,
    *,
    capacity_rps_per_replica: float,
    target_utilization: float = 0.6,
    min_replicas: int = 2,
    max_replicas: int = 20,
    startup_minutes: int = 3,
    scale_down_window_minutes: int = 5,
) -> pd.DataFrame:
    """Replay a day of demand through an HPA-style autoscaler, one row per step of ``demand_rps``.

    Each step the autoscaler wants ``ceil(demand / (capacity * target))`` replicas, clamped to
    ``[min_replicas, max_replicas]``. New replicas serve only after ``startup_minutes``;
    it scales down only to the highest wish of the last ``scale_down_window_minutes``
    (the HPA's stabilisation window), so a dip does not throw away capacity.

    Returns:
        Columns ``minute``, ``demand_rps``, ``desired``, ``replicas`` (serving),
        ``utilization`` (capped at 1) and ``dropped_rps`` (demand above capacity).
    """
    capacity = _positive("capacity_rps_per_replica", capacity_rps_per_replica)
    target_utilization = check_number("target_utilization", target_utilization, low=0, high=1, low_open=True)
    min_replicas = check_count("min_replicas", min_replicas, low=1)
    max_replicas = check_count("max_replicas", max_replicas, low=1)
    startup_minutes = check_count("startup_minutes", startup_minutes)
    scale_down_window_minutes = check_count("scale_down_window_minutes", scale_down_window_minutes)
    if not isinstance(demand_rps, pd.Series):
        raise BadType(
            f"demand_rps must be a pandas Series indexed by minute (see daily_traffic), got {describe(demand_rps)}."
        )
    check_numeric_series("demand_rps", demand_rps)
    values = pd.to_numeric(demand_rps).to_numpy(dtype=float)
    if not np.isfinite(values).all() or (values < 0).any():
        raise BadValue(
            f"demand_rps must hold finite requests per second >= 0; {int((~np.isfinite(values) | (values < 0)).sum())} "
            "step(s) are NaN, infinite or negative (fill or drop them first)."
        )
    if not 1 <= min_replicas <= max_replicas:
        raise ValueError(f"need 1 <= min_replicas <= max_replicas, got {min_replicas} and {max_replicas}.")
    if len(demand_rps) < 2:
        raise ValueError("demand_rps needs at least two steps; use daily_traffic(...).")
    minutes = np.asarray(demand_rps.index, dtype=float)
    step = float(minutes[1] - minutes[0])
    delay_steps, window_steps = (
        max(0, math.ceil(startup_minutes / step)),
        max(1, math.ceil(scale_down_window_minutes / step)),
    )
    demand = demand_rps.to_numpy(dtype=float)
    wished = np.clip(np.ceil(np.round(demand / (capacity * target_utilization), 9)), min_replicas, max_replicas).astype(
        int
    )
    # stabilisation: the autoscaler asks for the highest wish of the window (scale up now, down slowly)
    ordered = np.array([wished[max(0, t - window_steps + 1) : t + 1].max() for t in range(len(demand))])
    # a replica serves once it has been asked for without a break for startup_minutes
    serving = np.array([ordered[max(0, t - delay_steps) : t + 1].min() for t in range(len(demand))])
    served_capacity = serving * capacity
    return pd.DataFrame(
        {
            "minute": minutes.astype(int),
            "demand_rps": demand,
            "desired": ordered,
            "replicas": serving,
            "utilization": np.minimum(demand / served_capacity, 1.0).round(4),
            "dropped_rps": np.clip(demand - served_capacity, 0, None).round(3),
        }
    )


def monthly_cost(
    replica_hours_per_day: float,
    instance_type: str,
    *,
    storage_gb: float = 0.0,
    prices: Mapping[str, Mapping[str, float]] = EXAMPLE_PRICES,
    s3_usd_per_gb_month: float = EXAMPLE_S3_USD_PER_GB_MONTH,
) -> dict[str, float]:
    """Estimate a month's bill: instance-hours at the on-demand price plus artifact storage.

    Args:
        replica_hours_per_day: replica-hours a day (24 x replicas for a fixed fleet, the
            simulation's ``replicas.sum() * step / 60`` for an autoscaled one).
        instance_type: a key of ``prices``.
        storage_gb: GB kept in the artifact bucket.

    Returns:
        ``compute_usd``, ``storage_usd`` and ``total_usd`` per month, rounded to cents.
    """
    if instance_type not in prices:
        raise ValueError(
            f"instance_type {instance_type!r} is not in the price table; choose from: {', '.join(prices)}."
        )
    replica_hours_per_day = check_number("replica_hours_per_day", replica_hours_per_day, low=0)
    storage_gb = check_number("storage_gb", storage_gb, low=0)
    days = HOURS_PER_MONTH / 24
    compute = float(replica_hours_per_day) * days * float(prices[instance_type]["usd_per_hour"])
    storage = float(storage_gb) * float(s3_usd_per_gb_month)
    return {
        "compute_usd": round(compute, 2),
        "storage_usd": round(storage, 2),
        "total_usd": round(compute + storage, 2),
    }


def price_table() -> pd.DataFrame:
    """The example price table, with its date, for display."""
    table = pd.DataFrame(EXAMPLE_PRICES).T.rename_axis("instance_type").reset_index()
    table["usd_per_month_always_on"] = (table["usd_per_hour"] * HOURS_PER_MONTH).round(2)
    table["prices_as_of"] = EXAMPLE_PRICES_DATE + " (example)"
    return table


__all__ = [
    "EXAMPLE_PRICES",
    "EXAMPLE_PRICES_DATE",
    "CapacityPlan",
    "daily_traffic",
    "measure_latency",
    "measure_memory",
    "monthly_cost",
    "price_table",
    "simulate_autoscaling",
    "size_fleet",
]
