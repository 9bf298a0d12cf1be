"""``mlops-course export GRADES_DIR --format moodle|canvas --out FILE [--roster CSV]``.

Writes the gradebook as the CSV a learning platform imports, one column per exercise:

- **moodle** (Grades > Import > CSV file): ``Username, Email address, Full name`` then one
  column per exercise; map ``Username`` (or ``Email address``) to the user, each exercise
  column to its grade item.
- **canvas** (Grades > Import): ``Student, ID, SIS User ID, SIS Login ID, Section`` then one
  column per exercise, with Canvas's ``Points Possible`` row second.

The optional roster (``student_id`` required; ``lms_id``, ``name``, ``email``, ``section``,
``canvas_id`` optional) maps the submission folder names to the platform's identities.
Students graded but not on the roster (unknown) and on the roster but not graded (missing)
are both written and listed, never dropped.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from pathlib import Path

from mlops_course.util import atomic_write_text

FORMATS = ("moodle", "canvas")
ROSTER_COLUMNS = ("student_id", "lms_id", "name", "email", "section", "canvas_id")


class ExportError(ValueError):
    """Bad input to export; the message names the file, the line and what to do."""


@dataclass
class ExportReport:
    """What an export wrote and whom it could not match."""

    rows: int = 0
    exercises: list[str] = field(default_factory=list)
    unknown: list[str] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)
    pending: list[str] = field(default_factory=list)


def _safe(text: str) -> str:
    """A CSV cell a spreadsheet will not run as a formula."""
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t") else text


def read_roster(path: Path) -> dict[str, dict[str, str]]:
    """The roster by ``student_id``.

    Raises:
        ExportError: no ``student_id`` column, an empty or repeated id (naming the line).
    """
    try:
        text = path.read_text(encoding="utf-8-sig")
    except OSError as exc:
        raise ExportError(f"--roster {path}: cannot read it ({exc}).") from None
    reader = csv.DictReader(io.StringIO(text))
    if "student_id" not in (reader.fieldnames or []):
        raise ExportError(f"{path}: the header needs a student_id column (optional: {', '.join(ROSTER_COLUMNS[1:])}).")
    roster: dict[str, dict[str, str]] = {}
    for number, row in enumerate(reader, start=2):
        student = (row.get("student_id") or "").strip()
        if not student:
            raise ExportError(f"{path.name} line {number}: the student_id is empty; fill it in or delete the line.")
        if student in roster:
            raise ExportError(f"{path.name} line {number}: {student} is on the roster twice; keep one line.")
        roster[student] = {c: (row.get(c) or "").strip() for c in ROSTER_COLUMNS}
    return roster


def read_scores(grades: Path) -> tuple[dict[str, dict[str, str]], dict[str, str], list[str]]:
    """``(score per student per exercise, max score per exercise, students with pending points)``.

    Raises:
        ExportError: no gradebook, or one without the needed columns.
    """
    path = grades / "gradebook.csv" if grades.is_dir() else grades
    if not path.is_file():
        raise ExportError(f"{path} does not exist; run mlops-course grade first (or merge the shards' gradebooks).")
    with path.open(newline="", encoding="utf-8") as handle:
        reader = csv.DictReader(handle)
        needed = ("student_id", "exercise", "score", "max_score")
        missing = [c for c in needed if c not in (reader.fieldnames or [])]
        if missing:
            raise ExportError(f"{path} lacks the column(s) {', '.join(missing)}; is it a gradebook.csv?")
        scores: dict[str, dict[str, str]] = {}
        maxima: dict[str, str] = {}
        pending: set[str] = set()
        for row in reader:
            student, exercise = row["student_id"].lstrip("'"), row["exercise"].lstrip("'")
            scores.setdefault(student, {})[exercise] = row["score"]
            maxima[exercise] = row["max_score"]
            if float(row.get("pending_points") or 0) > 0:
                pending.add(student)
    return scores, maxima, sorted(pending)


def export_text(
    scores: dict[str, dict[str, str]],
    maxima: dict[str, str],
    roster: dict[str, dict[str, str]] | None,
    fmt: str,
) -> tuple[str, ExportReport]:
    """The CSV text for ``fmt`` and the report of unmatched students."""
    if fmt not in FORMATS:
        raise ExportError(f"--format {fmt!r}: choose one of {', '.join(FORMATS)}.")
    exercises = sorted(maxima)
    report = ExportReport(exercises=exercises)
    known = roster or {}
    if roster is not None:
        report.unknown = sorted(s for s in scores if s not in known)
        report.missing = sorted(s for s in known if s not in scores)
    students = list(known) + sorted(s for s in scores if s not in known)
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    if fmt == "moodle":
        writer.writerow(["Username", "Email address", "Full name", *exercises])
    else:
        writer.writerow(["Student", "ID", "SIS User ID", "SIS Login ID", "Section", *exercises])
        writer.writerow(["Points Possible", "", "", "", "", *(maxima[e] for e in exercises)])
    for student in students:
        info = known.get(student, {})
        lms_id = info.get("lms_id") or student
        grades = [scores.get(student, {}).get(e, "") for e in exercises]
        if fmt == "moodle":
            identity = [lms_id, info.get("email", ""), info.get("name", "")]
        else:
            identity = [info.get("name") or student, info.get("canvas_id", ""), lms_id, "", info.get("section", "")]
        writer.writerow([_safe(x) for x in identity] + grades)
        report.rows += 1
    return buffer.getvalue(), report


def export(grades: Path, fmt: str, out: Path, roster: Path | None = None) -> ExportReport:
    """Write the platform CSV (atomically) and return what was not matched.

    Raises:
        ExportError: bad gradebook, roster or format.
    """
    scores, maxima, pending = read_scores(grades)
    text, report = export_text(scores, maxima, read_roster(roster) if roster else None, fmt)
    report.pending = pending
    atomic_write_text(out, text)
    return report
