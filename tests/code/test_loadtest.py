"""Unit tests for mlops_course.production.loadtest (bounded concurrent load, summary, histogram)."""

from __future__ import annotations

import threading

import matplotlib

matplotlib.use("Agg")

import pandas as pd
import pytest

from mlops_course.production.loadtest import plot_latency_histogram, run_load_test, summarize


def test_every_request_is_sent_once_and_errors_are_counted():
    seen: list[int] = []
    lock = threading.Lock()

    def send(i: int) -> int:
        with lock:
            seen.append(i)
        if i % 10 == 0:
            raise ConnectionError("refused")
        return 400 if i % 10 == 5 else 200

    results = run_load_test(send, 100, concurrency=4, time_limit_s=30)
    assert sorted(seen) == list(range(100))
    assert results["request"].tolist() == list(range(100))
    assert int((~results["ok"]).sum()) == 20
    assert set(results.loc[results["request"] % 10 == 0, "status"]) == {0}
    summary = summarize(results)
    assert summary["requests"] == 100 and summary["errors"] == 20 and summary["error_rate"] == 0.2


def test_time_limit_bounds_the_test_with_a_fake_clock():
    ticks = iter(range(10_000))

    def clock() -> float:
        return float(next(ticks))

    results = run_load_test(lambda i: 200, 1_000, concurrency=1, time_limit_s=20, clock=clock)
    assert 0 < len(results) < 20


def test_summary_percentiles_and_throughput():
    frame = pd.DataFrame({"latency_ms": [float(v) for v in range(1, 101)], "ok": [True] * 100})
    summary = summarize(frame, wall_s=2.0)
    assert summary["p50_ms"] == pytest.approx(50.5) and summary["p99_ms"] == pytest.approx(99.0, abs=0.1)
    assert summary["throughput_rps"] == 50.0 and summary["max_ms"] == 100.0


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"n_requests": 0}, "n_requests"),
        ({"n_requests": 5, "concurrency": 0}, "concurrency"),
        ({"n_requests": 5, "time_limit_s": 0}, "time_limit_s"),
    ],
)
def test_bad_arguments_are_refused(kwargs, message):
    with pytest.raises(ValueError, match=message):
        run_load_test(lambda i: 200, **kwargs)


def test_summary_refuses_empty_results_and_missing_duration():
    with pytest.raises(ValueError, match="empty"):
        summarize(pd.DataFrame({"latency_ms": [], "ok": []}))
    with pytest.raises(ValueError, match="wall_s"):
        summarize(pd.DataFrame({"latency_ms": [1.0], "ok": [True]}))


def test_histogram_has_title_and_labels():
    frame = pd.DataFrame({"latency_ms": [float(v) for v in range(1, 51)], "ok": [True] * 50})
    ax = plot_latency_histogram(frame, title="latency")
    assert ax.get_title() == "latency" and ax.get_xlabel() == "latency (ms)" and ax.get_ylabel() == "requests"
