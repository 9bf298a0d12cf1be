"""Plausible mistakes and correct alternatives for each exercise, kept as data.

One module per exercise, ``tests/mistakes/<stem>.py``, defines:

- ``TASKS``: task name -> the grade ids of the solution cells that make up the task. Every
  auto-graded solution cell of the exercise belongs to exactly one task.
- ``ALTERNATIVES``: correct solutions written differently from the reference. Each is a dict
  ``{"name", "why", "cells": {grade_id: full cell source}}`` and must score full marks.
- ``MISTAKES``: plausible wrong answers, written from the task text as a learner could
  misread it. Each is ``{"name", "why", "cells": {grade_id: source}, "fails": [test grade ids]}``
  and must lose points: at least one of the tests in ``fails`` must fail, and the score must
  be below the maximum.

Cells not named in ``cells`` keep the reference solution. ``tests/grading/test_mistakes.py``
packs variants whose cells (and, for mistakes, ``fails``) do not overlap into one submission,
so one graded notebook can carry one mistake per task, then grades them all in one run.
"""

from __future__ import annotations

from functools import cache

import nbformat

from mlops_course.grading.format import nbgrader_meta
from mlops_course.paths import PROJECT_ROOT

_MARKERS = ("### BEGIN SOLUTION", "### END SOLUTION")


@cache
def reference_cells(stem: str) -> dict[str, str]:
    """The instructor's source of each cell of ``solutions/<stem>.ipynb`` by grade id, solution markers removed."""
    notebook = nbformat.read(PROJECT_ROOT / "solutions" / f"{stem}.ipynb", as_version=4)
    cells = {}
    for cell in notebook.cells:
        grade_id = nbgrader_meta(cell).get("grade_id")
        if grade_id:
            lines = cell.source.splitlines(keepends=True)
            cells[str(grade_id)] = "".join(line for line in lines if not line.strip().startswith(_MARKERS))
    return cells


def mutate(stem: str, grade_id: str, *edits: tuple[str, str]) -> dict[str, str]:
    """The reference cell ``grade_id`` with each ``(old, new)`` edit applied; ``old`` must occur exactly once."""
    source = reference_cells(stem)[grade_id]
    for old, new in edits:
        count = source.count(old)
        assert count == 1, f"{stem}/{grade_id}: {old!r} occurs {count} times in the reference, not once"
        source = source.replace(old, new)
    return {grade_id: source}
