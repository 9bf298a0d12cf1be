"""Exercise tests tested both ways: correct alternatives earn full marks, plausible mistakes lose points.

The collections live in ``tests/mistakes/<stem>.py`` (see ``tests/mistakes/__init__.py``).
Every exercise with auto-graded solution cells must have one, and every task in it at
least three mistakes and one alternative.
"""

from __future__ import annotations

import importlib
from pathlib import Path
from typing import Any

import nbformat
import pytest

from mlops_course.grading.format import nbgrader_meta, read_instructor
from mlops_course.grading.jobs import Limits
from mlops_course.grading.release import notebook_bytes
from mlops_course.paths import PROJECT_ROOT

from helpers.grading_run import run_grade

SOLUTIONS = sorted((PROJECT_ROOT / "solutions").glob("*.ipynb"))
LIMITS = Limits(cell_timeout=300, notebook_timeout=900)
MIN_MISTAKES_PER_TASK = 3

pytestmark = pytest.mark.grading


def _collection(stem: str) -> Any:
    try:
        return importlib.import_module(f"mistakes.{stem}")
    except ModuleNotFoundError:
        return None


def _auto_solution_cells(path: Path) -> list[str]:
    _, spec, _ = read_instructor(path)
    return [c.grade_id for c in spec.solutions if not c.manual]


def _pack(variants: list[dict[str, Any]], with_fails: bool) -> list[list[dict[str, Any]]]:
    """Group variants into submissions whose cells (and expected failing tests) do not overlap."""
    groups: list[list[dict[str, Any]]] = []
    for variant in variants:
        for group in groups:
            cells = {g for v in group for g in v["cells"]}
            fails = {t for v in group for t in v.get("fails", ())}
            if cells.isdisjoint(variant["cells"]) and (not with_fails or fails.isdisjoint(variant["fails"])):
                group.append(variant)
                break
        else:
            groups.append([variant])
    return groups


def _submission(path: Path, group: list[dict[str, Any]]) -> bytes:
    nb = nbformat.read(path, as_version=4)
    by_id = {nbgrader_meta(cell).get("grade_id"): cell for cell in nb.cells}
    for variant in group:
        for grade_id, source in variant["cells"].items():
            assert grade_id in by_id, f"{variant['name']}: no cell {grade_id!r} in {path.name}"
            assert nbgrader_meta(by_id[grade_id]).get("solution"), (
                f"{variant['name']}: {grade_id!r} is not a solution cell"
            )
            by_id[grade_id].source = source
    return notebook_bytes(nb)


@pytest.mark.parametrize("path", SOLUTIONS, ids=[p.stem for p in SOLUTIONS])
def test_every_task_has_mistakes_and_alternatives(path: Path) -> None:
    cells = _auto_solution_cells(path)
    collection = _collection(path.stem)
    if not cells:
        return
    assert collection is not None, f"tests/mistakes/{path.stem}.py is missing: every exercise needs its collection"
    in_tasks = [g for ids in collection.TASKS.values() for g in ids]
    assert sorted(in_tasks) == sorted(cells), f"TASKS must cover each solution cell once: {sorted(cells)}"
    for task, ids in collection.TASKS.items():
        mistakes = [m for m in collection.MISTAKES if set(m["cells"]) & set(ids)]
        alternatives = [a for a in collection.ALTERNATIVES if set(a["cells"]) & set(ids)]
        assert len(mistakes) >= MIN_MISTAKES_PER_TASK, f"task {task!r} has {len(mistakes)} mistakes"
        assert alternatives, f"task {task!r} has no correct alternative"
    names = [v["name"] for v in (*collection.MISTAKES, *collection.ALTERNATIVES)]
    assert len(names) == len(set(names)), "variant names must be unique"


@pytest.fixture(scope="module", params=SOLUTIONS, ids=[p.stem for p in SOLUTIONS])
def graded(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    path: Path = request.param
    collection = _collection(path.stem)
    if collection is None:
        pytest.skip(f"{path.stem} has no auto-graded solution cells")
    root = tmp_path_factory.mktemp(f"mistakes-{path.stem}")
    students: dict[str, list[dict[str, Any]]] = {}
    for kind, variants, with_fails in (("alt", collection.ALTERNATIVES, False), ("bug", collection.MISTAKES, True)):
        for number, group in enumerate(_pack(list(variants), with_fails), start=1):
            student = f"{kind}{number:02d}"
            students[student] = group
            (root / "subs" / student).mkdir(parents=True)
            (root / "subs" / student / path.name).write_bytes(_submission(path, group))
    results = run_grade(root / "subs", root / "grades", LIMITS, source=path.parent, exercises=(path.stem,))
    return {"students": students, "results": {r["student_id"]: r for r in results}}


def test_alternatives_earn_full_marks(graded: dict[str, Any]) -> None:
    for student, group in graded["students"].items():
        if not student.startswith("alt"):
            continue
        result = graded["results"][student]
        failing = {t["grade_id"]: t.get("message", "")[:300] for t in result["tests"] if t["outcome"] != "passed"}
        names = [v["name"] for v in group]
        assert result["status"] == "graded" and not failing, f"correct alternatives {names} lost points: {failing}"


def test_mistakes_lose_points(graded: dict[str, Any]) -> None:
    missed = []
    for student, group in graded["students"].items():
        if not student.startswith("bug"):
            continue
        result = graded["results"][student]
        failed = {t["grade_id"] for t in result["tests"] if t["outcome"] != "passed"}
        # automatic points only: written answers awaiting review would make any score look short
        auto_score = sum(float(t.get("points") or 0) for t in result["tests"])
        auto_max = sum(float(t["max_points"]) for t in result["tests"])
        assert auto_score < auto_max, f"{student}: mistakes {[v['name'] for v in group]} scored full marks"
        missed += [v["name"] for v in group if not failed & set(v["fails"])]
    assert not missed, f"these mistakes lost no points in the tests they name: {missed}"
