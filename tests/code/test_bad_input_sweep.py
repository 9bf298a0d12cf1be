"""Bad input gets a clear error or a documented result, never a silent wrong answer (issue 19).

The table below calls the public functions that notebooks and exercises import with the
kinds of bad input learners pass: ``None``, empty frames, a missing column, strings for
numbers, NaN and inf, zero or negative sizes, unknown names, missing paths. Each call is
classified:

- ``clear``: a ValueError/TypeError/LookupError whose message names the argument (or the
  offending column);
- ``documented``: a result, checked by the case's predicate (an empty batch: nothing
  received, nothing lost);
- ``low-level``: any other error (``'NoneType' object has no attribute ...``);
- ``silent``: a result nobody documented.

``python tests/code/test_bad_input_sweep.py`` prints the counts without asserting (how the
"before" figures were measured); pytest asserts every case.
"""

from __future__ import annotations

import sys
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

NAN, INF = float("nan"), float("inf")
MISSING_PATH = "/no/such/folder/file.yaml"
URL = "http://127.0.0.1:9/predict"


# --- shared inputs (built once, small) ----------------------------------------------------
@cache
def frame() -> pd.DataFrame:
    from mlops_course.data import generate_applications

    return generate_applications(400, n_months=4, seed=3)


def empty() -> pd.DataFrame:
    return frame().iloc[:0].copy()


def without(column: str) -> pd.DataFrame:
    return frame().drop(columns=[column])


def forty() -> pd.DataFrame:
    """``'forty'`` in ``age`` for a tenth of the records."""
    bad = frame().copy()
    bad["age"] = bad["age"].astype(object)
    bad.loc[bad.index[::10], "age"] = "forty"
    return bad


@cache
def contract():
    from mlops_course.dataquality.quality import load_contract

    return load_contract()


def handler():
    from mlops_course.dataquality.stream import StreamHandler

    return StreamHandler(contract(), frame())


def predictor(requests: pd.DataFrame) -> tuple[int, np.ndarray]:
    return 1, np.full(len(requests), 0.2)


@cache
def replay_log() -> pd.DataFrame:
    from mlops_course.data import FEATURES
    from mlops_course.production.rollout import canary_replay

    return canary_replay(frame().head(40), predictor, predictor, share=0.5, features=list(FEATURES), batch_size=20)


def load_results() -> pd.DataFrame:
    results = pd.DataFrame({"latency_ms": [5.0, 6.0, 7.0], "ok": [True, True, False]})
    results.attrs["wall_s"] = 1.0
    return results


# --- the table ----------------------------------------------------------------------------
@dataclass
class Case:
    """One call with one bad argument."""

    id: str
    call: Callable[[], Any]
    names: tuple[str, ...]  # the error must name one of these (the argument, or the bad column)
    ok: Callable[[Any], bool] | None = None  # a documented result, if returning is right
    extra: dict[str, Any] = field(default_factory=dict)


CASES: list[Case] = []


def case(id: str, call: Callable[[], Any], *names: str, ok: Callable[[Any], bool] | None = None) -> None:
    CASES.append(Case(id, call, names, ok))


def numbers(prefix: str, make: Callable[[Any], Any], arg: str, kinds: str = "none str nan inf neg") -> None:
    """Cases for a number argument: ``None``, a string, NaN, inf, a negative value (as ``kinds`` lists)."""
    values = {"none": None, "str": "ten", "nan": NAN, "inf": INF, "neg": -1, "zero": 0, "frac": 2.5, "big": 10**6}
    for kind in kinds.split():
        case(f"{prefix}-{arg}-{kind}", lambda v=values[kind]: make(v), arg)


def frames(prefix: str, make: Callable[[Any], Any], arg: str, kinds: str = "none empty missing forty", **ok) -> None:
    """Cases for a frame argument: ``None``, no rows, no ``age`` column, ``'forty'`` in ``age``."""
    values = {
        "none": lambda: None,
        "empty": empty,
        "missing": lambda: without("age"),
        "forty": forty,
        "list": lambda: [1, 2, 3],
    }
    names = {"missing": (arg, "age"), "forty": (arg, "age")}
    for kind in kinds.split():
        case(f"{prefix}-{arg}-{kind}", lambda v=values[kind]: make(v()), *names.get(kind, (arg,)), ok=ok.get(kind))


