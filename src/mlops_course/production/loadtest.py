"""A bounded load test: concurrent clients, latency percentiles, throughput and errors.

:func:`run_load_test` calls ``send(i)`` for ``i = 0 .. n_requests - 1`` from
``concurrency`` threads and stops early at ``time_limit_s``. ``send`` performs one request
and returns its HTTP status; a raised exception counts as an error (status 0). Pass a fake
``send`` to test without a server.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pandas as pd

from mlops_course.checks import check_callable, check_frame, check_number
from mlops_course.i18n import tr

Sender = Callable[[int], int]


def run_load_test(
    send: Sender,
    n_requests: int,
    *,
    concurrency: int = 4,
    time_limit_s: float = 30.0,
    clock: Callable[[], float] = time.perf_counter,
) -> pd.DataFrame:
    """Send ``n_requests`` requests from ``concurrency`` workers, within ``time_limit_s``.

    Args:
        send: performs request ``i`` and returns its HTTP status code.
        n_requests: how many requests at most.
        concurrency: how many clients send at the same time.
        time_limit_s: requests not started by then are skipped (the test stays bounded).
        clock: a monotonic clock in seconds.

    Returns:
        One row per request sent: ``request``, ``worker``, ``started_s`` (since the test
        began), ``latency_ms``, ``status`` and ``ok`` (status 200); ``attrs["wall_s"]``
        holds the test's duration.
    """
    check_callable("send", send, "a function i -> HTTP status (e.g. lambda i: client.post(...).status_code)")
    check_callable("clock", clock)
    if not isinstance(n_requests, int) or n_requests < 1:
        raise ValueError(f"n_requests must be a positive whole number, got {n_requests!r}.")
    if not isinstance(concurrency, int) or not 1 <= concurrency <= 64:
        raise ValueError(f"concurrency must be a whole number from 1 to 64, got {concurrency!r}.")
    check_number("time_limit_s", time_limit_s, low=0, low_open=True)
    if not time_limit_s > 0:
        raise ValueError(f"time_limit_s must be a positive number of seconds, got {time_limit_s!r}.")
    next_request = iter(range(n_requests))
    take = threading.Lock()
    rows: list[tuple[int, int, float, float, int]] = []
    began = clock()

    def worker(worker_id: int) -> None:
        while True:
            with take:
                i = next(next_request, None)
            if i is None or clock() - began > time_limit_s:
                return
            started = clock()
            try:
                status = int(send(i))
            except Exception:  # a failed request is a measurement, not a crash
                status = 0
            finished = clock()
            rows.append((i, worker_id, started - began, (finished - started) * 1000.0, status))

    with ThreadPoolExecutor(max_workers=concurrency) as pool:
        for worker_id in range(concurrency):
            pool.submit(worker, worker_id)
    wall_s = clock() - began
    frame = pd.DataFrame(rows, columns=["request", "worker", "started_s", "latency_ms", "status"])
    frame = frame.sort_values("request").reset_index(drop=True)
    frame["ok"] = frame["status"] == 200
    frame.attrs["wall_s"] = wall_s
    return frame


def summarize(results: pd.DataFrame, wall_s: float | None = None) -> dict[str, float]:
    """Latency percentiles, throughput and error rate of a load test.

    Args:
        results: what :func:`run_load_test` returned (``latency_ms`` and ``ok`` columns).
        wall_s: the test's duration; defaults to ``results.attrs["wall_s"]``.

    Returns:
        ``requests``, ``errors``, ``error_rate``, ``throughput_rps``, ``p50_ms``, ``p95_ms``,
        ``p99_ms``, ``max_ms`` (latency over successful requests), rounded.
    """
    check_frame("results", results, required=("latency_ms", "ok"), non_empty=False)
    if results.empty:
        raise ValueError("results is empty: the load test sent no request.")
    wall = check_number("wall_s", wall_s if wall_s is not None else results.attrs.get("wall_s", 0.0))
    if wall <= 0:
        raise ValueError("wall_s must be the positive duration of the test in seconds.")
    ok = results["ok"].to_numpy(dtype=bool)
    latencies = results.loc[ok, "latency_ms"].to_numpy(dtype=float)
    percentiles = np.percentile(latencies, [50, 95, 99]) if latencies.size else np.full(3, np.nan)
    return {
        "requests": int(len(results)),
        "errors": int((~ok).sum()),
        "error_rate": round(float((~ok).mean()), 4),
        "throughput_rps": round(len(results) / wall, 1),
        "p50_ms": round(float(percentiles[0]), 1),
        "p95_ms": round(float(percentiles[1]), 1),
        "p99_ms": round(float(percentiles[2]), 1),
        "max_ms": round(float(latencies.max()), 1) if latencies.size else float("nan"),
    }


def plot_latency_histogram(results: pd.DataFrame, ax=None, title: str = "Latency of successful requests"):
    """Histogram of latencies with the p50/p95/p99 lines; returns the matplotlib axes."""
    import matplotlib.pyplot as plt

    if ax is None:
        _, ax = plt.subplots(figsize=(6.5, 3.2), dpi=80)
    check_frame("results", results, required=("latency_ms", "ok"))
    latencies = results.loc[results["ok"], "latency_ms"].to_numpy(dtype=float)
    if not latencies.size:
        raise ValueError("results has no successful request, so there is no latency to plot.")
    ax.hist(latencies, bins=40, color="tab:blue", alpha=0.8)
    for q, style in ((50, "-"), (95, "--"), (99, ":")):
        value = float(np.percentile(latencies, q))
        ax.axvline(value, color="black", linestyle=style, label=f"p{q} = {value:.0f} ms")
    ax.set_title(title)
    ax.set_xlabel(tr("plot.latency"))
    ax.set_ylabel(tr("plot.requests"))
    ax.legend()
    return ax


__all__ = ["plot_latency_histogram", "run_load_test", "summarize"]
