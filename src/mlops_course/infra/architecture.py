"""The reference architecture of an ML platform, as a table and as a picture.

Each component says what it does, which tool the course uses for it on a laptop, what a
team uses in the cloud, and the module that teaches it.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from mlops_course.i18n import tr

#: (layer, component, course tool, cloud counterpart, module), drawn left to right by layer.
COMPONENTS: tuple[tuple[str, str, str, str, int], ...] = (
    ("data", "Data sources", "generate_applications", "partner APIs, databases", 6),
    ("data", "Data validation", "Evidently, checks", "Evidently, Great Expectations", 6),
    ("build", "Training pipeline", "KFP local runner", "Kubeflow Pipelines on K8s", 2),
    ("build", "CI/CD", "GitHub Actions, GitLab CI", "GitHub Actions, GitLab, Jenkins", 4),
    ("store", "Tracking & registry", "MLflow (SQLite)", "MLflow server + PostgreSQL", 3),
    ("store", "Artifact store", "S3 on the emulator", "Amazon S3 (versioned, encrypted)", 5),
    ("serve", "Model server", "FastAPI / MLflow pyfunc", "container on K8s or an ASG", 3),
    ("serve", "Autoscaling", "HPA manifest, ASG", "Kubernetes HPA, EC2 Auto Scaling", 5),
    ("operate", "Monitoring", "Evidently reports", "Evidently + Prometheus/Grafana", 3),
    ("operate", "Security & cost", "IAM audit, price table", "IAM, security groups, budgets", 5),
)
LAYERS = ("data", "build", "store", "serve", "operate")
#: Main flows between components (by name).
FLOWS: tuple[tuple[str, str], ...] = (
    ("Data sources", "Data validation"),
    ("Data validation", "Training pipeline"),
    ("Training pipeline", "Tracking & registry"),
    ("Training pipeline", "Artifact store"),
    ("CI/CD", "Training pipeline"),
    ("Tracking & registry", "Model server"),
    ("Artifact store", "Model server"),
    ("Model server", "Autoscaling"),
    ("Model server", "Monitoring"),
    ("Monitoring", "Training pipeline"),
)
_COLOURS = {"data": "#dbe9f6", "build": "#e2f0d9", "store": "#fdf2d0", "serve": "#f8dcdc", "operate": "#e8e0f3"}


def components_table() -> pd.DataFrame:
    """The components as a table: layer, component, course tool, cloud counterpart, module."""
    return pd.DataFrame(list(COMPONENTS), columns=["layer", "component", "course tool", "in the cloud", "module"])


def _positions() -> dict[str, tuple[float, float]]:
    positions: dict[str, tuple[float, float]] = {}
    for column, layer in enumerate(LAYERS):
        names = [c[1] for c in COMPONENTS if c[0] == layer]
        for row, name in enumerate(names):
            positions[name] = (column * 3.2, 3.0 - row * 2.4)
    return positions


def draw_reference_architecture(ax: Any = None) -> Any:
    """Draw the platform: one box per component (name + course tool), arrows for the main flows.

    Args:
        ax: a matplotlib Axes to draw on; a new figure is made when None.

    Returns:
        The matplotlib Figure.
    """
    import matplotlib.pyplot as plt
    from matplotlib.patches import FancyBboxPatch

    if ax is None:
        _, ax = plt.subplots(figsize=(11, 4.8), dpi=80)
    positions = _positions()
    width, height = 2.6, 1.5
    for layer, name, tool, _cloud, module in COMPONENTS:
        x, y = positions[name]
        ax.add_patch(FancyBboxPatch((x, y), width, height, boxstyle="round,pad=0.05", fc=_COLOURS[layer], ec="#555555"))
        ax.text(x + width / 2, y + 1.0, name, ha="center", va="center", fontsize=9, weight="bold")
        ax.text(
            x + width / 2, y + 0.45, f"{tool}\n({tr('plot.module')} {module})", ha="center", va="center", fontsize=7.5
        )
    for source, target in FLOWS:
        (x0, y0), (x1, y1) = positions[source], positions[target]
        start = (x0 + width, y0 + height / 2) if x1 > x0 else (x0 + width / 2, y0 if y1 < y0 else y0 + height)
        end = (x1, y1 + height / 2) if x1 > x0 else (x1 + width / 2, y1 + height if y1 < y0 else y1)
        if x1 < x0:  # feedback flow (monitoring -> retraining): an arc above the boxes
            start, end = (x0 + width / 2, y0 + height), (x1 + width / 2, y1 + height)
        style = "arc3,rad=0.2" if x1 < x0 else "arc3,rad=0.0"
        ax.annotate(
            "", xy=end, xytext=start, arrowprops={"arrowstyle": "->", "color": "#333333", "connectionstyle": style}
        )
    for column, layer in enumerate(LAYERS):
        ax.text(column * 3.2 + width / 2, 4.7, layer.upper(), ha="center", fontsize=9, color="#333333")
    ax.text(8.0, 5.6, tr("plot.retrain_on_drift"), ha="center", fontsize=8, style="italic")
    ax.set_xlim(-0.3, len(LAYERS) * 3.2)
    ax.set_ylim(-0.2, 6.6)
    ax.set_xticks([])
    ax.set_yticks([])
    ax.set_xlabel(tr("plot.architecture_x"))
    ax.set_ylabel(tr("plot.components"))
    ax.set_title(tr("plot.architecture_title"))
    return ax.figure


__all__ = ["COMPONENTS", "FLOWS", "LAYERS", "components_table", "draw_reference_architecture"]