def _register() -> None:
    from mlops_course import cicd, data, lifecycle, models, psi
    from mlops_course.cicd import config as cicd_config
    from mlops_course.cicd.gate import evaluation_metrics
    from mlops_course.data import FEATURES
    from mlops_course.dataquality import drift, quality, stream
    from mlops_course.infra import capacity, k8s
    from mlops_course.production import fairness, loadtest, metrics, rollout
    from mlops_course.workflows import credit_steps, kfp_local

    f = frame
    # data
    numbers(
        "generate_applications",
        lambda v: data.generate_applications(v, n_months=2),
        "n_rows",
        "none str nan neg zero frac",
    )
    numbers(
        "generate_applications",
        lambda v: data.generate_applications(50, n_months=v),
        "n_months",
        "none str neg zero frac",
    )
    case("generate_applications-scenario-unknown", lambda: data.generate_applications(50, scenario="nope"), "scenario")
    frames("split_by_month", lambda v: data.split_by_month(v, "2024-03"), "frame", "none list")
    case("split_by_month-month-bad", lambda: data.split_by_month(f(), "March"), "first_test_month")
    frames("dataset_fingerprint", data.dataset_fingerprint, "frame", "none list")
    case("labelled_as_of-as_of-bad", lambda: data.labelled_as_of(f(), "yesterday"), "as_of")
    frames("labelled_as_of", lambda v: data.labelled_as_of(v, "2024-03-01"), "frame", "none list")
    numbers("iter_batches", lambda v: list(data.iter_batches(f(), v)), "batch_size", "none str nan neg zero frac")
    frames("iter_batches", lambda v: list(data.iter_batches(v, 10)), "frame", "none list")
    # models
    case("build_credit_pipeline-kind-unknown", lambda: models.build_credit_pipeline("forest-of-doom"), "kind")
    frames("train_credit_model", models.train_credit_model, "frame", "none empty missing forty list")
    case("train_credit_model-kind-unknown", lambda: models.train_credit_model(f(), "nope"), "kind")
    frames(
        "evaluate_credit_model",
        lambda v: models.evaluate_credit_model(trained(), v),
        "frame",
        "none empty missing forty",
    )
    numbers(
        "evaluate_credit_model",
        lambda v: models.evaluate_credit_model(trained(), f(), v),
        "threshold",
        "none str nan inf neg",
    )
    case("evaluate_credit_model-model-none", lambda: models.evaluate_credit_model(None, f()), "model")
    # psi
    ref = f()["age"]
    case("psi-reference-none", lambda: psi.psi(None, ref), "reference")
    case("psi-current-empty", lambda: psi.psi(ref, []), "current")
    case("psi-current-forty", lambda: psi.psi(ref, forty()["age"]), "current")
    case("psi-current-inf", lambda: psi.psi(ref, [1.0, INF, 30.0]), "current")
    numbers("psi", lambda v: psi.psi(ref, ref, bins=v), "bins", "none str nan neg zero frac")
    case("psi-binning-unknown", lambda: psi.psi(ref, ref, binning="deciles"), "binning")
    numbers("psi_band", psi.psi_band, "value", "none str nan inf neg")
    # lifecycle
    case("maturity_level-answers-none", lambda: lifecycle.maturity_level(None), "answers")
    case("score_self_assessment-answers-list", lambda: lifecycle.score_self_assessment(["yes"]), "answers")
    case("next_steps-limit-neg", lambda: lifecycle.next_steps({}, limit=-1), "limit")
    case("compare_metrics-original-none", lambda: lifecycle.compare_metrics(None, {"a": 1.0}), "original")
    numbers(
        "compare_metrics",
        lambda v: lifecycle.compare_metrics({"a": 1.0}, {"a": 1.0}, v),
        "tolerance",
        "none str nan neg",
    )
    case("source_hash-func-none", lambda: lifecycle.source_hash(None), "func")
    case("code_version-folder-missing", lambda: lifecycle.code_version(len, MISSING_PATH), "folder", "func")
    case("parse_logged_params-logged-none", lambda: lifecycle.parse_logged_params(None, {"C": 1.0}), "logged")
    # workflows
    frames(
        "batch_problems",
        credit_steps.batch_problems,
        "frame",
        "none empty missing forty list",
        empty=lambda r: r == ["the batch has no rows"],
        missing=lambda r: len(r) == 1 and "age" in r[0],
        forty=lambda r: any("age" in p and "not numbers" in p for p in r),
    )
    numbers("batch_problems", lambda v: credit_steps.batch_problems(f(), v), "max_null_share", "none str nan inf neg")
    frames("split_train_eval", credit_steps.split_train_eval, "frame", "none empty list")
    case("validate-data_csv-missing", lambda: credit_steps.validate(MISSING_PATH, "/tmp/out.csv"), "data_csv")
    case("train-data_csv-missing", lambda: credit_steps.train(MISSING_PATH, "/tmp/model.pkl"), "data_csv")
    case("load_pipeline_spec-path-missing", lambda: kfp_local.load_pipeline_spec(MISSING_PATH), "path", "is not a file")
    case("pipeline_graph-spec-none", lambda: kfp_local.pipeline_graph(None), "spec")
    case("task_inputs-spec-none", lambda: kfp_local.task_inputs(None), "spec")
    case("condition_holds-condition-none", lambda: kfp_local.condition_holds(None, {}), "condition")
    # production: rollout
    keys = f()["application_id"].tolist()
    case("split_traffic-keys-string", lambda: rollout.split_traffic("APP-0000001", 0.5), "keys")
    case("split_traffic-keys-none", lambda: rollout.split_traffic(None, 0.5), "keys")
    numbers("split_traffic", lambda v: rollout.split_traffic(keys, v), "share", "none str nan inf neg")
    numbers("in_share", lambda v: rollout.in_share("APP-1", v), "share", "none str nan inf neg")
    feats = list(FEATURES)
    for arg in ("primary", "shadow"):
        for label, value in (("none", None), ("url", URL)):
            call = (
                {"primary": value, "shadow": predictor} if arg == "primary" else {"primary": predictor, "shadow": value}
            )
            case(
                f"shadow_replay-{arg}-{label}",
                lambda c=call: rollout.shadow_replay(f().head(3), **c, features=feats),
                arg,
            )
    frames(
        "shadow_replay",
        lambda v: rollout.shadow_replay(v, predictor, predictor, features=feats),
        "requests",
        "none missing list",
    )
    case(
        "shadow_replay-features-string",
        lambda: rollout.shadow_replay(f().head(3), predictor, predictor, features="agex"),
        "features",
        "agex",
    )
    for arg in ("stable", "canary"):
        for label, value in (("none", None), ("url", URL)):
            call = {"stable": value, "canary": predictor} if arg == "stable" else {"stable": predictor, "canary": value}
            case(
                f"canary_replay-{arg}-{label}",
                lambda c=call: rollout.canary_replay(f().head(3), **c, share=0.5, features=feats),
                arg,
            )
    numbers(
        "canary_replay",
        lambda v: rollout.canary_replay(f().head(3), predictor, predictor, share=v, features=feats),
        "share",
        "none str nan neg",
    )
    numbers(
        "canary_replay",
        lambda v: rollout.canary_replay(f().head(3), predictor, predictor, share=0.5, features=feats, batch_size=v),
        "batch_size",
        "none str neg zero frac",
    )
    frames(
        "canary_replay",
        lambda v: rollout.canary_replay(v, predictor, predictor, share=0.5, features=feats),
        "requests",
        "none missing list",
    )
    case(
        "canary_replay-key_column-unknown",
        lambda: rollout.canary_replay(f().head(3), predictor, predictor, share=0.5, features=feats, key_column="id"),
        "key_column",
        "id",
    )
    case("arm_metrics-log-none", lambda: rollout.arm_metrics(None), "log")
    case("arm_metrics-log-missing", lambda: rollout.arm_metrics(replay_log().drop(columns="ok")), "log")
    case(
        "arm_metrics-labels-misaligned",
        lambda: rollout.arm_metrics(
            replay_log(), f()["defaulted"].head(40).reset_index(drop=True).set_axis(range(1000, 1040))
        ),
        "labels",
    )
    case("arm_metrics-labels-list", lambda: rollout.arm_metrics(replay_log(), [0, 1]), "labels")
    numbers("required_sample_size", lambda v: rollout.required_sample_size(v, 0.02), "rate_a", "none str nan inf neg")
    numbers(
        "required_sample_size", lambda v: rollout.required_sample_size(0.7, v), "difference", "none str nan inf zero"
    )
    numbers(
        "required_sample_size", lambda v: rollout.required_sample_size(0.7, 0.02, alpha=v), "alpha", "none str nan neg"
    )
    numbers(
        "two_proportion_test",
        lambda v: rollout.two_proportion_test(v, 100, 50, 100),
        "successes_a",
        "none str nan neg frac",
    )
    numbers(
        "two_proportion_test",
        lambda v: rollout.two_proportion_test(50, v, 50, 100),
        "n_a",
        "none str nan neg zero frac",
    )
    numbers(
        "two_proportion_test",
        lambda v: rollout.two_proportion_test(50, 100, 50, 100, v),
        "confidence",
        "none str nan inf neg",
    )
    numbers(
        "calibration_interval",
        lambda v: rollout.calibration_interval([0, 1, 1], [0.2, 0.5, 0.7], v),
        "confidence",
        "none str nan inf neg",
    )
    case("calibration_interval-labels-none", lambda: rollout.calibration_interval(None, [0.2, 0.5]), "labels")
    case(
        "calibration_interval-probabilities-str",
        lambda: rollout.calibration_interval([0, 1], ["low", "high"]),
        "probabilities",
    )
    case("calibration_interval-labels-short", lambda: rollout.calibration_interval([0, 1], [0.2, 0.5, 0.7]), "labels")
    # production: load test, metrics, fairness
    for label, value in (("none", None), ("url", URL)):
        case(f"run_load_test-send-{label}", lambda v=value: loadtest.run_load_test(v, 5, concurrency=1), "send")
    numbers(
        "run_load_test", lambda v: loadtest.run_load_test(lambda i: 200, v), "n_requests", "none str nan neg zero frac"
    )
    numbers(
        "run_load_test",
        lambda v: loadtest.run_load_test(lambda i: 200, 5, concurrency=v),
        "concurrency",
        "none str neg zero big",
    )
    numbers(
        "run_load_test",
        lambda v: loadtest.run_load_test(lambda i: 200, 5, time_limit_s=v),
        "time_limit_s",
        "none str nan neg zero",
    )
    case("summarize-results-none", lambda: loadtest.summarize(None), "results")
    case("summarize-results-empty", lambda: loadtest.summarize(load_results().iloc[:0]), "results")
    case("summarize-results-missing", lambda: loadtest.summarize(load_results().drop(columns="ok")), "results", "ok")
    numbers("summarize", lambda v: loadtest.summarize(load_results(), v), "wall_s", "str nan neg zero")
    numbers(
        "histogram_quantile",
        lambda v: metrics.histogram_quantile(v, pd.DataFrame({"le": ["+Inf"], "value": [1.0]})),
        "q",
        "none str nan neg",
    )
    case("histogram_quantile-buckets-none", lambda: metrics.histogram_quantile(0.5, None), "buckets")
    case("scrape-url-bad", lambda: metrics.scrape("localhost:9090/metrics"), "url")
    case("check_rules-path-missing", lambda: metrics.check_rules(MISSING_PATH), "path", "rule file")
    case("age_band-ages-none", lambda: fairness.age_band(None), "ages")
    case("age_band-ages-str", lambda: fairness.age_band(["forty", 30]), "ages")
    case("age_band-edges-bad", lambda: fairness.age_band([20, 30], edges=(50, 30)), "edges")
    case("group_metrics-labels-none", lambda: fairness.group_metrics(None, [True], ["a"]), "labels")
    case(
        "group_metrics-lengths",
        lambda: fairness.group_metrics([0, 1], [True], ["a", "b"]),
        "labels",
        "refuse",
        "groups",
    )
    case(
        "threshold_sweep-thresholds-nan",
        lambda: fairness.threshold_sweep([0, 1], [0.2, 0.7], ["a", "b"], [NAN]),
        "thresholds",
    )
    case("threshold_sweep-labels-none", lambda: fairness.threshold_sweep(None, [0.2, 0.7], ["a", "b"], [0.5]), "labels")
    # cicd
    gate = cicd.quality_gate
    case(
        "quality_gate-candidate-nan",
        lambda: gate({"roc_auc": NAN}, None, 0.7, 0.02),
        "candidate",
        ok=lambda d: not d.passed,
    )
    case(
        "quality_gate-champion-nan",
        lambda: gate({"roc_auc": 0.8}, {"roc_auc": NAN}, 0.7, 0.02),
        "champion",
        ok=lambda d: not d.passed,
    )
    case("quality_gate-candidate-none", lambda: gate(None, None, 0.7, 0.02), "candidate")
    case("quality_gate-candidate-str", lambda: gate({"roc_auc": "high"}, None, 0.7, 0.02), "candidate")
    case("quality_gate-candidate-nokey", lambda: gate({"auc": 0.8}, None, 0.7, 0.02), "candidate", "roc_auc")
    numbers("quality_gate", lambda v: gate({"roc_auc": 0.8}, None, v, 0.02), "min_roc_auc", "none str nan inf neg")
    numbers("quality_gate", lambda v: gate({"roc_auc": 0.8}, None, 0.7, v), "max_roc_auc_drop", "none str nan inf neg")
    case("evaluation_metrics-frame-none", lambda: evaluation_metrics(trained(), None), "frame")
    case(
        "evaluation_metrics-frame-missing",
        lambda: evaluation_metrics(trained(), f().drop(columns="source")),
        "frame",
        "source",
    )
    case("ml_test_score-scores-none", lambda: cicd.ml_test_score(None), "scores")
    case("ml_test_score-scores-nan", lambda: cicd.ml_test_score({"data": NAN}), "scores", "data")
    case("planted_bug_data-bug-unknown", lambda: cicd.planted_bug_data(f(), "nope"), "bug")
    case("planted_bug_data-frame-none", lambda: cicd.planted_bug_data(None, "nulls"), "frame")
    case("apply_change-project-missing", lambda: cicd.apply_change(MISSING_PATH, "drop_risk_features"), "project")
    case("validate_ci_file-path-missing", lambda: cicd.validate_ci_file(MISSING_PATH, "gitlab"), "path")
    case("validate_ci_file-kind-unknown", lambda: cicd.validate_ci_file(MISSING_PATH, "travis"), "kind", "path")
    case("ci_jobs-kind-unknown", lambda: cicd.ci_jobs({}, "travis"), "kind")
    case("ci_jobs-source-none", lambda: cicd.ci_jobs(None, "gitlab"), "source")
    case("jenkins_stages-text-none", lambda: cicd.jenkins_stages(None), "text")
    case(
        "load_config-config_dir-missing",
        lambda: cicd_config.load_config(MISSING_PATH, "dev"),
        "config_dir",
        "config file",
    )
    case("build_config-environment-unknown", lambda: cicd_config.build_config({}, {}, "moon"), "environment", "base")
    # infra
    numbers("size_fleet", lambda v: capacity.size_fleet(v, 0.05), "arrival_rps", "none str nan inf neg zero")
    numbers("size_fleet", lambda v: capacity.size_fleet(10, v), "service_time_s", "none str nan inf neg zero")
    numbers(
        "size_fleet",
        lambda v: capacity.size_fleet(10, 0.05, target_utilization=v),
        "target_utilization",
        "none str nan inf neg zero",
    )
    numbers(
        "size_fleet",
        lambda v: capacity.size_fleet(10, 0.05, min_replicas=v),
        "min_replicas",
        "none str nan neg zero frac",
    )
    numbers(
        "size_fleet",
        lambda v: capacity.size_fleet(10, 0.05, concurrency_per_replica=v),
        "concurrency_per_replica",
        "none str neg zero frac",
    )
    numbers("daily_traffic", capacity.daily_traffic, "peak_rps", "none str nan inf neg zero")
    numbers(
        "daily_traffic", lambda v: capacity.daily_traffic(100, step_minutes=v), "step_minutes", "none str neg zero frac"
    )
    numbers("daily_traffic", lambda v: capacity.daily_traffic(100, trough_rps=v), "trough_rps", "str nan neg")
    numbers("daily_traffic", lambda v: capacity.daily_traffic(100, noise=v), "noise", "str nan inf neg")
    day = lambda: capacity.daily_traffic(100, step_minutes=60)  # noqa: E731 (a case table of one-line callables)
    nan_minute = lambda: day().where(day().index != 600)  # noqa: E731 (a case table of one-line callables)
    case(
        "simulate_autoscaling-demand_rps-nan",
        lambda: capacity.simulate_autoscaling(nan_minute(), capacity_rps_per_replica=10),
        "demand_rps",
    )
    case(
        "simulate_autoscaling-demand_rps-none",
        lambda: capacity.simulate_autoscaling(None, capacity_rps_per_replica=10),
        "demand_rps",
    )
    case(
        "simulate_autoscaling-demand_rps-list",
        lambda: capacity.simulate_autoscaling([1.0, 2.0], capacity_rps_per_replica=10),
        "demand_rps",
    )
    numbers(
        "simulate_autoscaling",
        lambda v: capacity.simulate_autoscaling(day(), capacity_rps_per_replica=v),
        "capacity_rps_per_replica",
        "none str nan inf neg zero",
    )
    numbers(
        "simulate_autoscaling",
        lambda v: capacity.simulate_autoscaling(day(), capacity_rps_per_replica=10, target_utilization=v),
        "target_utilization",
        "none str nan neg zero",
    )
    numbers(
        "simulate_autoscaling",
        lambda v: capacity.simulate_autoscaling(day(), capacity_rps_per_replica=10, min_replicas=v),
        "min_replicas",
        "none str nan neg zero frac",
    )
    numbers(
        "simulate_autoscaling",
        lambda v: capacity.simulate_autoscaling(day(), capacity_rps_per_replica=10, startup_minutes=v),
        "startup_minutes",
        "none str nan neg",
    )
    numbers(
        "monthly_cost", lambda v: capacity.monthly_cost(v, "t3.medium"), "replica_hours_per_day", "none str nan inf neg"
    )
    numbers(
        "monthly_cost",
        lambda v: capacity.monthly_cost(24, "t3.medium", storage_gb=v),
        "storage_gb",
        "none str nan inf neg",
    )
    case("monthly_cost-instance_type-unknown", lambda: capacity.monthly_cost(24, "t9.huge"), "instance_type")
    case("measure_latency-predict-none", lambda: capacity.measure_latency(None, {}), "predict")
    numbers(
        "measure_latency",
        lambda v: capacity.measure_latency(len, [], n_calls=v),
        "n_calls",
        "none str nan neg zero frac",
    )
    numbers(
        "measure_latency", lambda v: capacity.measure_latency(len, [], n_calls=2, warmup=v), "warmup", "str nan neg"
    )
    case("measure_memory-predict-none", lambda: capacity.measure_memory({}, None, {}), "predict")
    numbers(
        "deployment_manifest",
        lambda v: k8s.deployment_manifest("credit", "credit:1.0", replicas=v),
        "replicas",
        "none str nan neg frac",
    )
    numbers(
        "deployment_manifest",
        lambda v: k8s.deployment_manifest("credit", "credit:1.0", port=v),
        "port",
        "none str neg zero big",
    )
    case("deployment_manifest-name-bad", lambda: k8s.deployment_manifest("Credit Model", "credit:1.0"), "name")
    case("deployment_manifest-image-latest", lambda: k8s.deployment_manifest("credit", "credit:latest"), "image")
    case(
        "deployment_manifest-cpu_request-bad",
        lambda: k8s.deployment_manifest("credit", "credit:1.0", cpu_request="lots"),
        "cpu",
        "CPU",
    )
    numbers("service_manifest", lambda v: k8s.service_manifest("credit", port=v), "port", "none str neg zero big")
    numbers(
        "service_manifest",
        lambda v: k8s.service_manifest("credit", target_port=v),
        "target_port",
        "none str neg zero big",
    )
    numbers(
        "hpa_manifest", lambda v: k8s.hpa_manifest("credit", min_replicas=v), "min_replicas", "none str nan neg zero"
    )
    numbers(
        "hpa_manifest",
        lambda v: k8s.hpa_manifest("credit", cpu_utilization=v),
        "cpu_utilization",
        "none str nan neg zero big",
    )
    case("parse_cpu-quantity-none", lambda: k8s.parse_cpu(None), "CPU quantity")
    case("parse_memory-quantity-bad", lambda: k8s.parse_memory("lots"), "memory quantity")
    case("check_manifests-manifests-dict", lambda: k8s.check_manifests(k8s.service_manifest("credit")), "manifests")
    case("validate_manifest-manifest-none", lambda: k8s.validate_manifest(None), "manifest")
    case("lint_dockerfile-text-none", lambda: k8s.lint_dockerfile(None), "text")
    case("render_dockerfile-port-neg", lambda: k8s.render_dockerfile(port=-1), "port")
    # data quality
    frames("completeness", quality.completeness, "frame", "none list")
    case(
        "completeness-columns-string",
        lambda: quality.completeness(f(), columns="age"),
        "columns",
        ok=lambda r: list(r.index) == ["age"],
    )
    case("completeness-columns-none", lambda: quality.completeness(f(), columns=None), "columns")
    frames("validity", quality.validity, "frame", "none list forty", forty=lambda r: r["age"] == pytest.approx(0.1))
    frames(
        "consistency", quality.consistency, "frame", "none missing forty list", forty=lambda r: isinstance(r, pd.Series)
    )
    frames("uniqueness", quality.uniqueness, "frame", "none list")
    case("uniqueness-key-unknown", lambda: quality.uniqueness(f(), "id"), "key")
    frames("timeliness", lambda v: quality.timeliness(v, "2024-05-01"), "frame", "none list")
    case("timeliness-as_of-bad", lambda: quality.timeliness(f(), "soon"), "as_of")
    case("load_contract-path-missing", lambda: quality.load_contract(MISSING_PATH), "contract file", "path")
    case("parse_contract-data-none", lambda: quality.parse_contract(None), "contract", "data")
    frames(
        "check_schema",
        lambda v: quality.check_schema(v, contract()),
        "frame",
        "none list forty",
        forty=lambda r: any("age" in p for p in r),
    )
    case("check_schema-contract-none", lambda: quality.check_schema(f(), None), "contract")
    frames(
        "find_violations",
        lambda v: quality.find_violations(v, contract()),
        "frame",
        "none empty missing forty list",
        empty=lambda r: r.empty,
        missing=lambda r: set(r.loc[r["column"] == "age", "rule"]) == {"missing"},
        forty=lambda r: (r.loc[r["column"] == "age", "rule"] == "wrong_type").sum() == 40,
    )
    case("find_violations-contract-none", lambda: quality.find_violations(f(), None), "contract")
    case("find_violations-as_of-bad", lambda: quality.find_violations(f(), contract(), as_of="soon"), "as_of")
    case("reasons_by_record-violations-none", lambda: quality.reasons_by_record(f(), None), "violations")
    case("violation_summary-violations-none", lambda: quality.violation_summary(None), "violations")
    case("ks_statistic-current-none", lambda: drift.ks_statistic(f()["age"], None), "current")
    case("ks_statistic-current-forty", lambda: drift.ks_statistic(f()["age"], forty()["age"]), "current")
    frames("drift_table", lambda v: drift.drift_table(f(), v), "current", "none empty missing forty list")
    frames(
        "drift_by_group",
        lambda v: drift.drift_by_group(f(), v, "source"),
        "current",
        "none empty missing list",
        empty=lambda r: r.empty,
    )
    case("drift_by_group-group-unknown", lambda: drift.drift_by_group(f(), f(), "partner"), "group")
    # stream handler
    frames(
        "StreamHandler.process",
        lambda v: handler().process(v),
        "batch",
        "none empty missing forty list",
        empty=lambda r: r["received"] == r["processed"] == r["quarantined"] == 0,
        missing=lambda r: r["received"] == r["quarantined"] == len(frame()),
        forty=lambda r: r["quarantined"] >= 40 and r["received"] == r["processed"] + r["quarantined"] == len(frame()),
    )
    case("StreamHandler-reference-none", lambda: stream.StreamHandler(contract(), None), "reference")
    case("StreamHandler-contract-none", lambda: stream.StreamHandler(None, f()), "contract")
    case("StreamHandler-scorer-url", lambda: stream.StreamHandler(contract(), f(), scorer=URL), "scorer")
    numbers(
        "simulate_stream",
        lambda v: stream.simulate_stream(n_months=v, rows_per_month=20),
        "n_months",
        "none str nan neg zero frac",
    )
    numbers(
        "simulate_stream",
        lambda v: stream.simulate_stream(n_months=1, rows_per_month=v),
        "rows_per_month",
        "none str nan neg zero frac",
    )
    case("Incident-scenario-unknown", lambda: stream.Incident("meteor", 0, 1), "scenario")
    numbers("Incident", lambda v: stream.Incident("duplicates", v, 2), "first_month", "none str nan neg")
    numbers(
        "StreamConfig",
        lambda v: stream.StreamConfig(max_quarantine_share=v),
        "max_quarantine_share",
        "none str nan inf neg",
    )
    numbers(
        "StreamConfig", lambda v: stream.StreamConfig(drift_threshold=v), "drift_threshold", "none str nan inf neg zero"
    )
    case("plot_timeline-handler-none", lambda: stream.plot_timeline(None), "handler")
    _register_more()


