"""Module 1's plumbing: lifecycle, maturity and tool-landscape pictures, the maturity
self-assessment, and the helpers that record and check a run's code version and recipe.

The notebook keeps the code a learner must read (training, tracking, reproducing); this
module holds what only draws boxes or converts types.
"""

from __future__ import annotations

import hashlib
import inspect
import subprocess
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
from matplotlib import pyplot as plt
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.patches import FancyArrowPatch, FancyBboxPatch

#: The ML lifecycle as this course draws it, in order.
LIFECYCLE_STAGES: tuple[str, ...] = (
    "Frame the problem",
    "Collect data",
    "Prepare & validate data",
    "Train & track",
    "Evaluate & validate model",
    "Deploy & serve",
    "Monitor",
)
_DPI = 80
_COLORS = {"data": "#cfe2f3", "model": "#d9ead3", "ops": "#fce5cd", "manual": "#eeeeee", "auto": "#fff2cc"}


# --- drawing primitives ----------------------------------------------------------------
def _box(ax: Axes, x: float, y: float, text: str, color: str, width: float = 1.6, height: float = 0.7) -> None:
    ax.add_patch(FancyBboxPatch((x - width / 2, y - height / 2), width, height, boxstyle="round,pad=0.04",
                                facecolor=color, edgecolor="#444444", linewidth=1))
    ax.text(x, y, text, ha="center", va="center", fontsize=8.5, wrap=True)


def _arrow(ax: Axes, start: tuple[float, float], end: tuple[float, float], label: str = "",
           style: str = "-", curve: float = 0.0) -> None:
    ax.add_patch(FancyArrowPatch(start, end, arrowstyle="-|>", mutation_scale=12, linestyle=style,
                                 connectionstyle=f"arc3,rad={curve}", color="#333333", shrinkA=2, shrinkB=2))
    if label:
        mid = ((start[0] + end[0]) / 2, (start[1] + end[1]) / 2)
        ax.text(mid[0], mid[1] + 0.12, label, ha="center", va="bottom", fontsize=8, style="italic", color="#7f0000")


def _canvas(ax: Axes, xlim: tuple[float, float], ylim: tuple[float, float], title: str) -> None:
    ax.set_xlim(*xlim)
    ax.set_ylim(*ylim)
    ax.set_title(title, fontsize=10.5, loc="left")
    ax.set_xticks([])
    ax.set_yticks([])
    for side in ax.spines.values():
        side.set_visible(False)


def _flow(ax: Axes, steps: Sequence[tuple[str, str]], y: float, x0: float = 1.0, dx: float = 2.0,
          width: float = 1.6) -> list[tuple[float, float]]:
    """Draw boxes left to right joined by arrows; return their centres."""
    centres = [(x0 + i * dx, y) for i in range(len(steps))]
    for (x, yy), (text, kind) in zip(centres, steps):
        _box(ax, x, yy, text, _COLORS[kind], width=width)
    for (xa, ya), (xb, yb) in zip(centres, centres[1:]):
        _arrow(ax, (xa + width / 2, ya), (xb - width / 2, yb))
    return centres


# --- the pictures ----------------------------------------------------------------------
def draw_lifecycle() -> Figure:
    """Draw the ML lifecycle: seven stages in a loop, with monitoring feeding retraining."""
    fig, ax = plt.subplots(figsize=(10, 4.2), dpi=_DPI)
    _canvas(ax, (-0.2, 8.4), (-0.1, 3.9), "The ML lifecycle: a loop, not a line")
    kinds = ("manual", "data", "data", "model", "model", "ops", "ops")
    top = [(1.0 + 2.0 * i, 3.0) for i in range(4)]
    bottom = [(5.0, 1.0), (3.0, 1.0), (1.0, 1.0)]
    for (x, y), text, kind in zip(top + bottom, LIFECYCLE_STAGES, kinds):
        _box(ax, x, y, text, _COLORS[kind])
    for a, b in zip(top, top[1:]):
        _arrow(ax, (a[0] + 0.8, a[1]), (b[0] - 0.8, b[1]))
    _arrow(ax, (7.0, 2.65), (5.6, 1.35))
    for a, b in zip(bottom, bottom[1:]):
        _arrow(ax, (a[0] - 0.8, a[1]), (b[0] + 0.8, b[1]))
    _arrow(ax, (1.4, 1.35), (2.6, 2.65), "retrain on new data", style="--")
    _arrow(ax, (0.6, 1.35), (0.6, 2.65), "new questions", style=":")
    for kind, label, x in (("data", "data work", 7.3), ("model", "modelling", 7.3), ("ops", "operations", 7.3)):
        y = {"data": 1.5, "model": 1.0, "ops": 0.5}[kind]
        _box(ax, x, y, label, _COLORS[kind], width=1.2, height=0.35)
    fig.tight_layout()
    return fig


