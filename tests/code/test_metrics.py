"""Unit tests for mlops_course.production.metrics (Prometheus metrics, parsing, quantiles, rule check)."""

from __future__ import annotations

import shutil

import pandas as pd
import pytest

from mlops_course.production.metrics import ServiceMetrics, check_rules, histogram_quantile, parse_metrics


def test_service_metrics_count_time_and_bound_the_alias_label():
    metrics = ServiceMetrics(["champion"])
    metrics.observe("champion", 2, 200, 0.02)
    metrics.observe("champion", 2, 400, 0.004)
    metrics.observe("anything-a-client-sends", None, 404, 0.001)
    metrics.set_versions({"champion": 2})
    body, content_type = metrics.exposition()
    assert content_type.startswith("text/plain")
    samples = parse_metrics(body.decode())
    counts = samples[samples["name"] == "model_requests_total"].set_index(["alias", "version", "status"])["value"]
    assert counts.to_dict() == {
        ("champion", "2", "200"): 1.0,
        ("champion", "2", "400"): 1.0,
        ("other", "none", "404"): 1.0,
    }
    buckets = samples[(samples["name"] == "model_request_duration_seconds_bucket") & (samples["alias"] == "champion")]
    assert buckets.set_index("le").loc["0.005", "value"] == 1.0 and buckets.set_index("le").loc["+Inf", "value"] == 2.0
    with pytest.raises(ValueError, match="seconds"):
        metrics.observe("champion", 2, 200, -1.0)
    with pytest.raises(ValueError, match="aliases"):
        ServiceMetrics("champion")


def test_histogram_quantile_interpolates_like_promql():
    buckets = pd.DataFrame({"le": ["0.1", "0.2", "0.4", "+Inf"], "value": [50.0, 90.0, 100.0, 100.0]})
    # rank 95 falls in (0.2, 0.4] holding 10 observations, 5 of them needed: 0.2 + 0.2 * 5/10
    assert histogram_quantile(0.95, buckets) == pytest.approx(0.3)
    assert histogram_quantile(0.5, buckets) == pytest.approx(0.1)
    open_top = pd.DataFrame({"le": ["0.1", "+Inf"], "value": [1.0, 10.0]})
    assert histogram_quantile(0.99, open_top) == pytest.approx(0.1)  # the highest finite bound
    assert pd.isna(histogram_quantile(0.5, pd.DataFrame({"le": ["0.1", "+Inf"], "value": [0.0, 0.0]})))
    with pytest.raises(ValueError, match="Inf"):
        histogram_quantile(0.5, buckets.iloc[:2])
    with pytest.raises(ValueError, match="quantile"):
        histogram_quantile(1.5, buckets)


RULES = """groups:
  - name: model-server
    rules:
      - alert: ModelServerHighErrorRate
        expr: sum(rate(model_requests_total{status=~"5..|4.."}[5m])) / sum(rate(model_requests_total[5m])) > 0.05
        for: 5m
        labels:
          severity: page
        annotations:
          summary: More than 5% of prediction requests fail.
"""


@pytest.mark.skipif(
    shutil.which("promtool") is None, reason="promtool not installed (Debian: apt-get install prometheus)"
)
def test_promtool_accepts_a_valid_rule_file_and_rejects_a_broken_one(tmp_path):
    good, bad = tmp_path / "good.yml", tmp_path / "bad.yml"
    good.write_text(RULES)
    bad.write_text(RULES.replace("> 0.05", "> > 0.05"))
    ok, output = check_rules(good)
    assert ok and "SUCCESS" in output
    ok, output = check_rules(bad)
    assert not ok and "FAILED" in output


def test_check_rules_names_what_is_missing(tmp_path, monkeypatch):
    with pytest.raises(FileNotFoundError, match="does not exist"):
        check_rules(tmp_path / "missing.yml")
    rule_file = tmp_path / "rules.yml"
    rule_file.write_text(RULES)
    monkeypatch.setattr(shutil, "which", lambda name: None)
    with pytest.raises(FileNotFoundError, match="apt-get install prometheus"):
        check_rules(rule_file)