def _register_more() -> None:
    """Tooling around the modules: tracking names, paths, workflows, monitoring, cloud audits, CI files, git."""
    from mlops_course import paths, tracking, workflows
    from mlops_course.cicd import ci_files, jenkinsfile, versioning
    from mlops_course.infra import cloud
    from mlops_course.lifecycle import plot_self_assessment
    from mlops_course.production import monitoring

    case("learner_scoped_name-name-none", lambda: tracking.learner_scoped_name(None), "name")
    case("learner_scoped_name-name-empty", lambda: tracking.learner_scoped_name(""), "name")
    case("course_data_dir-parts-none", lambda: paths.course_data_dir(None), "parts")
    case("Step-name-none", lambda: workflows.run_workflow([workflows.Step(None, len)]), "name")
    case("Step-func-none", lambda: workflows.run_workflow([workflows.Step("ingest", None)]), "func")
    case("Step-func-url", lambda: workflows.run_workflow([workflows.Step("ingest", URL)]), "func")
    numbers(
        "Step",
        lambda v: workflows.run_workflow([workflows.Step("ingest", lambda: 1, retries=v)]),
        "retries",
        "none str nan neg frac",
    )
    numbers("TriggerPolicy", lambda v: workflows.TriggerPolicy(max_psi=v), "max_psi", "none str nan inf neg zero")
    numbers("TriggerPolicy", lambda v: workflows.TriggerPolicy(min_new_rows=v), "min_new_rows", "none str nan neg frac")
    numbers(
        "TriggerPolicy",
        lambda v: workflows.TriggerPolicy(max_days_between_runs=v),
        "max_days_between_runs",
        "none str nan neg zero frac",
    )
    case("run_workflow-steps-none", lambda: workflows.run_workflow(None), "steps")
    case("run_workflow-steps-functions", lambda: workflows.run_workflow([len]), "steps", "step")
    case("run_workflow-params-list", lambda: workflows.run_workflow([], ["seed"]), "params")
    table = pd.DataFrame({"week": [1, 2, 3], "psi": [0.1, 0.2, 0.3]})
    case("plot_monitoring_timeline-table-none", lambda: monitoring.plot_monitoring_timeline(None, "psi", 0.2), "table")
    case(
        "plot_monitoring_timeline-column-unknown",
        lambda: monitoring.plot_monitoring_timeline(table, "ks", 0.2),
        "column",
    )
    numbers(
        "plot_monitoring_timeline",
        lambda v: monitoring.plot_monitoring_timeline(table, "psi", v),
        "threshold",
        "none str nan inf",
    )
    case("evidently_status-status-none", lambda: monitoring.evidently_status(None), "status")
    case("audit_policy_document-document-none", lambda: cloud.audit_policy_document(None), "document")
    case(
        "audit_policy_document-document-text",
        lambda: cloud.audit_policy_document("allow everything"),
        "document",
        "JSON",
    )
    case("findings_table-findings-none", lambda: cloud.findings_table(None), "findings")
    case("environment_variables-values-none", lambda: cloud.environment_variables(None).__enter__(), "values")
    case("check_jenkinsfile-text-none", lambda: jenkinsfile.check_jenkinsfile(None), "text")
    case("parse_jenkinsfile-text-none", lambda: jenkinsfile.parse_jenkinsfile(None), "text")
    case(
        "parse_jenkinsfile-text-yaml", lambda: jenkinsfile.parse_jenkinsfile("stages:\n  - test\n"), "pipeline", "text"
    )
    case("credentials_id-expression-none", lambda: jenkinsfile.credentials_id(None), "expression")
    case("string_value-expression-none", lambda: jenkinsfile.string_value(None), "expression")
    case("ci_secrets-source-none", lambda: ci_files.ci_secrets(None), "source")
    case("ci_secrets-kind-unknown", lambda: ci_files.ci_secrets({}, "travis"), "kind")
    case(
        "ci_secrets-source-missing",
        lambda: ci_files.ci_secrets(Path(MISSING_PATH)),
        "source",
        "does not exist",
        MISSING_PATH,
    )
    case("head_commit-repo-missing", lambda: versioning.head_commit(MISSING_PATH), "repo", "repository folder")
    case("is_clean-repo-missing", lambda: versioning.is_clean(MISSING_PATH), "repo", "repository folder")
    case("short_log-repo-missing", lambda: versioning.short_log(MISSING_PATH), "repo", "repository folder")
    case("commit_all-repo-missing", lambda: versioning.commit_all(MISSING_PATH, "message"), "repo", "repository folder")
    case("lineage_tags-commit-none", lambda: versioning.lineage_tags(None, "abc"), "commit")
    case("plot_self_assessment-scores-none", lambda: plot_self_assessment(None, 1), "scores")
    numbers(
        "plot_self_assessment",
        lambda v: plot_self_assessment(pd.DataFrame({"area": ["CI/CD"], "score": [50]}), v),
        "level",
        "none str nan neg frac",
    )


