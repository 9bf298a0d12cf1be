"""Fixtures of the grader's tests: one graded class of ex0 submissions, shared."""

from __future__ import annotations

from typing import Any

import pytest

from mlops_course.grading.sandbox import probe_namespaces

from helpers import grading_submissions as subs
from helpers.grading_run import by_student, run_grade

#: threats only the namespace sandbox stops (reading/writing files, killing other processes)
NEEDS_NAMESPACES = ("threat_read_solutions", "threat_write_grades", "threat_kill_everything")


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "grading: runs the real grader on notebooks (slow: kernels)")


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
    return {"root": root, "submissions": submissions, "out": out, "results": by_student(results), "students": students}
