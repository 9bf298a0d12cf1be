"""Manually graded answers: their rubrics, the reviews in ``grades/manual_scores.csv``, and
the final score of a result (automatic tests + reviewed answers, then any late penalty).

A manually graded answer is a cell with ``solution: true, grade: true`` and ``points`` (see
GRADING.md). ``grade`` scores the tests and leaves these cells pending; a person reviews
them (``mlops-course review`` or by editing the CSV), and the next ``grade`` merges the
reviews into the score and the feedback. Unreviewed points are the gradebook's
``pending_points``.
"""

from __future__ import annotations

import csv
import io
import json
import math
import threading
from pathlib import Path
from typing import Any

from nbformat import NotebookNode

from mlops_course.grading.format import BEGIN_SOLUTION, END_SOLUTION, ExerciseSpec
from mlops_course.util import atomic_write_text

SCORES_FILE = "manual_scores.csv"
INDEX_FILE = "manual_cells.json"
COLUMNS = ("student_id", "exercise", "grade_id", "points", "comment")
#: longest answer kept in a result (characters)
MAX_ANSWER = 50_000
_WRITE_LOCK = threading.Lock()

Reviews = dict[tuple[str, str, str], tuple[float, str]]


class ReviewError(ValueError):
    """``manual_scores.csv`` has a bad row; the message names the row and what to do."""


def split_rubric(source: str) -> tuple[str, str]:
    """``(prompt, rubric)`` of an instructor's manual cell: the rubric is its solution region."""
    prompt: list[str] = []
    rubric: list[str] = []
    inside = False
    for line in source.splitlines():
        if line.strip() == BEGIN_SOLUTION:
            inside = True
        elif line.strip() == END_SOLUTION:
            inside = False
        else:
            (rubric if inside else prompt).append(line)
    return "\n".join(prompt).strip(), "\n".join(rubric).strip()


def manual_index(notebook: NotebookNode, spec: ExerciseSpec) -> dict[str, dict[str, Any]]:
    """Per manual cell of one exercise: points, cell type, prompt and rubric."""
    index = {}
    for cell in spec.manual:
        prompt, rubric = split_rubric(str(notebook.cells[cell.index].source))
        index[cell.grade_id] = {"points": cell.points, "cell_type": cell.cell_type, "prompt": prompt, "rubric": rubric}
    return index


def write_index(out: Path, exercises: dict[str, tuple[NotebookNode, ExerciseSpec]]) -> None:
    """Write ``out/manual_cells.json`` (what ``review`` shows beside each answer), keeping other exercises."""
    path = out / INDEX_FILE
    try:
        stored = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        stored = {}
    stored = stored if isinstance(stored, dict) else {}
    for stem, (notebook, spec) in exercises.items():
        stored[stem] = manual_index(notebook, spec)
    atomic_write_text(path, json.dumps(stored, indent=1, sort_keys=True) + "\n")


def read_index(out: Path) -> dict[str, dict[str, dict[str, Any]]]:
    """The stored manual cells per exercise (empty when nothing was graded yet)."""
    try:
        stored = json.loads((out / INDEX_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return stored if isinstance(stored, dict) else {}


def read_rows(path: Path) -> list[dict[str, str]]:
    """The rows of a reviews CSV (none when the file does not exist).

    Raises:
        ReviewError: the header lacks a required column.
    """
    if not path.exists():
        return []
    with path.open(newline="", encoding="utf-8") as handle:
        reader = csv.DictReader(handle)
        missing = [c for c in COLUMNS if c not in (reader.fieldnames or [])]
        if missing:
            raise ReviewError(f"{path}: the header lacks {', '.join(missing)}; the columns are {', '.join(COLUMNS)}.")
        return [{c: (row.get(c) or "").strip() for c in COLUMNS} for row in reader]


def load_reviews(path: Path, maxima: dict[str, dict[str, float]]) -> Reviews:
    """Read and check the reviews.

    Args:
        path: ``grades/manual_scores.csv``.
        maxima: per exercise, each manual cell's points.

    Returns:
        ``{(student_id, exercise, grade_id): (points, comment)}``; rows with empty points
        are not reviews yet and are left out.

    Raises:
        ReviewError: a row names an unknown exercise or cell, or its points are not a
            number from 0 to the cell's maximum, or it repeats another row's cell.
    """
    reviews: Reviews = {}
    rows_of: dict[tuple[str, str, str], int] = {}
    for number, row in enumerate(read_rows(path), start=2):
        where = f"{path.name} line {number} ({row['student_id']}, {row['exercise']}, {row['grade_id']})"
        if not row["points"]:
            continue
        if row["exercise"] not in maxima:
            known = ", ".join(sorted(maxima)) or "none"
            raise ReviewError(
                f"{where}: unknown exercise; exercises with manual cells: {known}. Fix or delete the row."
            )
        cells = maxima[row["exercise"]]
        if row["grade_id"] not in cells:
            known = ", ".join(sorted(cells)) or "none"
            raise ReviewError(
                f"{where}: unknown cell; the manual cells of {row['exercise']} are {known}. Fix the grade_id."
            )
        try:
            points = float(row["points"])
        except ValueError:
            points = math.nan
        top = cells[row["grade_id"]]
        if not math.isfinite(points) or not 0 <= points <= top:
            raise ReviewError(
                f"{where}: points {row['points']!r} must be a number from 0 to the cell's maximum {top:g}."
            )
        key = (row["student_id"], row["exercise"], row["grade_id"])
        if key in rows_of:
            raise ReviewError(f"{where}: the same answer is reviewed on line {rows_of[key]} too; keep one of the rows.")
        rows_of[key] = number
        reviews[key] = (points, row["comment"])
    return reviews


def save_review(path: Path, student_id: str, exercise: str, grade_id: str, points: str, comment: str) -> None:
    """Insert or replace one review row, written atomically (other rows kept, order kept)."""
    with _WRITE_LOCK:
        rows = read_rows(path)
        key = (student_id, exercise, grade_id)
        new = dict(zip(COLUMNS, (student_id, exercise, grade_id, points, comment), strict=True))
        for index, row in enumerate(rows):
            if (row["student_id"], row["exercise"], row["grade_id"]) == key:
                rows[index] = new
                break
        else:
            rows.append(new)
        buffer = io.StringIO()
        writer = csv.DictWriter(buffer, fieldnames=COLUMNS, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
        atomic_write_text(path, buffer.getvalue())


def apply_reviews(result: dict[str, Any], reviews: Reviews) -> None:
    """Set the result's manual points and comments from ``reviews``, its ``pending_points``
    and its score before any late penalty (tests + reviewed answers)."""
    gradable = result.get("status") in ("graded", "timeout")
    pending = 0.0
    manual_points = 0.0
    for cell in result.get("manual", []):
        review = reviews.get((str(result.get("student_id")), str(result.get("exercise")), str(cell["grade_id"])))
        cell["reviewed"] = review is not None and gradable
        cell["points"] = review[0] if cell["reviewed"] and review else None
        cell["comment"] = review[1] if cell["reviewed"] and review else ""
        if cell["reviewed"]:
            manual_points += float(cell["points"] or 0)
        elif gradable:
            pending += float(cell["max_points"])
    result["pending_points"] = pending
    tests = float(sum(float(t.get("points") or 0) for t in result.get("tests", [])))
    result["score_before_penalty"] = tests + manual_points
