"""Service metrics in the format monitoring systems scrape: Prometheus text exposition.

The model server counts requests and measures their latency with ``prometheus_client``
and exposes them on ``GET /metrics``. A Prometheus server would scrape that page every
few seconds and evaluate alerting rules on it; the notebook scrapes it itself
(:func:`scrape`), reads a quantile from the latency histogram the way PromQL's
``histogram_quantile`` does (:func:`histogram_quantile`), and checks a rule file with
``promtool check rules`` (:func:`check_rules`) when Prometheus' tools are installed.

Metric names follow Prometheus' conventions: a unit suffix (``_seconds``), ``_total`` on
counters, and labels with few values (the alias, the version, the status code; never
an applicant id).
"""

from __future__ import annotations

import math
import shutil
import subprocess
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from mlops_course.checks import check_frame, check_number

#: Upper bounds (seconds) of the latency histogram's buckets; ``+Inf`` is added by the client.
LATENCY_BUCKETS: tuple[float, ...] = (0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 1.0, 2.5)
REQUESTS = "model_requests"
LATENCY = "model_request_duration_seconds"
SERVED_VERSION = "model_served_version"


class ServiceMetrics:
    """The model server's metrics, in their own registry (so several apps can live in one process).

    Args:
        aliases: the aliases the server answers for; any other alias in a request path is
            counted as ``"other"``, so a client cannot create unbounded label values.
    """

    def __init__(self, aliases: Sequence[str]) -> None:
        from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

        if isinstance(aliases, str) or not aliases:
            raise ValueError(f"aliases must be a non-empty list of alias names, got {aliases!r}.")
        self.aliases = tuple(aliases)
        self.registry = CollectorRegistry()
        self.requests = Counter(
            REQUESTS,
            "Prediction requests, by alias, model version and HTTP status code.",
            ("alias", "version", "status"),
            registry=self.registry,
        )
        self.latency = Histogram(
            LATENCY,
            "Time to answer a prediction request, by alias.",
            ("alias",),
            buckets=LATENCY_BUCKETS,
            registry=self.registry,
        )
        self.served_version = Gauge(
            SERVED_VERSION, "The model version each alias resolves to (0: not set).", ("alias",), registry=self.registry
        )

    def alias_label(self, alias: str) -> str:
        """``alias`` if the server answers for it, else ``"other"`` (bounded label values)."""
        return alias if alias in self.aliases else "other"

    def observe(self, alias: str, version: int | None, status: int, seconds: float) -> None:
        """Count one prediction request and record its latency."""
        if seconds < 0:
            raise ValueError(f"seconds must be a duration of at least 0, got {seconds!r}.")
        label = self.alias_label(alias)
        self.requests.labels(alias=label, version=str(version or "none"), status=str(int(status))).inc()
        self.latency.labels(alias=label).observe(seconds)

    def set_versions(self, versions: dict[str, int | None]) -> None:
        """Record the version each alias resolves to (after a start or a ``/reload``)."""
        for alias, version in versions.items():
            self.served_version.labels(alias=self.alias_label(alias)).set(version or 0)

    def exposition(self) -> tuple[bytes, str]:
        """The metrics page: ``(body, content_type)`` in Prometheus' text format."""
        from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

        return generate_latest(self.registry), CONTENT_TYPE_LATEST


def parse_metrics(text: str) -> pd.DataFrame:
    """Parse a Prometheus text page into one row per sample: ``name``, the labels as columns, ``value``."""
    from prometheus_client.parser import text_string_to_metric_families

    rows: list[dict[str, Any]] = []
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            rows.append({"name": sample.name, **sample.labels, "value": float(sample.value)})
    return pd.DataFrame(rows)


def scrape(url: str, session: Any = None, timeout: float = 10.0) -> pd.DataFrame:
    """``GET`` a ``/metrics`` page (as Prometheus would) and parse it with :func:`parse_metrics`."""
    import requests

    if not url.startswith(("http://", "https://")):
        raise ValueError(f"url must start with http:// or https://, got {url!r}.")
    response = (session or requests).get(url, timeout=timeout)
    response.raise_for_status()
    return parse_metrics(response.text)


def histogram_quantile(q: float, buckets: pd.DataFrame) -> float:
    """A quantile from cumulative histogram buckets, interpolated as PromQL's ``histogram_quantile`` does.

    Args:
        q: the quantile, e.g. 0.95.
        buckets: rows with ``le`` (upper bound, ``"+Inf"`` last) and ``value`` (cumulative count),
            e.g. the ``..._bucket`` rows of :func:`scrape` for one label set.

    Returns:
        The estimated quantile (an upper bound of a finite bucket when the quantile falls in
        the last, open bucket); NaN when there are no observations.
    """
    check_number("q (a quantile)", q, low=0.0, high=1.0)
    if not 0.0 <= float(q) <= 1.0:
        raise ValueError(f"q must be a quantile between 0 and 1, got {q!r}.")
    check_frame("buckets", buckets, non_empty=False)
    if not {"le", "value"} <= set(buckets.columns):
        raise ValueError("buckets needs the columns 'le' and 'value' (the _bucket samples of one histogram).")
    table = sorted((float(le), float(v)) for le, v in zip(buckets["le"], buckets["value"], strict=True))
    if not table or not math.isinf(table[-1][0]):
        raise ValueError("buckets must include the '+Inf' bucket.")
    total = table[-1][1]
    if total == 0:
        return float("nan")
    rank = q * total
    lower, below = 0.0, 0.0
    for upper, count in table:
        if count >= rank:
            if math.isinf(upper):
                return lower  # Prometheus returns the highest finite bound
            return lower + (upper - lower) * (rank - below) / (count - below) if count > below else upper
        lower, below = upper, count
    return lower  # pragma: no cover (the +Inf bucket always holds the total)


def check_rules(path: str | Path, promtool: str | None = None) -> tuple[bool, str]:
    """Check a Prometheus rule file with ``promtool check rules``.

    Args:
        path: the YAML rule file.
        promtool: the ``promtool`` executable; found on ``PATH`` by default (Debian: ``apt-get install prometheus``).

    Returns:
        ``(ok, output)``: whether promtool accepted the file, and what it printed.

    Raises:
        FileNotFoundError: promtool is not installed, or the rule file does not exist.
    """
    rule_file = Path(path)
    if not rule_file.is_file():
        raise FileNotFoundError(f"rule file {rule_file} does not exist; write it first.")
    executable = promtool or shutil.which("promtool")
    if executable is None:
        raise FileNotFoundError("promtool is not installed: on Debian/Ubuntu, apt-get install prometheus.")
    result = subprocess.run(
        [executable, "check", "rules", str(rule_file)], capture_output=True, text=True, timeout=60, check=False
    )
    return result.returncode == 0, (result.stdout + result.stderr).strip()


__all__ = [
    "LATENCY",
    "LATENCY_BUCKETS",
    "REQUESTS",
    "SERVED_VERSION",
    "ServiceMetrics",
    "check_rules",
    "histogram_quantile",
    "parse_metrics",
    "scrape",
]
