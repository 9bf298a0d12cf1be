"""Tests of mlops_course.workflows: the local runner, trigger policy, KFP helpers and credit steps."""

from __future__ import annotations

import json
import textwrap

import pytest

from mlops_course.data import generate_applications
from mlops_course.workflows import (
    DataValidationError,
    Step,
    StepFailed,
    TriggerPolicy,
    WorkflowResult,
    credit_steps,
    run_workflow,
)
from mlops_course.workflows.kfp_local import (
    condition_channels,
    condition_holds,
    pipeline_graph,
    short_condition,
    summarise_log,
    task_inputs,
)


# --- runner -----------------------------------------------------------------------------
def test_steps_run_in_dependency_order_and_pass_outputs() -> None:
    calls: list[str] = []

    def add(a: int, b: int) -> int:
        calls.append("add")
        return a + b

    def double(x: int) -> int:
        calls.append("double")
        return 2 * x

    steps = [Step("double", double, inputs={"x": "add"}), Step("add", add, params=["a", "b"])]
    result = run_workflow(steps, {"a": 2, "b": 3})
    assert isinstance(result, WorkflowResult)
    assert calls == ["add", "double"]
    assert result.outputs == {"add": 5, "double": 10}
    assert result.succeeded and result.failed_step is None and result.error is None
    assert result.summary() == [("add", "succeeded", 1), ("double", "succeeded", 1)]


def test_failure_is_recorded_and_downstream_steps_are_skipped() -> None:
    def reject(frame: int) -> int:
        raise DataValidationError("annual_income has 5% nulls")

    steps = [
        Step("ingest", lambda: 1),
        Step("validate", reject, inputs={"frame": "ingest"}),
        Step("train", lambda frame: frame, inputs={"frame": "validate"}),
    ]
    result = run_workflow(steps)
    assert not result.succeeded
    assert result.failed_step == "validate"
    assert isinstance(result.error, DataValidationError)
    assert [result.status(s) for s in ("ingest", "validate", "train")] == ["succeeded", "failed", "skipped"]
    with pytest.raises(StepFailed, match="validate") as caught:
        run_workflow(steps, raise_on_error=True)
    assert isinstance(caught.value.__cause__, DataValidationError)


def test_retries_rerun_a_flaky_step_until_it_succeeds() -> None:
    attempts = {"n": 0}

    def flaky() -> str:
        attempts["n"] += 1
        if attempts["n"] < 3:
            raise TimeoutError("partner API timed out")
        return "data"

    lines: list[str] = []
    result = run_workflow([Step("download", flaky, retries=2)], log=lines.append)
    assert result.succeeded and result.records["download"].attempts == 3
    assert lines == ["✓ download: succeeded on attempt 3"]
    attempts["n"] = 0
    result = run_workflow([Step("download", flaky, retries=1)])
    assert result.failed_step == "download" and result.records["download"].attempts == 2


