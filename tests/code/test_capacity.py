"""Fleet sizing follows Little's law; the autoscaling simulation and cost behave as documented."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from mlops_course.infra import capacity


@pytest.mark.parametrize(
    "rps, latency, concurrency, target, min_replicas",
    [(120, 0.05, 2, 0.6, 2), (1000, 0.08, 4, 0.7, 2), (3, 0.01, 1, 0.5, 3), (55.5, 0.2, 8, 0.65, 1)],
)
def test_size_fleet_keeps_utilization_at_or_below_target(
    rps: float, latency: float, concurrency: int, target: float, min_replicas: int
) -> None:
    plan = capacity.size_fleet(
        rps, latency, concurrency_per_replica=concurrency, target_utilization=target, min_replicas=min_replicas
    )
    expected_in_flight = rps * latency
    assert plan.in_flight == pytest.approx(expected_in_flight, abs=1e-4)
    assert plan.replicas >= min_replicas
    assert plan.utilization <= target + 1e-9
    if plan.replicas > min_replicas:  # the smallest fleet that meets the target
        assert expected_in_flight / ((plan.replicas - 1) * concurrency) > target
    assert plan.capacity_rps_per_replica == pytest.approx(concurrency / latency, rel=1e-4)


def test_size_fleet_exact_boundary_does_not_round_up() -> None:
    plan = capacity.size_fleet(100, 0.06, concurrency_per_replica=1, target_utilization=0.6, min_replicas=1)
    assert plan.replicas == 10 and plan.utilization == pytest.approx(0.6)


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"arrival_rps": 0}, "arrival_rps"),
        ({"service_time_s": -1}, "service_time_s"),
        ({"concurrency_per_replica": 0}, "concurrency_per_replica"),
        ({"target_utilization": 1.5}, "target_utilization"),
        ({"min_replicas": 0}, "min_replicas"),
        ({"arrival_rps": float("nan")}, "arrival_rps"),
    ],
)
def test_size_fleet_rejects_bad_input(kwargs: dict, message: str) -> None:
    arguments = {"arrival_rps": 10, "service_time_s": 0.1, **kwargs}
    with pytest.raises(ValueError, match=message):
        capacity.size_fleet(arguments.pop("arrival_rps"), arguments.pop("service_time_s"), **arguments)


def test_daily_traffic_is_deterministic_and_peaks_in_the_evening() -> None:
    first = capacity.daily_traffic(200, seed=3)
    pd.testing.assert_series_equal(first, capacity.daily_traffic(200, seed=3))
    assert len(first) == 1440 and first.index[-1] == 1439
    assert 18 <= first.idxmax() / 60 <= 22
    assert first.max() == pytest.approx(200, rel=0.2) and first.min() < 40
    assert len(capacity.daily_traffic(100, step_minutes=15)) == 96
    with pytest.raises(ValueError, match="step_minutes"):
        capacity.daily_traffic(100, step_minutes=7)


def test_spike_adds_demand_for_45_minutes_only() -> None:
    plain = capacity.daily_traffic(100, seed=1, noise=0.0)
    spiked = capacity.daily_traffic(100, seed=1, noise=0.0, spike=(17.0, 50.0))
    extra = spiked - plain
    assert extra.loc[17 * 60 : 17 * 60 + 44].round(6).eq(50).all()
    assert extra.drop(index=range(17 * 60, 17 * 60 + 45)).abs().max() < 1e-9
    with pytest.raises(ValueError, match="spike"):
        capacity.daily_traffic(100, spike=(25, 10))


def test_autoscaling_follows_demand_with_delay_and_stabilisation() -> None:
    demand = pd.Series([10.0] * 10 + [100.0] * 10 + [10.0] * 10, index=pd.Index(range(30), name="minute"))
    sim = capacity.simulate_autoscaling(
        demand,
        capacity_rps_per_replica=10,
        target_utilization=0.5,
        min_replicas=2,
        max_replicas=30,
        startup_minutes=3,
        scale_down_window_minutes=5,
    )
    assert sim["desired"].iloc[9] == 2 and sim["desired"].iloc[10] == 20
    assert sim["replicas"].iloc[10:13].tolist() == [2, 2, 2]  # still starting
    assert sim["replicas"].iloc[13] == 20
    assert sim["dropped_rps"].iloc[10] == pytest.approx(80) and sim["dropped_rps"].iloc[13] == 0
    assert sim["replicas"].iloc[20:24].tolist() == [20] * 4 and sim["replicas"].iloc[24] == 2  # stabilisation window
    assert (sim["utilization"] <= 1).all()


def test_autoscaling_respects_max_replicas() -> None:
    demand = capacity.daily_traffic(500, seed=0)
    sim = capacity.simulate_autoscaling(demand, capacity_rps_per_replica=20, max_replicas=10)
    assert sim["replicas"].max() == 10 and sim["dropped_rps"].max() > 0
    with pytest.raises(ValueError, match="min_replicas"):
        capacity.simulate_autoscaling(demand, capacity_rps_per_replica=20, min_replicas=5, max_replicas=2)


def test_monthly_cost_uses_price_table() -> None:
    expected_compute = 48 * (730 / 24) * capacity.EXAMPLE_PRICES["c6i.large"]["usd_per_hour"]
    actual = capacity.monthly_cost(48, "c6i.large", storage_gb=100)
    assert actual["compute_usd"] == pytest.approx(expected_compute, abs=0.01)
    assert actual["storage_usd"] == pytest.approx(100 * capacity.EXAMPLE_S3_USD_PER_GB_MONTH, abs=0.01)
    assert actual["total_usd"] == pytest.approx(actual["compute_usd"] + actual["storage_usd"], abs=0.011)
    with pytest.raises(ValueError, match="price table"):
        capacity.monthly_cost(24, "x9.huge")
    table = capacity.price_table()
    assert "example" in table["prices_as_of"].iloc[0]


def test_measure_latency_with_a_fake_clock() -> None:
    ticks = iter(np.arange(0, 100, 0.002))  # every call to the clock advances 2 ms
    stats = capacity.measure_latency(lambda x: x, None, n_calls=50, warmup=0, clock=lambda: float(next(ticks)))
    assert stats["p50_ms"] == pytest.approx(2.0) and stats["p99_ms"] == pytest.approx(2.0)
    with pytest.raises(ValueError, match="n_calls"):
        capacity.measure_latency(lambda x: x, None, n_calls=0)


def test_measure_memory_sees_allocation() -> None:
    stats = capacity.measure_memory({"weights": list(range(1000))}, lambda n: bytearray(n), 4 * 2**20)
    assert stats["predict_peak_mib"] >= 4 - 0.01
    assert 2 < stats["model_kib"] < 100  # 1000 small ints pickle to a few KiB
    assert math.isfinite(stats["model_kib"])