#: Google's MLOps maturity levels: what each automates, as boxes (text, kind).
MATURITY_FLOWS: dict[int, tuple[str, list[tuple[str, str]]]] = {
    0: ("Level 0 - manual process: notebooks by hand, a model file handed over, rare releases, no monitoring",
        [("Offline data", "data"), ("Notebook:\nprepare, train,\nevaluate (by hand)", "manual"),
         ("Model file\nhanded over", "manual"), ("Prediction\nservice", "ops"), ("(no monitoring)", "manual")]),
    1: ("Level 1 - ML pipeline automation: the pipeline is deployed and retrains the model by itself",
        [("Data + feature\nstore", "data"), ("Automated pipeline:\nvalidate, train,\nevaluate", "auto"),
         ("Model registry\n+ metadata", "model"), ("Prediction\nservice", "ops"), ("Monitoring", "ops")]),
    2: ("Level 2 - CI/CD pipeline automation: every change to code or pipeline is built, tested, deployed",
        [("Source repo\n(code, config)", "manual"), ("CI: build +\ntest pipeline", "auto"),
         ("CD: deploy\npipeline", "auto"), ("Automated\npipeline", "auto"), ("Model registry", "model"),
         ("CD: model\nserving", "auto"), ("Monitoring", "ops")]),
}


def draw_maturity_levels() -> Figure:
    """Draw Google's MLOps maturity levels 0, 1 and 2 as three flows of boxes."""
    fig, axes = plt.subplots(3, 1, figsize=(11, 7.2), dpi=_DPI)
    for level, ax in zip((0, 1, 2), axes):
        title, steps = MATURITY_FLOWS[level]
        dx = 12.6 / len(steps)
        _canvas(ax, (0, 13.2), (-0.35, 2.2), title)
        centres = _flow(ax, steps, y=1.35, x0=0.4 + dx / 2, dx=dx, width=min(1.6, dx - 0.25))
        if level == 0:
            wall = (centres[2][0] + centres[3][0]) / 2
            ax.plot([wall, wall], [0.6, 2.0], linestyle="--", color="#7f0000")
            ax.text(wall, 0.35, "the wall between data science and operations", ha="center",
                    fontsize=8, color="#7f0000", style="italic")
        else:
            target = centres[1] if level == 1 else centres[3]
            _arrow(ax, (centres[-1][0], 1.0), (target[0], 1.0), style="--", curve=-0.12)
            ax.text((centres[-1][0] + target[0]) / 2, 0.0, "trigger: schedule, new data, drift",
                    ha="center", fontsize=8, color="#7f0000", style="italic")
    fig.suptitle("MLOps maturity (after Google Cloud's 'MLOps: Continuous delivery and automation pipelines')",
                 fontsize=11)
    fig.tight_layout()
    return fig


_DEBT_BOXES: tuple[tuple[str, float, float, float, float], ...] = (
    ("Configuration", 0.0, 0.0, 2.4, 4.0),
    ("Data collection", 2.5, 2.1, 2.6, 1.9),
    ("Data verification", 2.5, 0.0, 2.6, 2.0),
    ("Feature extraction", 5.2, 2.6, 2.2, 1.4),
    ("ML\ncode", 5.2, 1.75, 0.7, 0.75),
    ("Analysis tools", 6.0, 1.75, 1.4, 0.75),
    ("Machine resource\nmanagement", 5.2, 0.0, 2.2, 1.65),
    ("Process\nmanagement", 7.5, 2.6, 1.6, 1.4),
    ("Serving\ninfrastructure", 7.5, 0.0, 1.6, 2.5),
    ("Monitoring", 9.2, 0.0, 1.6, 4.0),
)