@pytest.mark.parametrize(
    ("steps", "params", "message"),
    [
        ([], {}, "non-empty"),
        ([Step("a", lambda: 1), Step("a", lambda: 2)], {}, "used twice"),
        ([Step("a", lambda x: x, inputs={"x": "nowhere"})], {}, "not a step"),
        ([Step("a", lambda seed: seed, params=["seed"])], {}, "needs run parameter"),
        ([Step("a", lambda x: x, inputs={"x": "b"}), Step("b", lambda y: y, inputs={"y": "a"})], {}, "cycle"),
        ([Step("a", lambda: 1, params=["seed"])], {"seed": 1}, "cannot be called"),
        ([Step("bad name", lambda: 1)], {}, "letters, digits"),
        ([Step("a", lambda: 1, retries=-1)], {}, "retries"),
    ],
)
def test_malformed_workflows_are_rejected_before_running(steps: list, params: dict, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        run_workflow(steps, params)


def test_status_of_an_unknown_step_names_the_known_ones() -> None:
    result = run_workflow([Step("only", lambda: 1)])
    with pytest.raises(ValueError, match="only"):
        result.status("other")


# --- triggers ---------------------------------------------------------------------------
def test_trigger_policy_names_each_reason() -> None:
    policy = TriggerPolicy(max_days_between_runs=30, min_new_rows=100, max_psi=0.2)
    assert policy.reasons("2024-01-10", "2024-01-01", 10, {"credit_score": 0.05}) == []
    reasons = policy.reasons("2024-03-01", "2024-01-01", 500, {"credit_score": 0.4, "age": 0.3})
    assert [r.split(":")[0] for r in reasons] == ["schedule", "new data", "drift"]
    assert "credit_score" in reasons[2]
    with pytest.raises(ValueError, match="before the last run"):
        policy.reasons("2024-01-01", "2024-02-01", 0)
    with pytest.raises(ValueError, match="max_psi"):
        TriggerPolicy(max_psi=0)


# --- KFP helpers ------------------------------------------------------------------------
LOG = textwrap.dedent(
    """\
    03:28:52.174 - INFO - Running pipeline: \x1b[95m'demo'\x1b[0m
    03:28:52.176 - INFO - Executing task \x1b[96m'flaky'\x1b[0m
        TimeoutError: partner API did not answer (attempt 1)
    03:28:52.268 - ERROR - Task \x1b[96m'flaky'\x1b[0m finished with status \x1b[91mFAILURE\x1b[0m
    03:28:52.269 - INFO - Executing task \x1b[96m'flaky'\x1b[0m
    03:28:52.364 - INFO - Task \x1b[96m'flaky'\x1b[0m finished with status \x1b[92mSUCCESS\x1b[0m
    03:28:52.556 - INFO - Executing task \x1b[96m'validate'\x1b[0m
        mlops_course.workflows.runner.DataValidationError: batch rejected: annual_income has 5% nulls
    03:28:52.653 - ERROR - Task \x1b[96m'validate'\x1b[0m finished with status \x1b[91mFAILURE\x1b[0m
    """
)


def test_summarise_log_counts_attempts_and_finds_the_failing_task() -> None:
    summary = summarise_log("demo", LOG, succeeded=False)
    assert summary.attempts == {"flaky": 2, "validate": 1}
    assert summary.failed_task == "validate"
    assert summary.error == "DataValidationError: batch rejected: annual_income has 5% nulls"
    assert "\x1b[" not in summary.log
    assert "FAILED at 'validate'" in str(summary) and "flaky×2" in str(summary)
    ok = summarise_log("demo", LOG.split("03:28:52.556")[0], succeeded=True)
    assert ok.succeeded and ok.failed_task is None and ok.error is None


SPEC = {
    "components": {
        "comp-a": {},
        "comp-b": {},
        "comp-c": {},
        "comp-condition-1": {"dag": {"tasks": {"c": {"componentRef": {"name": "comp-c"}}}}},
    },
    "root": {
        "dag": {
            "tasks": {
                "a": {"componentRef": {"name": "comp-a"}},
                "b": {"componentRef": {"name": "comp-b"}, "dependentTasks": ["a"]},
                "condition-1": {
                    "componentRef": {"name": "comp-condition-1"},
                    "dependentTasks": ["b"],
                    "triggerPolicy": {"condition": "inputs.parameter_values['pipelinechannel--b-Output'] == true"},
                },
            }
        }
    },
}


def test_pipeline_graph_flattens_condition_groups() -> None:
    graph = pipeline_graph(SPEC)
    assert set(graph) == {"a", "b", "c"}
    assert graph["b"]["after"] == ["a"] and graph["c"]["after"] == ["b"]
    assert graph["a"]["condition"] is None
    assert short_condition(graph["c"]["condition"]) == "b.Output == true"
    with pytest.raises(ValueError, match="root"):
        pipeline_graph({"components": {}})


GATE = "inputs.parameter_values['pipelinechannel--gate-Output']"
NESTED_SPEC = {
    "components": {
        "comp-ingest": {},
        "comp-gate": {},
        "comp-register": {},
        "comp-condition-2": {
            "dag": {
                "tasks": {
                    "register": {
                        "componentRef": {"name": "comp-register"},
                        "inputs": {
                            "artifacts": {"model": {"componentInputArtifact": "pipelinechannel--ingest-batch"}},
                            "parameters": {
                                "name": {"componentInputParameter": "pipelinechannel--model_name"},
                                "tries": {"runtimeValue": {"constant": 3}},
                            },
                        },
                    }
                }
            }
        },
        "comp-condition-1": {
            "dag": {
                "tasks": {
                    "condition-2": {
                        "componentRef": {"name": "comp-condition-2"},
                        "inputs": {
                            "artifacts": {
                                "pipelinechannel--ingest-batch": {
                                    "componentInputArtifact": "pipelinechannel--ingest-batch"
                                }
                            },
                            "parameters": {
                                "pipelinechannel--model_name": {
                                    "componentInputParameter": "pipelinechannel--model_name"
                                }
                            },
                        },
                        "triggerPolicy": {"condition": "inputs.parameter_values['pipelinechannel--seed'] > 3"},
                    }
                }
            }
        },
    },
    "root": {
        "dag": {
            "tasks": {
                "ingest": {
                    "componentRef": {"name": "comp-ingest"},
                    "inputs": {"parameters": {"seed": {"componentInputParameter": "seed"}}},
                },
                "gate": {
                    "componentRef": {"name": "comp-gate"},
                    "dependentTasks": ["ingest"],
                    "inputs": {
                        "artifacts": {
                            "batch": {"taskOutputArtifact": {"outputArtifactKey": "batch", "producerTask": "ingest"}}
                        }
                    },
                },
                "condition-1": {
                    "componentRef": {"name": "comp-condition-1"},
                    "dependentTasks": ["gate", "ingest"],
                    "inputs": {
                        "artifacts": {
                            "pipelinechannel--ingest-batch": {
                                "taskOutputArtifact": {"outputArtifactKey": "batch", "producerTask": "ingest"}
                            }
                        },
                        "parameters": {
                            "pipelinechannel--model_name": {"componentInputParameter": "model_name"},
                            "pipelinechannel--gate-Output": {
                                "taskOutputParameter": {"outputParameterKey": "Output", "producerTask": "gate"}
                            },
                        },
                    },
                    "triggerPolicy": {"condition": f"{GATE} == true"},
                },
            }
        }
    },
}


def test_task_inputs_follow_condition_groups_to_their_sources() -> None:
    inputs = task_inputs(NESTED_SPEC)
    assert inputs["ingest"] == {"seed": "pipeline.seed"}
    assert inputs["gate"] == {"batch": "ingest.batch"}
    assert inputs["register"] == {"model": "ingest.batch", "name": "pipeline.model_name", "tries": "constant:3"}
    with pytest.raises(ValueError, match="root"):
        task_inputs({"components": {}})


def test_pipeline_graph_joins_nested_conditions() -> None:
    condition = pipeline_graph(NESTED_SPEC)["register"]["condition"]
    assert condition_channels(condition) == ["gate-Output", "seed"]
    assert condition_holds(condition, {"gate-Output": True, "seed": 4})
    assert not condition_holds(condition, {"gate-Output": False, "seed": 4})
    assert not condition_holds(condition, {"gate-Output": True, "seed": 3})


@pytest.mark.parametrize(
    ("condition", "values", "expected"),
    [
        (f"{GATE} == true", {"gate-Output": True}, True),
        (f"{GATE} != false", {"gate-Output": False}, False),
        (f"!({GATE} == true)", {"gate-Output": False}, True),
        (f"int({GATE}) >= 2 || {GATE} == 'x'", {"gate-Output": 1}, False),
        (f"double({GATE}) > 0.65 && {GATE} < 1.0", {"gate-Output": 0.7}, True),
    ],
)
def test_condition_holds_evaluates_compiled_conditions(condition: str, values: dict, expected: bool) -> None:
    assert condition_holds(condition, values) is expected


def test_condition_holds_rejects_unknown_channels_and_expressions() -> None:
    with pytest.raises(ValueError, match="gate-Output"):
        condition_holds(f"{GATE} == true", {"train-Output": 0.7})
    with pytest.raises(ValueError, match="does not support"):
        condition_holds("__import__('os').getcwd() == 1", {})


def test_draw_pipeline_graph_titles_and_labels_the_axes() -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from mlops_course.workflows.kfp_local import draw_pipeline_graph

    fig, ax = plt.subplots()
    draw_pipeline_graph(pipeline_graph(SPEC), ax, title="demo")
    assert ax.get_title() == "demo" and ax.get_xlabel() and ax.get_ylabel()
    assert {t.get_text() for t in ax.texts} >= {"a", "b", "c", "if b.Output == true"}
    plt.close(fig)
    with pytest.raises(ValueError, match="empty"):
        draw_pipeline_graph({}, ax)


# --- credit steps -----------------------------------------------------------------------
def test_batch_problems_finds_nulls_ranges_and_missing_columns() -> None:
    good = generate_applications(600, n_months=6, seed=1)
    assert credit_steps.batch_problems(good) == []
    nulls = generate_applications(600, n_months=6, seed=1, scenario="partner_nulls", intensity=2.0)
    assert any("annual_income" in p for p in credit_steps.batch_problems(nulls))
    bad = good.copy()
    bad.loc[bad.index[0], "age"] = 999
    assert credit_steps.batch_problems(bad) == ["age has 1 value(s) outside [18, 100]"]
    assert "credit_score" in credit_steps.batch_problems(good.drop(columns=["credit_score"]))[0]
    with pytest.raises(ValueError, match="max_null_share"):
        credit_steps.batch_problems(good, max_null_share=1.5)


def test_file_steps_validate_train_and_evaluate(tmp_path) -> None:
    raw, valid, model, metrics = (tmp_path / n for n in ("raw.csv", "valid.csv", "model.pkl", "metrics.json"))
    assert credit_steps.ingest(raw, seed=3, n_rows=1200) == 1200
    assert credit_steps.validate(raw, valid) == 1200
    assert credit_steps.train(valid, model, seed=3) == 800  # four of six months
    result = credit_steps.evaluate(valid, model, metrics, min_auc=0.5)
    assert result == json.loads(metrics.read_text())
    assert 0.5 < result["roc_auc"] <= 1.0 and result["passed"] is True
    assert credit_steps.evaluate(valid, model, metrics, min_auc=0.999)["passed"] is False


def test_validate_step_rejects_a_bad_batch_with_every_problem(tmp_path) -> None:
    raw = tmp_path / "raw.csv"
    credit_steps.ingest(raw, seed=3, scenario="partner_nulls", n_rows=1200)
    with pytest.raises(DataValidationError, match="annual_income.*employment_years"):
        credit_steps.validate(raw, tmp_path / "valid.csv")
    assert not (tmp_path / "valid.csv").exists()
    assert credit_steps.main(["validate", "--data", str(raw), "--out", str(tmp_path / "v.csv")]) == 1


def test_split_needs_more_months_than_the_evaluation_window() -> None:
    with pytest.raises(ValueError, match="month"):
        credit_steps.split_train_eval(generate_applications(100, n_months=2, seed=1))
