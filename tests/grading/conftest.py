"""Fixtures of the grader's tests: one graded class of ex0 submissions, shared."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.modules.setdefault("rfc3987_syntax", None)  # type: ignore[arg-type]  # see commands._fast_nbformat

import grading_submissions as subs  # noqa: E402

from mlops_course.grading.grade import GradeOptions, grade  # noqa: E402
from mlops_course.grading.jobs import Limits  # noqa: E402
from mlops_course.grading.sandbox import probe_namespaces  # noqa: E402

#: threats only the namespace sandbox stops (reading/writing files, killing other processes)
NEEDS_NAMESPACES = ("threat_read_solutions", "threat_write_grades", "threat_kill_everything")
CLASS_LIMITS = Limits(cell_timeout=20, notebook_timeout=180, memory_bytes=3 * 1024**3, output_bytes=5 * 1024**2)


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "grading: runs the real grader on notebooks (slow: kernels)")


def run_grade(submissions: Path, out: Path, limits: Limits = CLASS_LIMITS, **options: Any) -> list[dict[str, Any]]:
    """Grade with the test defaults (2 workers, no progress bar)."""
    opts = GradeOptions(out=out, workers=2, limits=limits, progress=False, **options)
    return grade(submissions, opts)


def by_student(results: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {r["student_id"]: r for r in results}


@pytest.fixture(scope="session")
def sandbox_mode() -> str:
    return probe_namespaces()[0]


@pytest.fixture(scope="session")
def graded_class(tmp_path_factory: pytest.TempPathFactory, sandbox_mode: str) -> dict[str, Any]:
    """Every ex0 submission of grading_submissions graded in one run."""
    root = tmp_path_factory.mktemp("class")
    students = [s for s in subs.EXPECTED if sandbox_mode == "namespaces" or s not in NEEDS_NAMESPACES]
    submissions = subs.write_class(root / "submissions", students)
    out = root / "grades"
    results = run_grade(submissions, out)
    return {"root": root, "submissions": submissions, "out": out, "results": by_student(results),
            "students": students}
