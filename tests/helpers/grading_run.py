"""Run the real grader with the test suite's defaults."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from mlops_course.grading.grade import GradeOptions, grade
from mlops_course.grading.jobs import Limits

CLASS_LIMITS = Limits(cell_timeout=20, notebook_timeout=180, memory_bytes=3 * 1024**3, output_bytes=5 * 1024**2)


def run_grade(submissions: Path, out: Path, limits: Limits = CLASS_LIMITS, **options: Any) -> list[dict[str, Any]]:
    """Grade with the test defaults (2 workers, no progress bar)."""
    opts = GradeOptions(out=out, workers=2, limits=limits, progress=False, **options)
    return grade(submissions, opts)


def by_student(results: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """Results keyed by student id."""
    return {r["student_id"]: r for r in results}