def draw_hidden_debt() -> Figure:
    """Draw Sculley et al.'s picture: the ML code is a small box inside a large system."""
    fig, ax = plt.subplots(figsize=(9, 3.6), dpi=_DPI)
    _canvas(ax, (-0.1, 10.9), (-0.1, 4.1), "Hidden technical debt: the ML code is a small part of an ML system")
    for label, x, y, w, h in _DEBT_BOXES:
        ml = label.startswith("ML")
        ax.add_patch(FancyBboxPatch((x, y), w, h, boxstyle="square,pad=0", linewidth=1, edgecolor="#444444",
                                    facecolor="#e06666" if ml else "#eeeeee"))
        ax.text(x + w / 2, y + h / 2, label, ha="center", va="center", fontsize=8.5,
                fontweight="bold" if ml else "normal")
    ax.set_xlabel("box areas are illustrative, after Sculley et al. (NeurIPS 2015), figure 1", fontsize=8)
    fig.tight_layout()
    return fig


# --- the tool landscape ----------------------------------------------------------------
#: tool -> (what it does, lifecycle stage indices it covers, where this course uses it)
TOOLS: dict[str, tuple[str, tuple[int, ...], str]] = {
    "scikit-learn": ("preprocessing + models in one Pipeline (no skew)", (2, 3, 4), "modules 1-6"),
    "MLflow": ("experiment tracking, model registry, model serving", (3, 4, 5), "modules 1, 3"),
    "Kubeflow Pipelines": ("ML workflows as pipelines of containerised steps", (1, 2, 3, 4), "module 2, ex. 1"),
    "Airflow / Prefect": ("general workflow scheduling (DAGs of tasks)", (1, 2, 3), "module 2 (compared)"),
    "Evidently": ("data quality, drift and model-performance reports", (2, 6), "modules 3, 6"),
    "GitHub Actions / GitLab CI / Jenkins": ("CI/CD: test, build and ship code, pipelines, models",
                                              (3, 4, 5), "module 4, ex. 3"),
    "Kubernetes": ("runs containers: serving, jobs, autoscaling", (5, 6), "module 5, ex. 5"),
    "boto3 / AWS": ("provision storage, machines, IAM, autoscaling", (1, 5, 6), "module 5, ex. 5"),
}


def tool_landscape_table() -> pd.DataFrame:
    """The tool landscape as a table: tool, what it does, lifecycle stages, where the course uses it."""
    return pd.DataFrame(
        [{"tool": tool, "what it does": what, "lifecycle stages": ", ".join(LIFECYCLE_STAGES[i] for i in stages),
          "in this course": where} for tool, (what, stages, where) in TOOLS.items()]
    )


def _runs(indices: Sequence[int]) -> list[tuple[int, int]]:
    """Group sorted stage indices into contiguous (first, last) runs."""
    runs: list[tuple[int, int]] = []
    for i in sorted(indices):
        if runs and i == runs[-1][1] + 1:
            runs[-1] = (runs[-1][0], i)
        else:
            runs.append((i, i))
    return runs


def draw_tool_landscape() -> Figure:
    """Draw each tool as bars over the lifecycle stages it covers."""
    fig, ax = plt.subplots(figsize=(10, 4.2), dpi=_DPI)
    names = list(TOOLS)
    for row, name in enumerate(names):
        for first, last in _runs(TOOLS[name][1]):
            ax.barh(row, last - first + 0.8, left=first - 0.4, color=f"C{row}", alpha=0.8)
    ax.set_yticks(range(len(names)), names, fontsize=8.5)
    ax.invert_yaxis()
    ax.set_xticks(range(len(LIFECYCLE_STAGES)), [s.replace(" & ", " &\n") for s in LIFECYCLE_STAGES], fontsize=8)
    ax.set_xlim(-0.6, len(LIFECYCLE_STAGES) - 0.4)
    ax.set_xlabel("lifecycle stage")
    ax.set_ylabel("tool")
    ax.set_title("The MLOps tool landscape mapped onto the lifecycle")
    ax.grid(axis="x", alpha=0.3)
    fig.tight_layout()
    return fig