@cache
def trained():
    from mlops_course.models import train_credit_model

    return train_credit_model(frame())


_register()

CLEAR_ERRORS = (ValueError, TypeError, LookupError, OSError)


def outcome(item: Case) -> tuple[str, str]:
    """Classify one call: ``clear``, ``documented``, ``low-level`` or ``silent``, with what happened."""
    import warnings

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            result = item.call()
    except Exception as exc:  # the sweep classifies every error
        message = f"{type(exc).__name__}: {exc}"
        named = any(name.lower() in str(exc).lower() for name in item.names)
        if (isinstance(exc, CLEAR_ERRORS) or type(exc).__module__.startswith("mlops_course")) and named:
            return "clear", message
        return "low-level", message
    if item.ok is not None:
        try:
            good = bool(item.ok(result))
        except Exception:  # a predicate that cannot read the result: not documented
            good = False
        if good:
            return "documented", repr(result)[:200]
    return "silent", repr(result)[:200]


@pytest.mark.parametrize("item", CASES, ids=[c.id for c in CASES])
def test_bad_input_gets_a_clear_error_or_a_documented_result(item: Case) -> None:
    kind, what = outcome(item)
    assert kind in ("clear", "documented"), f"{item.id}: {kind}: {what}"


def test_case_ids_are_unique() -> None:
    counts = Counter(c.id for c in CASES)
    assert not [i for i, n in counts.items() if n > 1]


