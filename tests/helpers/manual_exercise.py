"""A small instructor notebook with a test cell and two manually graded answers, and a class
of submissions of it (the course's exercises are not used, so their authors can change them)."""

from __future__ import annotations

import json
from pathlib import Path

import nbformat
from nbformat import NotebookNode

from mlops_course.grading.release import notebook_bytes, release_notebook

STEM = "exm_written"
RUBRIC = "RUBRIC-SECRET: full marks if the plan names a test per risk."
PROMPT = "## Task 2\nDescribe your quality plan."
MANUAL = {"plan": 5.0, "design": 3.0}
RIGHT = "def double(x):\n    return 2 * x"
WRONG = "def double(x):\n    return x"


def _meta(grade_id: str, **flags: object) -> dict[str, object]:
    base = {"schema_version": 3, "grade_id": grade_id, "grade": False, "solution": False, "locked": False}
    base.update(flags)
    return {"nbgrader": base}


def instructor() -> NotebookNode:
    """The instructor's notebook: one solution, one 10-point test, a markdown and a code manual cell."""
    nb = nbformat.v4.new_notebook()
    nb.metadata.update(
        {
            "kernelspec": {"display_name": "Python 3 (MLOps course)", "language": "python", "name": "mlops-course"},
            "mlops_course": {"exercise": STEM},
        }
    )
    nb.cells = [
        nbformat.v4.new_markdown_cell("# A written exercise", metadata=_meta("intro", locked=True)),
        nbformat.v4.new_code_cell(
            f"### BEGIN SOLUTION\n{RIGHT}\n### END SOLUTION", metadata=_meta("double_solution", solution=True)
        ),
        nbformat.v4.new_code_cell(
            "assert double(2) == 4, 'double(2) should be 4'",
            metadata=_meta("test_double", grade=True, locked=True, points=10),
        ),
        nbformat.v4.new_markdown_cell(
            f"{PROMPT}\n### BEGIN SOLUTION\n{RUBRIC}\n### END SOLUTION",
            metadata=_meta("plan", grade=True, solution=True, points=MANUAL["plan"]),
        ),
        nbformat.v4.new_code_cell(
            "# Sketch the design as code.\n### BEGIN SOLUTION\n# RUBRIC-SECRET: layers named\n### END SOLUTION",
            metadata=_meta("design", grade=True, solution=True, points=MANUAL["design"]),
        ),
    ]
    for index, cell in enumerate(nb.cells):
        cell["id"] = f"cell-{index}"
    return nb


def write_source(folder: Path) -> Path:
    """Write the instructor notebook into ``folder``; returns the folder."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"{STEM}.ipynb").write_bytes(notebook_bytes(instructor()))
    return folder


def answered(code: str, plan: str, design: str = "layers = ['data', 'model', 'serve']") -> bytes:
    """The released notebook with the learner's answers."""
    nb = release_notebook(instructor())
    answers = {"double_solution": code, "plan": plan, "design": design}
    for cell in nb.cells:
        grade_id = cell.metadata.get("nbgrader", {}).get("grade_id")
        if grade_id in answers:
            cell.source = answers[grade_id]
    return notebook_bytes(nb)


def write_submission(root: Path, student: str, data: bytes, submitted_at: str | None = None) -> Path:
    """``root/<student>/<STEM>.ipynb`` (and the manifest ``collect`` keeps, with the submit time)."""
    folder = root / student
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{STEM}.ipynb"
    path.write_bytes(data)
    if submitted_at is not None:
        manifest = {"student_id": student, "exercise": STEM, "submitted_at": submitted_at}
        path.with_suffix(".manifest.json").write_text(json.dumps(manifest))
    return path
