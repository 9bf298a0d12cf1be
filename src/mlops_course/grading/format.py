"""The exercise format: nbgrader (schema 3) cell metadata, read and checked.

Instructor notebooks (``solutions/<stem>.ipynb``) are checked strictly: a mistake there is
the instructor's to fix and stops the command with a message naming the cell. Submissions
are read defensively: every problem becomes a :class:`SubmissionError` whose message says
what is wrong and what the learner should do; the caller turns it into an ``invalid`` row.
"""

from __future__ import annotations

import ast
import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import nbformat
from nbformat import NotebookNode

SCHEMA_VERSION = 3
GRADE_ID_PATTERN = re.compile(r"^[A-Za-z0-9_-]+$")
BEGIN_SOLUTION = "### BEGIN SOLUTION"
END_SOLUTION = "### END SOLUTION"
BEGIN_HIDDEN = "### BEGIN HIDDEN TESTS"
END_HIDDEN = "### END HIDDEN TESTS"
#: Default size limit for a submitted notebook, checked before the file is parsed.
MAX_SUBMISSION_BYTES = 20 * 1024 * 1024
_NBVAL_MARKERS = ("NBVAL_", "nbval-", "PYTEST_VALIDATE_IGNORE_OUTPUT", "raises-exception")


class FormatError(ValueError):
    """An instructor notebook breaks the exercise format (message names the cell)."""


class SubmissionError(ValueError):
    """A submission cannot be graded; the message says what is wrong and what to do."""


@dataclass(frozen=True)
class CellSpec:
    """One nbgrader cell of an instructor notebook.

    Attributes:
        index: position in the notebook.
        grade_id: the cell's stable identity.
        cell_type: ``code`` or ``markdown``.
        solution: the learner writes this cell.
        grade: the cell is a scored test.
        locked: the learner may not change it.
        points: points of a test cell (0 otherwise).
        hidden: a test cell that contains hidden tests.
        manual: a manually graded answer (``solution`` and ``grade``, no test): scored by a person.
    """

    index: int
    grade_id: str
    cell_type: str
    solution: bool
    grade: bool
    locked: bool
    points: float
    hidden: bool
    manual: bool = False


@dataclass(frozen=True)
class ExerciseSpec:
    """What an instructor notebook declares: its name and its nbgrader cells."""

    stem: str
    cells: tuple[CellSpec, ...] = field(default_factory=tuple)

    @property
    def solutions(self) -> tuple[CellSpec, ...]:
        return tuple(c for c in self.cells if c.solution)

    @property
    def tests(self) -> tuple[CellSpec, ...]:
        """The automatically graded test cells."""
        return tuple(c for c in self.cells if c.grade and not c.manual)

    @property
    def manual(self) -> tuple[CellSpec, ...]:
        """The manually graded answer cells."""
        return tuple(c for c in self.cells if c.manual)

    @property
    def max_score(self) -> float:
        return float(sum(c.points for c in self.cells if c.grade))

    def test(self, grade_id: str) -> CellSpec:
        return next(c for c in self.tests if c.grade_id == grade_id)


def nbgrader_meta(cell: NotebookNode) -> dict[str, Any]:
    """The cell's ``metadata.nbgrader`` as a dict (empty when absent or malformed)."""
    meta = cell.get("metadata", {}).get("nbgrader", {})
    return meta if isinstance(meta, dict) else {}


def has_hidden_tests(source: str) -> bool:
    """True when a test cell's source has a hidden-tests block."""
    return any(line.strip() == BEGIN_HIDDEN for line in source.splitlines())


def exercise_name(nb: NotebookNode, path: Path) -> str:
    """The exercise a notebook belongs to: ``metadata.mlops_course.exercise`` or the file stem."""
    name = nb.get("metadata", {}).get("mlops_course", {}).get("exercise")
    return name if isinstance(name, str) and name else path.stem


def read_notebook_bytes(data: bytes, what: str) -> NotebookNode:
    """Parse notebook bytes into an nbformat-4 notebook, refusing anything else.

    Args:
        data: the file's bytes.
        what: how to name the file in messages (e.g. ``"alice/ex0.ipynb"``).

    Returns:
        The notebook.

    Raises:
        SubmissionError: empty, not JSON, not a notebook, or not nbformat 4.
    """
    if not data.strip():
        raise SubmissionError(f"{what} is empty. Save the notebook in JupyterLab (Ctrl+S) and submit it again.")
    try:
        raw = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise SubmissionError(
            f"{what} is not a notebook (not valid JSON: {exc}). Submit the .ipynb file saved by JupyterLab, "
            "not an export or a copy-paste."
        ) from None
    if not isinstance(raw, dict) or "cells" not in raw and "worksheets" not in raw:
        raise SubmissionError(f"{what} is JSON but not a Jupyter notebook (no cells). Submit the exercise .ipynb file.")
    major = raw.get("nbformat")
    if major != 4:
        raise SubmissionError(
            f"{what} is in notebook format {major}, the grader reads format 4. Open it in JupyterLab, "
            "save it (JupyterLab converts it), and submit it again."
        )
    try:
        nb = nbformat.from_dict(raw)
        for cell in nb.cells:
            if isinstance(cell.get("source"), list):
                cell["source"] = "".join(cell["source"])
            if not isinstance(cell.get("source", ""), str) or cell.get("cell_type") not in ("code", "markdown", "raw"):
                raise ValueError("a cell has no valid type or source")
    except (ValueError, TypeError, AttributeError) as exc:
        raise SubmissionError(
            f"{what} is a damaged notebook ({exc}). Download a fresh copy of the exercise and redo it."
        ) from None
    return nb