# --- the silent wrong answers of issue 19, one by one --------------------------------------
def test_the_gate_never_passes_a_nan() -> None:
    from mlops_course.cicd import quality_gate

    assert not quality_gate({"roc_auc": NAN}, None, 0.7, 0.02).passed
    assert not quality_gate({"roc_auc": NAN}, {"roc_auc": 0.8}, 0.7, 0.02).passed
    assert not quality_gate({"roc_auc": 0.9}, {"roc_auc": NAN}, 0.7, 0.02).passed
    with pytest.raises(ValueError, match="min_roc_auc"):
        quality_gate({"roc_auc": 0.9}, None, NAN, 0.02)
    with pytest.raises(ValueError, match="max_roc_auc_drop"):
        quality_gate({"roc_auc": 0.9}, None, 0.7, NAN)


def test_forty_in_age_is_a_violation_with_its_own_reason() -> None:
    from mlops_course.dataquality.quality import find_violations, reasons_by_record, validity
    from mlops_course.workflows.credit_steps import batch_problems

    bad = forty()
    assert validity(bad)["age"] == pytest.approx(0.1)
    violations = find_violations(bad, contract())
    age = violations[violations["column"] == "age"]
    assert list(age["rule"].unique()) == ["wrong_type"] and len(age) == 40
    assert (reasons_by_record(bad, violations)[bad["age"] == "forty"] == "wrong_type:age").all()
    assert "age has 40 value(s) that are not numbers" in batch_problems(bad)


