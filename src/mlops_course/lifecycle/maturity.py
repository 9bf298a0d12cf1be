"""The maturity self-assessment: questions, scores per area, the level reached and next steps."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import pandas as pd
from matplotlib import pyplot as plt
from matplotlib.figure import Figure

from mlops_course.i18n import tr

_DPI = 80


@dataclass(frozen=True)
class MaturityQuestion:
    """One yes/no practice: the area it belongs to, the maturity level it marks, the question."""

    area: str
    level: int
    text: str


MATURITY_QUESTIONS: dict[str, MaturityQuestion] = {
    "data_fingerprinted": MaturityQuestion("Data", 1, "Every training run records exactly which data it used."),
    "data_validated": MaturityQuestion("Data", 1, "New data is validated automatically (schema, ranges) before use."),
    "experiments_tracked": MaturityQuestion(
        "Experiments", 1, "Parameters, metrics, artifacts of every run are tracked."
    ),
    "runs_reproducible": MaturityQuestion("Experiments", 1, "Any past run can be re-run and gives the same metric."),
    "pipeline_automated": MaturityQuestion("Pipelines", 1, "Training runs as an automated pipeline, not by hand."),
    "retraining_triggered": MaturityQuestion(
        "Pipelines", 1, "Retraining starts by itself (schedule, new data, drift)."
    ),
    "model_registry": MaturityQuestion("Deployment", 1, "Models are versioned in a registry; production's is known."),
    "rollback_possible": MaturityQuestion("Deployment", 1, "A bad model can be rolled back in minutes."),
    "service_monitored": MaturityQuestion("Monitoring", 1, "Predictions, latency and errors are monitored."),
    "drift_alerts": MaturityQuestion("Monitoring", 1, "Drift and performance decay raise alerts."),
    "ml_tests_in_ci": MaturityQuestion("CI/CD", 2, "Code, data and model tests run in CI on every change."),
    "pipeline_cd": MaturityQuestion("CI/CD", 2, "The pipeline itself is built, tested, deployed by CI/CD."),
}


def _check_answers(answers: Mapping[str, object]) -> None:
    if not isinstance(answers, Mapping):
        raise TypeError(f"answers must be a dict of question -> True/False, got {type(answers).__name__}.")
    unknown = sorted(set(answers) - set(MATURITY_QUESTIONS))
    if unknown:
        raise ValueError(
            f"answers has unknown question(s) {unknown}; the questions are: {', '.join(MATURITY_QUESTIONS)}."
        )
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
    if isinstance(limit, bool) or not isinstance(limit, int) or limit < 1:
        raise ValueError(f"limit must be a whole number of at least 1, got {limit!r}.")
    target = min(maturity_level(answers) + 1, 2)
    missing = [q.text for k, q in MATURITY_QUESTIONS.items() if q.level <= target and not answers[k]]
    return missing[:limit]


def plot_self_assessment(scores: pd.DataFrame, level: int) -> Figure:
    """Draw the per-area scores of :func:`score_self_assessment` as horizontal bars."""
    if not isinstance(scores, pd.DataFrame):
        raise TypeError(f"scores must be the DataFrame score_self_assessment returns, got {type(scores).__name__}.")
    if level not in (0, 1, 2) or isinstance(level, bool):
        raise ValueError(f"level must be a maturity level 0, 1 or 2 (see maturity_level), got {level!r}.")
    if not {"area", "score"} <= set(scores.columns):
        raise ValueError(
            f"scores needs columns 'area' and 'score' (from score_self_assessment), got {list(scores.columns)}."
        )
    fig, ax = plt.subplots(figsize=(7, 3.2), dpi=_DPI)
    colors = ["#cc0000" if s < 50 else "#e69138" if s < 100 else "#6aa84f" for s in scores["score"]]
    bars = ax.barh(scores["area"], scores["score"], color=colors)
    ax.bar_label(bars, labels=[f"{s}%" for s in scores["score"]], padding=3, fontsize=8)
    ax.invert_yaxis()
    ax.set_xlim(0, 110)
    ax.set_xlabel(tr("plot.practices"))
    ax.set_ylabel(tr("plot.area"))
    ax.set_title(tr("plot.maturity_title", level=level))
    fig.tight_layout()
    return fig
