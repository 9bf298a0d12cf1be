"""Module 1's pictures: the ML lifecycle, Google's maturity levels, hidden technical debt, the tool landscape."""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd
from matplotlib import pyplot as plt
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.patches import FancyArrowPatch, FancyBboxPatch

from mlops_course.i18n import tr

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
    ax.add_patch(
        FancyBboxPatch(
            (x - width / 2, y - height / 2),
            width,
            height,
            boxstyle="round,pad=0.04",
            facecolor=color,
            edgecolor="#444444",
            linewidth=1,
        )
    )
    ax.text(x, y, text, ha="center", va="center", fontsize=8.5, wrap=True)


def _arrow(
    ax: Axes,
    start: tuple[float, float],
    end: tuple[float, float],
    label: str = "",
    style: str = "-",
    curve: float = 0.0,
) -> None:
    ax.add_patch(
        FancyArrowPatch(
            start,
            end,
            arrowstyle="-|>",
            mutation_scale=12,
            linestyle=style,
            connectionstyle=f"arc3,rad={curve}",
            color="#333333",
            shrinkA=2,
            shrinkB=2,
        )
    )
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


def _flow(
    ax: Axes, steps: Sequence[tuple[str, str]], y: float, x0: float = 1.0, dx: float = 2.0, width: float = 1.6
) -> list[tuple[float, float]]:
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
    0: (
        "Level 0 - manual process: notebooks by hand, a model file handed over, rare releases, no monitoring",
        [
            ("Offline data", "data"),
            ("Notebook:\nprepare, train,\nevaluate (by hand)", "manual"),
            ("Model file\nhanded over", "manual"),
            ("Prediction\nservice", "ops"),
            ("(no monitoring)", "manual"),
        ],
    ),
    1: (
        "Level 1 - ML pipeline automation: the pipeline is deployed and retrains the model by itself",
        [
            ("Data + feature\nstore", "data"),
            ("Automated pipeline:\nvalidate, train,\nevaluate", "auto"),
            ("Model registry\n+ metadata", "model"),
            ("Prediction\nservice", "ops"),
            ("Monitoring", "ops"),
        ],
    ),
    2: (
        "Level 2 - CI/CD pipeline automation: every change to code or pipeline is built, tested, deployed",
        [
            ("Source repo\n(code, config)", "manual"),
            ("CI: build +\ntest pipeline", "auto"),
            ("CD: deploy\npipeline", "auto"),
            ("Automated\npipeline", "auto"),
            ("Model registry", "model"),
            ("CD: model\nserving", "auto"),
            ("Monitoring", "ops"),
        ],
    ),
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
            ax.text(
                wall,
                0.35,
                "the wall between data science and operations",
                ha="center",
                fontsize=8,
                color="#7f0000",
                style="italic",
            )
        else:
            target = centres[1] if level == 1 else centres[3]
            _arrow(ax, (centres[-1][0], 1.0), (target[0], 1.0), style="--", curve=-0.12)
            ax.text(
                (centres[-1][0] + target[0]) / 2,
                0.0,
                "trigger: schedule, new data, drift",
                ha="center",
                fontsize=8,
                color="#7f0000",
                style="italic",
            )
    fig.suptitle(
        "MLOps maturity (after Google Cloud's 'MLOps: Continuous delivery and automation pipelines')", fontsize=11
    )
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
        ax.add_patch(
            FancyBboxPatch(
                (x, y),
                w,
                h,
                boxstyle="square,pad=0",
                linewidth=1,
                edgecolor="#444444",
                facecolor="#e06666" if ml else "#eeeeee",
            )
        )
        ax.text(
            x + w / 2, y + h / 2, label, ha="center", va="center", fontsize=8.5, fontweight="bold" if ml else "normal"
        )
    ax.set_xlabel(tr("plot.debt_caption"), fontsize=8)
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
    "GitHub Actions / GitLab CI / Jenkins": (
        "CI/CD: test, build and ship code, pipelines, models",
        (3, 4, 5),
        "module 4, ex. 3",
    ),
    "Kubernetes": ("runs containers: serving, jobs, autoscaling", (5, 6), "module 5, ex. 5"),
    "boto3 / AWS": ("provision storage, machines, IAM, autoscaling", (1, 5, 6), "module 5, ex. 5"),
}


def tool_landscape_table() -> pd.DataFrame:
    """The tool landscape as a table: tool, what it does, lifecycle stages, where the course uses it."""
    return pd.DataFrame(
        [
            {
                "tool": tool,
                "what it does": what,
                "lifecycle stages": ", ".join(LIFECYCLE_STAGES[i] for i in stages),
                "in this course": where,
            }
            for tool, (what, stages, where) in TOOLS.items()
        ]
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
    ax.set_xlabel(tr("plot.lifecycle_stage"))
    ax.set_ylabel(tr("plot.tool"))
    ax.set_title(tr("plot.landscape_title"))
    ax.grid(axis="x", alpha=0.3)
    fig.tight_layout()
    return fig
