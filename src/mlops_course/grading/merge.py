"""Build the graded notebook: the instructor's notebook with the learner's answers.

Only the *source* of solution cells is taken from the submission, matched by
``grade_id``; tests, hidden tests, markdown, metadata, tags and the kernel come from the
instructor. A submission of another exercise, or with solution cells missing or
duplicated, is refused with a message saying what to do. Solution cells the learner moved
are graded in the instructor's order (the grader never runs the submission's order), and
:func:`reordered` tells the caller to flag them.
"""

from __future__ import annotations

import copy

from nbformat import NotebookNode

from mlops_course.grading.format import ExerciseSpec, SubmissionError, nbgrader_meta

_FRESH_COPY = "Download a fresh copy of the exercise, copy your answers into its solution cells, and submit it again."


def _solution_cells(submission: NotebookNode) -> list[tuple[str, NotebookNode]]:
    cells = []
    for cell in submission.cells:
        meta = nbgrader_meta(cell)
        grade_id = meta.get("grade_id")
        if isinstance(grade_id, str):
            cells.append((grade_id, cell))
    return cells


def match_solutions(spec: ExerciseSpec, submission: NotebookNode, what: str) -> dict[str, str]:
    """The learner's source of each solution cell, by ``grade_id``.

    Args:
        spec: the instructor's exercise spec.
        submission: the learner's notebook.
        what: how to name the submission in messages.

    Returns:
        ``{grade_id: source}`` for every solution cell of the exercise.

    Raises:
        SubmissionError: another exercise's notebook, or solution cells missing or duplicated.
    """
    declared = submission.get("metadata", {}).get("mlops_course", {}).get("exercise")
    if declared is not None and declared != spec.stem:
        raise SubmissionError(
            f"{what} is the notebook of exercise {declared!r}, not {spec.stem!r}. "
            f"Submit your {spec.stem}.ipynb under that name."
        )
    found = _solution_cells(submission)
    known = {c.grade_id for c in spec.cells}
    expected = [c.grade_id for c in spec.solutions]
    if not any(grade_id in known for grade_id, _ in found):
        raise SubmissionError(
            f"{what} has none of the cells of exercise {spec.stem!r}: it is another exercise's notebook, or "
            f"its cell metadata was lost. {_FRESH_COPY}"
        )
    ids = [grade_id for grade_id, _ in found if grade_id in expected]
    duplicated = sorted({g for g in ids if ids.count(g) > 1})
    if duplicated:
        raise SubmissionError(
            f"{what} has solution cell(s) {', '.join(duplicated)} more than once (a copied cell keeps its id). "
            "Delete the copies, keep one answer per solution cell, and submit again."
        )
    missing = [g for g in expected if g not in ids]
    if missing:
        raise SubmissionError(f"{what} is missing solution cell(s) {', '.join(missing)}. {_FRESH_COPY}")
    by_id = {grade_id: cell for grade_id, cell in found}
    sources = {}
    for spec_cell in spec.solutions:
        cell = by_id[spec_cell.grade_id]
        source = cell.get("source", "")
        if not isinstance(source, str):
            raise SubmissionError(f"{what}: solution cell {spec_cell.grade_id} has no readable source. {_FRESH_COPY}")
        sources[spec_cell.grade_id] = source
    return sources


def reordered(spec: ExerciseSpec, submission: NotebookNode) -> bool:
    """True when the submission's solution cells are not in the instructor's order."""
    expected = [c.grade_id for c in spec.solutions]
    ids = [grade_id for grade_id, _ in _solution_cells(submission) if grade_id in expected]
    return ids != expected


def merge(instructor: NotebookNode, spec: ExerciseSpec, solutions: dict[str, str]) -> NotebookNode:
    """The instructor's notebook with each solution cell's source replaced by the learner's.

    Outputs and execution counts are cleared (they are not compared when grading).
    """
    merged = copy.deepcopy(instructor)
    by_index = {c.index: c for c in spec.solutions}
    for index, cell in enumerate(merged.cells):
        if index in by_index:
            cell.source = solutions[by_index[index].grade_id]
        if cell.cell_type == "code":
            cell.outputs = []
            cell.execution_count = None
    return merged
