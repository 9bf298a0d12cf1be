"""Run Kubeflow Pipelines locally and read what happened, without a wall of logs.

The KFP local runner (``kfp.local``) runs each component of a pipeline in a subprocess
and streams every log line to stdout. :func:`run_pipeline` captures those lines and
returns a short :class:`PipelineRunSummary` (which tasks ran, how many attempts, which
one failed and why); the full log stays available in ``summary.log``.
:func:`pipeline_graph` and :func:`draw_pipeline_graph` read the compiled pipeline spec
(the YAML a Kubeflow cluster runs) and draw its task graph.
"""

from __future__ import annotations

import contextlib
import io
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

_ANSI = re.compile(r"\x1b\[[0-9;]*m")
_EXECUTING = re.compile(r"Executing task '([^']+)'")
_FINISHED = re.compile(r"Task '([^']+)' finished with status (SUCCESS|FAILURE)")
_CHANNEL = re.compile(r"inputs\.parameter_values\['pipelinechannel--(.+?)-([A-Za-z_]\w*)'\]")
_ERROR_LINE = re.compile(r"^\s*([A-Za-z_][\w.]*(?:Error|Exception|Failed)): (.*)$")


@dataclass
class PipelineRunSummary:
    """What a local pipeline run did.

    Attributes:
        pipeline: the pipeline's name.
        succeeded: whether the whole pipeline succeeded.
        attempts: task name -> how many times it was executed (tasks served from the
            cache, or skipped by a condition, are absent).
        failed_task: the task whose failure stopped the pipeline, or ``None``.
        error: the last error line that task printed (``"ValueError: ..."``), or ``None``.
        outputs: the pipeline's outputs (empty when it returns nothing).
        log: the full captured log, ANSI colours removed.
    """

    pipeline: str
    succeeded: bool
    attempts: dict[str, int] = field(default_factory=dict)
    failed_task: str | None = None
    error: str | None = None
    outputs: dict[str, Any] = field(default_factory=dict)
    log: str = ""

    def __str__(self) -> str:
        status = "succeeded" if self.succeeded else f"FAILED at {self.failed_task!r}: {self.error}"
        ran = ", ".join(f"{t}×{n}" if n > 1 else t for t, n in self.attempts.items()) or "nothing (all cached)"
        return f"pipeline {self.pipeline!r} {status}\n  tasks executed: {ran}"


def init_local_runner(pipeline_root: str | Path, *, caching: bool = False, fork_steps: bool = True) -> Path:
    """Initialise the KFP local runner: subprocesses in this environment, outputs under ``pipeline_root``.

    Args:
        pipeline_root: folder for task outputs (artifacts); use a temp folder or
            ``mlops_course.paths.course_data_dir("kfp")``, never the repository.
        caching: reuse a task's outputs when it runs again with the same inputs.
        fork_steps: run each step in a process forked from a template that has already
            imported kfp, pandas, scikit-learn and MLflow (:mod:`.kfp_fork`; started in the
            background, one per process) instead of a fresh interpreter; same logs and exit
            codes. ``False``, or ``MLOPS_COURSE_KFP_FORK=0`` in the environment, turns it off.

    Returns:
        The absolute pipeline root.
    """
    from kfp import local

    root = Path(pipeline_root).expanduser().resolve()
    root.mkdir(parents=True, exist_ok=True)
    local.init(
        runner=local.SubprocessRunner(use_venv=False),
        pipeline_root=str(root),
        enable_caching=caching,
        cache_root=str(root / ".kfp_cache"),
    )
    from mlops_course.workflows import kfp_fork

    kfp_fork.start(fork_steps)
    return root