# --- the maturity self-assessment ------------------------------------------------------
@dataclass(frozen=True)
class MaturityQuestion:
    """One yes/no practice: the area it belongs to, the maturity level it marks, the question."""

    area: str
    level: int
    text: str


MATURITY_QUESTIONS: dict[str, MaturityQuestion] = {
    "data_fingerprinted": MaturityQuestion("Data", 1, "Every training run records exactly which data it used."),
    "data_validated": MaturityQuestion("Data", 1, "New data is validated automatically (schema, ranges) before use."),
    "experiments_tracked": MaturityQuestion("Experiments", 1, "Parameters, metrics, artifacts of every run are tracked."),
    "runs_reproducible": MaturityQuestion("Experiments", 1, "Any past run can be re-run and gives the same metric."),
    "pipeline_automated": MaturityQuestion("Pipelines", 1, "Training runs as an automated pipeline, not by hand."),
    "retraining_triggered": MaturityQuestion("Pipelines", 1, "Retraining starts by itself (schedule, new data, drift)."),
    "model_registry": MaturityQuestion("Deployment", 1, "Models are versioned in a registry; production's is known."),
    "rollback_possible": MaturityQuestion("Deployment", 1, "A bad model can be rolled back in minutes."),
    "service_monitored": MaturityQuestion("Monitoring", 1, "Predictions, latency and errors are monitored."),
    "drift_alerts": MaturityQuestion("Monitoring", 1, "Drift and performance decay raise alerts."),
    "ml_tests_in_ci": MaturityQuestion("CI/CD", 2, "Code, data and model tests run in CI on every change."),
    "pipeline_cd": MaturityQuestion("CI/CD", 2, "The pipeline itself is built, tested, deployed by CI/CD."),
}


def _check_answers(answers: Mapping[str, object]) -> None:
    unknown = sorted(set(answers) - set(MATURITY_QUESTIONS))
    if unknown:
        raise ValueError(f"answers has unknown question(s) {unknown}; the questions are: {', '.join(MATURITY_QUESTIONS)}.")
    missing = sorted(set(MATURITY_QUESTIONS) - set(answers))
    if missing:
        raise ValueError(f"answers lacks question(s) {missing}; answer each with True or False.")
    not_bool = sorted(k for k, v in answers.items() if not isinstance(v, bool))
    if not_bool:
        raise ValueError(f"answers must be True or False; {not_bool} are not.")


def score_self_assessment(answers: Mapping[str, bool]) -> pd.DataFrame:
    """Score a self-assessment per area.

    Args:
        answers: one ``True``/``False`` per key of :data:`MATURITY_QUESTIONS`.

    Returns:
        One row per area: ``practices`` (how many questions), ``in place`` (how many
        answered True) and ``score`` (percent in place, rounded).

    Raises:
        ValueError: a question is unknown, missing, or not answered with a bool.
    """
    _check_answers(answers)
    rows = pd.DataFrame([{"area": q.area, "in place": bool(answers[k])} for k, q in MATURITY_QUESTIONS.items()])
    table = rows.groupby("area", sort=False)["in place"].agg(practices="size", **{"in place": "sum"})
    table["score"] = (100 * table["in place"] / table["practices"]).round().astype(int)
    return table.reset_index()


def maturity_level(answers: Mapping[str, bool]) -> int:
    """The highest level whose practices (and those of every lower level) are all in place (0, 1 or 2)."""
    _check_answers(answers)
    level = 0
    for candidate in (1, 2):
        if all(answers[k] for k, q in MATURITY_QUESTIONS.items() if q.level <= candidate):
            level = candidate
    return level


def next_steps(answers: Mapping[str, bool], limit: int = 3) -> list[str]:
    """The practices still missing for the next maturity level (at most ``limit``), in question order."""
    if limit < 1:
        raise ValueError(f"limit must be at least 1, got {limit!r}.")
    target = min(maturity_level(answers) + 1, 2)
    missing = [q.text for k, q in MATURITY_QUESTIONS.items() if q.level <= target and not answers[k]]
    return missing[:limit]


