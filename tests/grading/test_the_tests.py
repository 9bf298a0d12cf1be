"""Test the tests, for every notebook in solutions/ (now and later), under the real grader.

One ``grade`` run per exercise, one fake student per variant:
(a) the instructor's solution earns full marks;
(b) the released exercise, untouched, earns 0 on every test cell;
(c) for each solution cell, the solution with only that cell replaced by its stub loses points.
Manually graded answers (solution and grade) are scored by a person: they stay pending
(``pending_points``) and are not stubbed in (c).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import nbformat
import pytest

from mlops_course.grading.format import read_instructor
from mlops_course.grading.jobs import Limits
from mlops_course.grading.release import notebook_bytes, release_notebook, stub_source
from mlops_course.paths import PROJECT_ROOT

from helpers.grading_run import run_grade

ROOT = PROJECT_ROOT
SOLUTIONS = sorted((ROOT / "solutions").glob("*.ipynb"))
LIMITS = Limits(cell_timeout=300, notebook_timeout=900)

pytestmark = pytest.mark.grading


def _variants(path: Path) -> dict[str, bytes]:
    nb, spec, data = read_instructor(path)
    variants = {"full_solution": data, "released_untouched": notebook_bytes(release_notebook(nb))}
    for cell_spec in (c for c in spec.solutions if not c.manual):
        stubbed = nbformat.from_dict(nbformat.reads(data.decode(), as_version=4))
        cell = stubbed.cells[cell_spec.index]
        cell.source = stub_source(cell.source, cell.cell_type)
        variants[f"stub_{cell_spec.grade_id}"] = notebook_bytes(stubbed)
    return variants


@pytest.fixture(scope="module", params=SOLUTIONS, ids=[p.stem for p in SOLUTIONS])
def graded_variants(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    path: Path = request.param
    root = tmp_path_factory.mktemp(path.stem)
    for student, data in _variants(path).items():
        (root / "submissions" / student).mkdir(parents=True)
        (root / "submissions" / student / path.name).write_bytes(data)
    results = run_grade(root / "submissions", root / "grades", LIMITS, source=path.parent, exercises=(path.stem,))
    return {"spec": read_instructor(path)[1], "results": {r["student_id"]: r for r in results}}


def test_solution_earns_full_marks(graded_variants: dict[str, Any]) -> None:
    result = graded_variants["results"]["full_solution"]
    failing = [(t["grade_id"], t["outcome"], t["message"]) for t in result["tests"] if t["outcome"] != "passed"]
    assert result["status"] == "graded", result["message"]
    assert not failing
    spec = graded_variants["spec"]
    manual = sum(c.points for c in spec.manual)
    assert result["max_score"] == spec.max_score
    assert result["score"] == spec.max_score - manual and result["pending_points"] == manual


def test_released_exercise_earns_nothing(graded_variants: dict[str, Any]) -> None:
    result = graded_variants["results"]["released_untouched"]
    assert result["status"] == "graded", result["message"]
    passing = [t["grade_id"] for t in result["tests"] if t["outcome"] == "passed"]
    assert not passing, f"these tests pass on the untouched exercise: {passing}"
    assert result["score"] == 0


def test_each_stubbed_solution_cell_loses_points(graded_variants: dict[str, Any]) -> None:
    spec = graded_variants["spec"]
    results = graded_variants["results"]
    for cell in (c for c in spec.solutions if not c.manual):
        result = results[f"stub_{cell.grade_id}"]
        assert result["status"] in ("graded", "timeout"), result["message"]
        assert result["score"] < spec.max_score - sum(c.points for c in spec.manual), (
            f"stubbing solution cell {cell.grade_id} loses no points"
        )