def read_submission(
    path: Path, max_bytes: int = MAX_SUBMISSION_BYTES, what: str | None = None
) -> tuple[NotebookNode, bytes]:
    """Read a submitted notebook, checking its size before parsing it.

    Returns:
        ``(notebook, raw bytes)``.

    Raises:
        SubmissionError: too large, unreadable, or not a format-4 notebook.
    """
    what = what or str(path)
    size = path.stat().st_size
    if size > max_bytes:
        raise SubmissionError(
            f"{what} is {size / 1e6:.1f} MB, over the {max_bytes / 1e6:.0f} MB limit. Clear the outputs "
            "(Edit > Clear Outputs of All Cells), save, and submit it again."
        )
    data = path.read_bytes()
    return read_notebook_bytes(data, what), data


def _check_markers(cell: NotebookNode, spec: CellSpec, where: str) -> None:
    lines = [line.strip() for line in cell.source.splitlines()]
    if spec.solution and (lines.count(BEGIN_SOLUTION) != lines.count(END_SOLUTION)):
        raise FormatError(f"{where}: unbalanced {BEGIN_SOLUTION!r} / {END_SOLUTION!r} lines.")
    if spec.manual:
        if BEGIN_HIDDEN in lines or END_HIDDEN in lines:
            raise FormatError(
                f"{where}: a manually graded answer has no hidden tests; put the rubric in its solution region."
            )
    elif spec.grade:
        if lines.count(BEGIN_HIDDEN) != lines.count(END_HIDDEN):
            raise FormatError(f"{where}: unbalanced {BEGIN_HIDDEN!r} / {END_HIDDEN!r} lines.")
        tags = cell.get("metadata", {}).get("tags", [])
        if any(m in cell.source for m in _NBVAL_MARKERS) or any(str(t).startswith(_NBVAL_MARKERS) for t in tags):
            raise FormatError(f"{where}: a test cell must not carry nbval markers or tags; the grader decides itself.")
        try:
            ast.parse(cell.source)
        except SyntaxError as exc:
            raise FormatError(f"{where}: a test cell must be plain Python (no magics): {exc}.") from None


def parse_spec(nb: NotebookNode, stem: str) -> ExerciseSpec:
    """Check an instructor notebook against the format and describe its nbgrader cells.

    Args:
        nb: the instructor notebook.
        stem: its file stem (the exercise name).

    Returns:
        The exercise's spec.

    Raises:
        FormatError: the notebook breaks the format; the message names the cell.
    """
    declared = nb.metadata.get("mlops_course", {}).get("exercise")
    if declared is not None and declared != stem:
        raise FormatError(f"{stem}: metadata.mlops_course.exercise is {declared!r}, not the file stem {stem!r}.")
    cells: list[CellSpec] = []
    seen: set[str] = set()
    for index, cell in enumerate(nb.cells):
        meta = nbgrader_meta(cell)
        if not meta:
            continue
        where = f"{stem} cell {index}"
        if meta.get("schema_version") != SCHEMA_VERSION:
            raise FormatError(f"{where}: metadata.nbgrader.schema_version must be {SCHEMA_VERSION}.")
        grade_id = meta.get("grade_id")
        if not isinstance(grade_id, str) or not GRADE_ID_PATTERN.match(grade_id):
            raise FormatError(f"{where}: grade_id {grade_id!r} must match [A-Za-z0-9_-]+.")
        if grade_id in seen:
            raise FormatError(f"{where}: grade_id {grade_id!r} is used twice.")
        seen.add(grade_id)
        grade, solution, locked = bool(meta.get("grade")), bool(meta.get("solution")), bool(meta.get("locked"))
        points = meta.get("points", 0)
        manual = grade and solution
        if grade:
            if isinstance(points, bool) or not isinstance(points, (int, float)) or points < 0:
                kind = "a manually graded answer" if manual else "a test cell"
                raise FormatError(f"{where} ({grade_id}): {kind} needs points >= 0, got {points!r}.")
            if manual and locked:
                raise FormatError(
                    f"{where} ({grade_id}): a manually graded answer (solution and grade) is written by the "
                    "learner, so it cannot be locked; remove locked."
                )
            if not manual and (not locked or cell.cell_type != "code"):
                raise FormatError(f"{where} ({grade_id}): a test cell is a locked code cell, not a solution.")
        spec = CellSpec(
            index=index,
            grade_id=grade_id,
            cell_type=cell.cell_type,
            solution=solution,
            grade=grade,
            locked=locked,
            points=float(points) if grade else 0.0,
            hidden=grade and not manual and has_hidden_tests(cell.source),
            manual=manual,
        )
        _check_markers(cell, spec, f"{where} ({grade_id})")
        cells.append(spec)
    if not any(c.grade for c in cells):
        raise FormatError(f"{stem}: no test cell (grade: true) found.")
    return ExerciseSpec(stem=stem, cells=tuple(cells))


def read_instructor(path: Path) -> tuple[NotebookNode, ExerciseSpec, bytes]:
    """Read and check an instructor notebook.

    Returns:
        ``(notebook, spec, raw bytes)``.

    Raises:
        FormatError: unreadable or breaking the format.
    """
    data = path.read_bytes()
    try:
        nb = read_notebook_bytes(data, str(path))
    except SubmissionError as exc:
        raise FormatError(str(exc)) from None
    return nb, parse_spec(nb, path.stem), data
