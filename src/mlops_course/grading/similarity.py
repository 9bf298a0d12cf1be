"""``mlops-course similarity SUBMISSIONS --source DIR --out DIR``: pairs of learners whose
answers are alike, per exercise.

Each learner's solution cells (matched by ``grade_id``, like grading) become normalised
tokens: comments, spacing and string contents are dropped, and every name the learner
chose becomes one placeholder (keywords, builtins and attribute names such as
``.groupby`` stay), so renaming variables does not hide a copy. Written (markdown) answers
become lower-case words. Overlapping runs of ``K`` tokens are hashed; runs that occur in
the code the exercise hands out (the released notebook) are removed, so the given code
does not count. The similarity of two learners is the Jaccard index of their remaining
runs (0 when either has none).

Writes ``similarity.csv`` (``student_a, student_b, exercise, similarity``, most similar
first) and ``similarity.html`` with the closest pairs side by side.
"""

from __future__ import annotations

import builtins
import csv
import io
import keyword
import re
from dataclasses import dataclass
from itertools import combinations
from pathlib import Path

from mlops_course.grading.format import (
    ExerciseSpec,
    FormatError,
    SubmissionError,
    nbgrader_meta,
    read_instructor,
    read_submission,
)
from mlops_course.grading.release import release_notebook
from mlops_course.util import atomic_write_text

K = 5
_KEEP = frozenset(keyword.kwlist) | frozenset(dir(builtins))
_STRING = re.compile(r"(?s)(\"\"\"|''').*?\1|\"(?:\\.|[^\"\\\n])*\"|'(?:\\.|[^'\\\n])*'")
_COMMENT = re.compile(r"#[^\n]*")
_TOKEN = re.compile(r"\.\s*[A-Za-z_]\w*|[A-Za-z_]\w*|\d[\w.]*|\S")
_WORD = re.compile(r"[a-z0-9]+")


@dataclass(frozen=True)
class Answer:
    """One learner's answers to one exercise."""

    student_id: str
    cells: dict[str, str]
    grams: frozenset[int]


def code_tokens(source: str) -> list[str]:
    """Normalised tokens of Python code (learner-chosen names become ``N``)."""
    text = _COMMENT.sub("", _STRING.sub(" \x00 ", source))
    tokens = []
    for token in _TOKEN.findall(text):
        if token.startswith("."):
            tokens.append("." + token[1:].strip())
        elif token[0].isalpha() or token[0] == "_":
            tokens.append(token if token in _KEEP else "N")
        elif token[0].isdigit():
            tokens.append("0")
        else:
            tokens.append(token)
    return tokens


def text_tokens(source: str) -> list[str]:
    """Lower-case words of a written answer."""
    return _WORD.findall(source.lower())


def grams(tokens: list[str], k: int = K) -> set[int]:
    """Hashes of every run of ``k`` tokens (the whole list when shorter)."""
    if not tokens:
        return set()
    if len(tokens) < k:
        return {hash(tuple(tokens))}
    return {hash(tuple(tokens[i : i + k])) for i in range(len(tokens) - k + 1)}


def _cell_grams(source: str, cell_type: str) -> set[int]:
    return grams(code_tokens(source) if cell_type == "code" else text_tokens(source))


def handed_out(spec: ExerciseSpec, instructor: object) -> dict[str, set[int]]:
    """Per solution cell, the runs of the code the learner receives (the released stub)."""
    released = release_notebook(instructor)  # type: ignore[arg-type]
    return {c.grade_id: _cell_grams(str(released.cells[c.index].source), c.cell_type) for c in spec.solutions}


def read_answers(submissions: Path, stem: str, spec: ExerciseSpec, given: dict[str, set[int]]) -> list[Answer]:
    """Every readable submission of ``stem``: its solution cells and their runs, handed-out runs removed."""
    kinds = {c.grade_id: c.cell_type for c in spec.solutions}
    answers = []
    for folder in sorted(p for p in submissions.iterdir() if p.is_dir() and not p.name.startswith(".")):
        path = folder / f"{stem}.ipynb"
        if not path.is_file():
            continue
        try:
            notebook, _data = read_submission(path)
        except SubmissionError:
            continue
        cells: dict[str, str] = {}
        for cell in notebook.cells:
            grade_id = nbgrader_meta(cell).get("grade_id")
            if grade_id in kinds and grade_id not in cells and isinstance(cell.get("source"), str):
                cells[grade_id] = cell.source
        runs: set[int] = set()
        for grade_id, source in cells.items():
            runs |= _cell_grams(source, kinds[grade_id]) - given.get(grade_id, set())
        answers.append(Answer(folder.name, cells, frozenset(runs)))
    return answers


def jaccard(a: frozenset[int], b: frozenset[int]) -> float:
    """Shared runs over all runs (0 when either side has none)."""
    if not a or not b:
        return 0.0
    shared = len(a & b)
    return shared / (len(a) + len(b) - shared)


def compare(answers: list[Answer]) -> list[tuple[str, str, float]]:
    """Every pair's similarity (pairs with no shared run are left out)."""
    pairs = []
    for a, b in combinations(answers, 2):
        if a.grams and b.grams and not a.grams.isdisjoint(b.grams):
            pairs.append((a.student_id, b.student_id, jaccard(a.grams, b.grams)))
    return pairs


def similarity(submissions: Path, source: Path, out: Path, top: int = 20) -> list[tuple[str, str, str, float]]:
    """Compare every pair of learners per exercise; write the CSV and the HTML report.

    Returns:
        ``(student_a, student_b, exercise, similarity)``, most similar first.

    Raises:
        FormatError: no instructor notebooks, or no submissions folder.
    """
    if not submissions.is_dir():
        raise FormatError(f"{submissions} is not a folder; expected SUBMISSIONS/<student_id>/<exercise>.ipynb.")
    instructors = sorted(source.glob("*.ipynb"))
    if not instructors:
        raise FormatError(f"no instructor notebooks (*.ipynb) in {source}.")
    rows: list[tuple[str, str, str, float]] = []
    by_exercise: dict[str, dict[str, Answer]] = {}
    kinds: dict[str, dict[str, str]] = {}
    for path in instructors:
        notebook, spec, _ = read_instructor(path)
        answers = read_answers(submissions, spec.stem, spec, handed_out(spec, notebook))
        by_exercise[spec.stem] = {a.student_id: a for a in answers}
        kinds[spec.stem] = {c.grade_id: c.cell_type for c in spec.solutions}
        rows += [(a, b, spec.stem, round(score, 4)) for a, b, score in compare(answers)]
    rows.sort(key=lambda r: (-r[3], r[2], r[0], r[1]))
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["student_a", "student_b", "exercise", "similarity"])
    writer.writerows((a, b, e, f"{s:.3f}") for a, b, e, s in rows)
    out.mkdir(parents=True, exist_ok=True)
    atomic_write_text(out / "similarity.csv", buffer.getvalue())
    from mlops_course.grading.similarity_report import report_html

    atomic_write_text(out / "similarity.html", report_html(rows[:top], by_exercise, kinds))
    return rows