def test_stream_handler_takes_empty_and_malformed_batches_and_loses_nothing() -> None:
    h = handler()
    assert h.process(empty())["received"] == 0
    assert h.process(pd.DataFrame())["received"] == 0
    counts = h.process(without("age"))
    assert counts["quarantined"] == counts["received"] == len(frame())
    counts = h.process(forty().assign(application_id=lambda x: x["application_id"] + "-b"))
    assert counts["quarantined"] >= 40  # 'forty', and records too old for the contract's freshness
    assert h.quarantine["reason"].str.contains("wrong_type:age").sum() == 40
    assert h.processed + h.quarantined == h.received == 2 * len(frame())
    with pytest.raises(ValueError, match="batch"):
        h.process(None)


def test_autoscaling_refuses_a_nan_minute() -> None:
    from mlops_course.infra.capacity import daily_traffic, simulate_autoscaling

    demand = daily_traffic(100, step_minutes=60)
    demand.iloc[3] = NAN
    with pytest.raises(ValueError, match="demand_rps"):
        simulate_autoscaling(demand, capacity_rps_per_replica=10)


@pytest.mark.parametrize("bad", [None, URL])
def test_replays_and_load_tests_need_a_callable(bad: object) -> None:
    from mlops_course.data import FEATURES
    from mlops_course.production.loadtest import run_load_test
    from mlops_course.production.rollout import canary_replay, shadow_replay

    requests = frame().head(3)
    with pytest.raises(TypeError, match="shadow"):
        shadow_replay(requests, predictor, bad, features=list(FEATURES))  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="canary"):
        canary_replay(requests, predictor, bad, share=0.5, features=list(FEATURES))  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="send"):
        run_load_test(bad, 3)  # type: ignore[arg-type]