def summarise_log(pipeline: str, log: str, succeeded: bool) -> PipelineRunSummary:
    """Parse a captured KFP local log into a :class:`PipelineRunSummary`."""
    text = _ANSI.sub("", log)
    attempts: dict[str, int] = {}
    failed: str | None = None
    error: str | None = None
    last_error_line: str | None = None
    for line in text.splitlines():
        if match := _EXECUTING.search(line):
            attempts[match.group(1)] = attempts.get(match.group(1), 0) + 1
            last_error_line = None
        elif match := _ERROR_LINE.match(line):
            last_error_line = f"{match.group(1).rsplit('.', 1)[-1]}: {match.group(2).strip()}"
        elif match := _FINISHED.search(line):
            if match.group(2) == "FAILURE":
                failed, error = match.group(1), last_error_line
            elif failed == match.group(1):  # a retry succeeded
                failed, error = None, None
    if succeeded:
        failed, error = None, None
    return PipelineRunSummary(pipeline, succeeded, attempts, failed, error, {}, text)


def run_pipeline(pipeline_func: Callable[..., Any], /, **arguments: Any) -> PipelineRunSummary:
    """Run a KFP pipeline with the local runner, capture its logs and summarise them.

    Call :func:`init_local_runner` first. A failing pipeline does not raise: the summary
    says which task failed and the error it printed.

    Args:
        pipeline_func: a function decorated with ``@dsl.pipeline``.
        arguments: the pipeline's parameters.

    Returns:
        The run's :class:`PipelineRunSummary`.
    """
    name = getattr(getattr(pipeline_func, "pipeline_spec", None), "pipeline_info", None)
    name = getattr(name, "name", None) or getattr(pipeline_func, "name", None) or "pipeline"
    if not callable(pipeline_func) or not hasattr(pipeline_func, "pipeline_spec"):
        raise ValueError("pipeline_func must be a function decorated with @kfp.dsl.pipeline.")
    buffer = io.StringIO()
    outputs: dict[str, Any] = {}
    succeeded = True
    with contextlib.redirect_stdout(buffer):
        try:
            task = pipeline_func(**arguments)
        except RuntimeError as exc:
            if "finished with status" not in str(exc):
                raise
            succeeded = False
        else:
            raw = getattr(task, "outputs", None)
            if isinstance(raw, Mapping):
                outputs = dict(raw)
    summary = summarise_log(name, buffer.getvalue(), succeeded)
    summary.outputs = outputs
    return summary


def load_pipeline_spec(path: str | Path) -> dict[str, Any]:
    """Read a compiled pipeline YAML (the first document: the pipeline spec)."""
    import yaml

    path = Path(path)
    if not path.is_file():
        raise ValueError(f"{path} is not a file; compile the pipeline first with kfp.compiler.Compiler().compile(...).")
    with path.open(encoding="utf-8") as handle:
        spec = next(iter(yaml.safe_load_all(handle)), None)
    if not isinstance(spec, dict) or "root" not in spec or "components" not in spec:
        raise ValueError(f"{path} is not a compiled KFP pipeline spec (no 'root'/'components' keys).")
    return spec


