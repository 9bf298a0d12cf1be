"""Module 1, introduction to MLOps: lifecycle pictures, the maturity self-assessment, reproducing a run.

- :mod:`~mlops_course.lifecycle.pictures`: lifecycle, maturity levels, hidden debt, tool landscape.
- :mod:`~mlops_course.lifecycle.maturity`: the self-assessment.
- :mod:`~mlops_course.lifecycle.reproduce`: code version tags, typed parameters back from MLflow, metric comparison.

Their public names are re-exported here (``from mlops_course import lifecycle; lifecycle.draw_lifecycle()``).
"""

from mlops_course.lifecycle.maturity import (
    MATURITY_QUESTIONS,
    MaturityQuestion,
    maturity_level,
    next_steps,
    plot_self_assessment,
    score_self_assessment,
)
from mlops_course.lifecycle.pictures import (
    LIFECYCLE_STAGES,
    MATURITY_FLOWS,
    TOOLS,
    draw_hidden_debt,
    draw_lifecycle,
    draw_maturity_levels,
    draw_tool_landscape,
    tool_landscape_table,
)
from mlops_course.lifecycle.reproduce import code_version, compare_metrics, git_commit, parse_logged_params, source_hash

__all__ = [
    "LIFECYCLE_STAGES",
    "MATURITY_FLOWS",
    "MATURITY_QUESTIONS",
    "MaturityQuestion",
    "TOOLS",
    "code_version",
    "compare_metrics",
    "draw_hidden_debt",
    "draw_lifecycle",
    "draw_maturity_levels",
    "draw_tool_landscape",
    "git_commit",
    "maturity_level",
    "next_steps",
    "parse_logged_params",
    "plot_self_assessment",
    "score_self_assessment",
    "source_hash",
    "tool_landscape_table",
]