def test_one_name_is_one_column_and_one_key_is_not_a_list() -> None:
    from mlops_course.dataquality.quality import completeness
    from mlops_course.production.rollout import split_traffic

    assert list(completeness(frame(), columns="age").index) == ["age"]
    with pytest.raises(TypeError, match="keys"):
        split_traffic("APP-0000001", 0.5)  # type: ignore[arg-type]


def test_misaligned_labels_are_refused() -> None:
    from mlops_course.production.rollout import arm_metrics

    labels = frame()["defaulted"].head(40)
    assert arm_metrics(replay_log(), labels)["labelled"].sum() == 40
    with pytest.raises(ValueError, match="labels"):
        arm_metrics(replay_log(), labels.set_axis(range(1000, 1040)))


def test_manifests_refuse_negative_replicas_and_port_0() -> None:
    from mlops_course.infra import k8s

    with pytest.raises(ValueError, match="replicas"):
        k8s.deployment_manifest("credit", "credit:1.0", replicas=-1)
    with pytest.raises(ValueError, match="port"):
        k8s.service_manifest("credit", port=0)
    deployment = k8s.deployment_manifest("credit", "credit:1.0")
    deployment["spec"]["replicas"] = -1
    assert any("replicas -1" in p for p in k8s.check_manifests([deployment, k8s.service_manifest("credit")]))