def plot_self_assessment(scores: pd.DataFrame, level: int) -> Figure:
    """Draw the per-area scores of :func:`score_self_assessment` as horizontal bars."""
    if not {"area", "score"} <= set(scores.columns):
        raise ValueError(f"scores needs columns 'area' and 'score' (from score_self_assessment), got {list(scores.columns)}.")
    fig, ax = plt.subplots(figsize=(7, 3.2), dpi=_DPI)
    colors = ["#cc0000" if s < 50 else "#e69138" if s < 100 else "#6aa84f" for s in scores["score"]]
    bars = ax.barh(scores["area"], scores["score"], color=colors)
    ax.bar_label(bars, labels=[f"{s}%" for s in scores["score"]], padding=3, fontsize=8)
    ax.invert_yaxis()
    ax.set_xlim(0, 110)
    ax.set_xlabel("practices in place (%)")
    ax.set_ylabel("area")
    ax.set_title(f"Maturity self-assessment: level {level}")
    fig.tight_layout()
    return fig


# --- code version and logged recipes ---------------------------------------------------
def source_hash(func: Callable[..., object]) -> str:
    """The first 16 hex digits of the SHA-256 of a function's source code."""
    try:
        source = inspect.getsource(func)
    except (OSError, TypeError) as exc:
        raise ValueError(f"cannot read the source of {func!r}; pass a function defined in a file or notebook cell.") from exc
    return hashlib.sha256(source.encode()).hexdigest()[:16]


def git_commit(folder: str | Path = ".") -> str | None:
    """The commit checked out in the git repository around ``folder``, or ``None`` (no git, no repo)."""
    try:
        done = subprocess.run(["git", "rev-parse", "HEAD"], cwd=folder, capture_output=True, text=True, timeout=10, check=False)
    except (OSError, subprocess.SubprocessError):
        return None
    commit = done.stdout.strip()
    return commit if done.returncode == 0 and len(commit) == 40 else None


def code_version(func: Callable[..., object], folder: str | Path = ".") -> dict[str, str]:
    """Tags that say which code trained a model: the git commit when there is one, and always
    the hash of the training function's source (a notebook cell can change without a commit).

    Returns:
        ``code.version_kind`` (``"git commit"`` or ``"source hash"``), ``code.source_sha256``
        and, when available, ``code.git_commit``.
    """
    tags = {"code.source_sha256": source_hash(func)}
    commit = git_commit(folder)
    if commit:
        tags["code.git_commit"] = commit
    tags["code.version_kind"] = "git commit" if commit else "source hash"
    return tags


def parse_logged_params(logged: Mapping[str, str], template: Mapping[str, object]) -> dict[str, object]:
    """Turn MLflow's logged parameters (always strings) back into typed values.

    Args:
        logged: ``run.data.params`` of an MLflow run.
        template: the recipe's keys with example values whose types to restore (int, float, bool, str).

    Returns:
        A dict with the template's keys and typed values from ``logged``.

    Raises:
        ValueError: a key is missing from the run or its value does not convert.
    """
    missing = [k for k in template if k not in logged]
    if missing:
        raise ValueError(f"the run did not log parameter(s) {missing}; cannot reproduce it from its parameters.")
    typed: dict[str, object] = {}
    for key, example in template.items():
        text = str(logged[key])
        try:
            if isinstance(example, bool):
                if text not in ("True", "False"):
                    raise ValueError(text)
                typed[key] = text == "True"
            else:
                typed[key] = type(example)(text) if isinstance(example, (int, float, str)) else text
        except ValueError as exc:
            raise ValueError(f"logged parameter {key}={text!r} is not a {type(example).__name__}.") from exc
    return typed


def compare_metrics(original: Mapping[str, float], reproduced: Mapping[str, float], tolerance: float = 1e-9) -> pd.DataFrame:
    """Put the logged and the reproduced metrics side by side, with whether each matches within ``tolerance``."""
    if tolerance < 0:
        raise ValueError(f"tolerance must be >= 0, got {tolerance!r}.")
    missing = [k for k in original if k not in reproduced]
    if missing:
        raise ValueError(f"reproduced metrics lack {missing}; evaluate the same metrics as the original run.")
    rows = [{"metric": k, "logged": float(v), "reproduced": float(reproduced[k]),
             "match": abs(float(v) - float(reproduced[k])) <= tolerance} for k, v in original.items()]
    return pd.DataFrame(rows)
