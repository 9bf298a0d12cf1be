"""How fast the data generator is: python benchmarks/data_benchmark.py

Prints the best and median of several runs for 100,000 rows, per scenario.
"""

from __future__ import annotations

import statistics
import time

from mlops_course.data import SCENARIOS, generate_applications


def time_it(repeats: int = 5, **kwargs: object) -> tuple[float, float]:
    """Best and median seconds of ``repeats`` calls of generate_applications(**kwargs)."""
    seconds = []
    for _ in range(repeats):
        started = time.perf_counter()
        generate_applications(**kwargs)
        seconds.append(time.perf_counter() - started)
    return min(seconds), statistics.median(seconds)


if __name__ == "__main__":
    generate_applications(1_000)  # warm up imports
    for scenario in SCENARIOS:
        best, median = time_it(n_rows=100_000, scenario=scenario)
        print(f"{scenario:16s} 100,000 rows: best {best:.3f} s, median {median:.3f} s")