def test_errors_show_as_a_short_message_in_a_notebook() -> None:
    """In IPython (a notebook's kernel) the learner sees their own line and the message, no package frames."""
    from IPython.core.interactiveshell import InteractiveShell
    from IPython.utils.capture import capture_output

    shell = InteractiveShell.instance()
    cells = {
        "from mlops_course.production.rollout import split_traffic\nsplit_traffic(['a'], float('nan'))": "BadValue: share",
        "from mlops_course.dataquality.quality import validity\nvalidity(None)": "BadType: frame",
    }
    for code, message in cells.items():
        with capture_output() as shown:
            shell.run_cell(code)
        lines = shown.stdout.strip().splitlines()
        assert lines[-1].startswith(message), shown.stdout
        assert len(lines) <= 4 and "mlops_course" not in "\n".join(lines[:-1]), shown.stdout


def test_the_checks_return_what_they_accept_and_name_what_they_refuse(tmp_path) -> None:
    from mlops_course.checks import (
        BadType,
        BadValue,
        check_callable,
        check_choice,
        check_count,
        check_frame,
        check_names,
        check_number,
        check_path,
    )

    assert check_number("x", np.float64(0.5), low=0, high=1) == 0.5
    assert check_count("n", 3.0, low=1) == 3 and check_count("n", np.int64(2)) == 2
    assert check_names("columns", "age") == ["age"] and check_names("columns", ("a", "b")) == ["a", "b"]
    assert check_choice("kind", "gitlab", ("gitlab", "github")) == "gitlab"
    assert check_path("folder", tmp_path, kind="dir") == tmp_path
    assert check_callable("send", len) is len
    assert check_frame("frame", frame(), required=iter(["age"]), numeric=["age"]) is frame()
    refused = [
        (lambda: check_number("share", True), BadType, "share"),
        (
            lambda: check_number("share", 1.5, low=0, high=1, high_open=True),
            BadValue,
            r"share must be a number in \[0, 1\)",
        ),
        (lambda: check_count("replicas", 2.5), BadValue, "replicas"),
        (lambda: check_count("replicas", "2"), BadType, "replicas"),
        (lambda: check_choice("kind", ["gitlab"], ("gitlab",)), BadValue, "kind"),
        (lambda: check_names("columns", [1, 2]), BadType, "columns"),
        (
            lambda: check_path("config", tmp_path / "nope.yaml", kind="file"),
            BadValue,
            "config must be an existing file",
        ),
        (lambda: check_callable("scorer", "http://x"), BadType, "URL is not"),
        (lambda: check_frame("frame", without("age"), required=["age"]), BadValue, "lacks the column"),
        (lambda: check_frame("frame", forty(), numeric=["age"]), BadType, "'forty'"),
    ]
    for call, error, message in refused:
        with pytest.raises(error, match=message):
            call()
    assert issubclass(BadType, TypeError) and issubclass(BadType, ValueError) and issubclass(BadValue, ValueError)


def report() -> Counter[str]:
    """Run every case and print the counts and the cases that are not clear (no asserts)."""
    counts: Counter[str] = Counter()
    for item in CASES:
        kind, what = outcome(item)
        counts[kind] += 1
        if kind not in ("clear", "documented"):
            print(f"{kind:10} {item.id:55} {what[:150]}")
    total = sum(counts.values())
    handled = counts["clear"] + counts["documented"]
    print(
        f"\n{total} bad inputs over {len({c.id.split('-')[0] for c in CASES})} functions: "
        + ", ".join(f"{k} {counts[k]}" for k in ("clear", "documented", "low-level", "silent"))
        + f"; clear or documented {handled / total:.1%}"
        + (
            f"; clear error {counts['clear'] / (total - counts['documented']):.1%} of those that must raise"
            if total > counts["documented"]
            else ""
        )
    )
    return counts


if __name__ == "__main__":
    sys.exit(0 if report() else 1)