def pipeline_graph(spec: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    """The task graph of a compiled pipeline, with condition groups flattened.

    Args:
        spec: a compiled pipeline spec (see :func:`load_pipeline_spec`).

    Returns:
        Task name -> ``{"after": [upstream tasks], "condition": str | None,
        "component": name}``. A task inside a ``dsl.If`` group depends on the group's
        upstream tasks and carries the group's condition (nested groups' conditions
        joined with ``&&``).
    """
    if not isinstance(spec, Mapping) or "root" not in spec or "components" not in spec:
        raise ValueError("spec must be a compiled KFP pipeline spec with 'root' and 'components' keys.")
    components = spec["components"]
    graph: dict[str, dict[str, Any]] = {}

    def visit(dag: Mapping[str, Any], inherited_after: list[str], inherited_condition: str | None) -> None:
        for task_name, task in dag.get("tasks", {}).items():
            after = list(task.get("dependentTasks", [])) + inherited_after
            condition = _both(inherited_condition, task.get("triggerPolicy", {}).get("condition"))
            component = task["componentRef"]["name"]
            inner = components.get(component, {}).get("dag")
            if inner is not None:  # a group (dsl.If, dsl.ParallelFor...): flatten it
                visit(inner, after, condition)
            else:
                graph[task_name] = {"after": after, "condition": condition, "component": component}

    visit(spec["root"]["dag"], [], None)
    group_names = {n for n, c in components.items() if "dag" in c}
    for node in graph.values():  # dependencies on a group mean dependencies on its tasks
        node["after"] = sorted({a for a in node["after"] if a not in group_names and a in graph})
    return graph


def _both(outer: str | None, inner: str | None) -> str | None:
    """Join an enclosing group's condition and a task's own with CEL's ``&&``."""
    if outer and inner:
        return f"({outer}) && ({inner})"
    return inner or outer


def _source(spec_input: Mapping[str, Any], env: Mapping[str, str], kind: str) -> str:
    """Where one task input comes from, as ``pipeline.<param>``, ``<task>.<output>`` or ``constant:<value>``."""
    if kind == "parameters" and "runtimeValue" in spec_input:
        return f"constant:{spec_input['runtimeValue'].get('constant')!r}"
    key = "componentInputParameter" if kind == "parameters" else "componentInputArtifact"
    if key in spec_input:
        name = spec_input[key]
        return env.get(name, f"pipeline.{name}")
    producer = spec_input.get("taskOutputParameter") or spec_input.get("taskOutputArtifact") or {}
    output = producer.get("outputParameterKey") or producer.get("outputArtifactKey")
    if "producerTask" in producer and output:
        return f"{producer['producerTask']}.{output}"
    return "unknown"


def task_inputs(spec: Mapping[str, Any]) -> dict[str, dict[str, str]]:
    """Where each task of a compiled pipeline gets each of its inputs, through condition groups.

    Args:
        spec: a compiled pipeline spec (see :func:`load_pipeline_spec`).

    Returns:
        Task name -> input name -> source: ``"pipeline.<parameter>"`` for a pipeline
        parameter, ``"<task>.<output>"`` for another task's output parameter or artifact
        (``"train.model"``, ``"gate.Output"``), ``"constant:<value>"`` for a literal.
    """
    if not isinstance(spec, Mapping) or "root" not in spec or "components" not in spec:
        raise ValueError("spec must be a compiled KFP pipeline spec with 'root' and 'components' keys.")
    components = spec["components"]
    found: dict[str, dict[str, str]] = {}

    def visit(dag: Mapping[str, Any], env: Mapping[str, str]) -> None:
        for task_name, task in dag.get("tasks", {}).items():
            resolved = {
                name: _source(value, env, kind)
                for kind in ("parameters", "artifacts")
                for name, value in task.get("inputs", {}).get(kind, {}).items()
            }
            inner = components.get(task["componentRef"]["name"], {}).get("dag")
            if inner is not None:  # a group: its tasks see these inputs under the same names
                visit(inner, resolved)
            else:
                found[task_name] = resolved

    visit(spec["root"]["dag"], {})
    return found


_CEL_CHANNEL = re.compile(r"inputs\.parameter_values\['pipelinechannel--([^']+)'\]")
_CEL_TOKENS = re.compile(
    r"\s*(&&|\|\||!=|==|<=|>=|<|>|!|\(|\)|true\b|false\b|_value\(\d+\)|int\(|double\(|string\(|'[^']*'|\"[^\"]*\"|-?\d+(?:\.\d+)?(?:[eE]-?\d+)?)"
)
_CEL_TO_PYTHON = {"&&": " and ", "||": " or ", "!": " not ", "true": "True", "false": "False", "double(": "float("}


def condition_channels(condition: str) -> list[str]:
    """The pipeline channels a compiled condition reads, e.g. ``["gate-Output"]``."""
    return sorted(set(_CEL_CHANNEL.findall(condition)))


def condition_holds(condition: str, values: Mapping[str, Any]) -> bool:
    """Evaluate a compiled ``dsl.If`` condition (a small CEL subset) for given channel values.

    Args:
        condition: a task's condition from :func:`pipeline_graph`, e.g.
            ``"inputs.parameter_values['pipelinechannel--gate-Output'] == true"``.
        values: channel name (``"gate-Output"``: task ``gate``, output ``Output``; or a
            pipeline parameter's name) -> the value it would have at run time.

    Returns:
        Whether the condition is true, i.e. whether the task would run.
    """
    if not isinstance(condition, str):
        raise TypeError(f"condition must be a task's condition string (see pipeline_graph), got {condition!r:.60}.")
    channels = condition_channels(condition)
    unknown = [c for c in channels if c not in values]
    if unknown:
        raise ValueError(f"values has no value for channel(s) {unknown}; the condition reads {channels}.")
    text = _CEL_CHANNEL.sub(lambda m: f"_value({channels.index(m.group(1))})", condition)
    python, position = [], 0
    while position < len(text.rstrip()):
        match = _CEL_TOKENS.match(text, position)
        if match is None:
            raise ValueError(f"condition has an expression this evaluator does not support: {condition!r}")
        token = match.group(1)
        python.append(_CEL_TO_PYTHON.get(token, token))
        position = match.end()
    namespace = {"_value": lambda i: values[channels[i]], "int": int, "float": float, "string": str}
    return bool(eval("".join(python), {"__builtins__": {}}, namespace))


def short_condition(condition: str) -> str:
    """Make a compiled condition readable: ``inputs.parameter_values['pipelinechannel--evaluate-Output'] == true`` -> ``evaluate.Output == true``."""
    return _CHANNEL.sub(lambda m: f"{m.group(1)}.{m.group(2)}", condition)


def _layers(graph: Mapping[str, Mapping[str, Any]]) -> dict[str, int]:
    depth: dict[str, int] = {}

    def level(name: str, seen: tuple[str, ...] = ()) -> int:
        if name in seen:
            raise ValueError(f"the graph has a cycle through {name!r}.")
        if name not in depth:
            ups = graph[name]["after"]
            depth[name] = 0 if not ups else 1 + max(level(u, (*seen, name)) for u in ups)
        return depth[name]

    for name in graph:
        level(name)
    return depth


def draw_pipeline_graph(graph: Mapping[str, Mapping[str, Any]], ax: Any, title: str = "Pipeline graph") -> None:
    """Draw a task graph (from :func:`pipeline_graph`) left to right on a matplotlib axis.

    Tasks run under a condition are drawn dashed with the condition beneath them.
    """
    if not graph:
        raise ValueError("graph is empty; pass pipeline_graph(spec) of a pipeline with tasks.")
    depth = _layers(graph)
    columns: dict[int, list[str]] = {}
    for name in graph:
        columns.setdefault(depth[name], []).append(name)
    position = {
        name: (float(col), (len(names) - 1) / 2 - row)
        for col, names in columns.items()
        for row, name in enumerate(names)
    }
    for name, node in graph.items():
        for upstream in node["after"]:
            (x0, y0), (x1, y1) = position[upstream], position[name]
            ax.annotate("", xy=(x1 - 0.38, y1), xytext=(x0 + 0.38, y0), arrowprops={"arrowstyle": "->", "color": "0.3"})
    for name, (x, y) in position.items():
        conditional = graph[name]["condition"] is not None
        ax.text(
            x,
            y,
            name,
            ha="center",
            va="center",
            fontsize=9,
            bbox={
                "boxstyle": "round,pad=0.4",
                "facecolor": "#fff4e0" if conditional else "#e8f0fe",
                "edgecolor": "#c77700" if conditional else "#3b6fb6",
                "linestyle": "--" if conditional else "-",
            },
        )
        if conditional:
            label = "if " + short_condition(graph[name]["condition"])
            ax.text(x, y - 0.3, label, ha="center", va="top", fontsize=7, color="#c77700")
    ax.set_xlim(-0.6, max(depth.values()) + 0.6)
    ax.set_ylim(-1.2, 1.0 + max(len(v) for v in columns.values()) / 2 - 0.5)
    ax.set_title(title)
    ax.set_xlabel("execution order (left to right)")
    ax.set_ylabel("parallel branches")
    ax.set_xticks(range(max(depth.values()) + 1))
    ax.set_yticks([])


__all__ = [
    "PipelineRunSummary",
    "condition_channels",
    "condition_holds",
    "draw_pipeline_graph",
    "init_local_runner",
    "load_pipeline_spec",
    "pipeline_graph",
    "run_pipeline",
    "short_condition",
    "summarise_log",
    "task_inputs",
]
