"""The gradebook: per-submission result JSON files are the source of truth.

Each graded submission is written once, atomically, to
``grades/results/<student_id>/<stem>.json``; ``grades/gradebook.csv`` is rebuilt from all
of them after every run. An interrupted run therefore loses at most the submissions that
were being graded, never a row, and a re-run picks up where it stopped.
"""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Any

from mlops_course.util import atomic_write_text

COLUMNS = (
    "student_id",
    "exercise",
    "score",
    "max_score",
    "status",
    "submission_sha256",
    "graded_at",
    "message",
    "flags",
    "pending_points",
    "submitted_at",
    "days_late",
    "late_penalty_pct",
)
STATUSES = ("graded", "invalid", "timeout", "error")
OUTCOMES = ("passed", "failed", "timeout", "not_run")
#: bump when grading logic changes so that earlier results are graded again
GRADER_VERSION = "2"


def result_path(out: Path, student_id: str, stem: str) -> Path:
    """Where the result of one (student, exercise) is stored."""
    return out / "results" / student_id / f"{stem}.json"


def load_result(path: Path) -> dict[str, Any] | None:
    """A stored result, or ``None`` when missing or unreadable (it will be graded again)."""
    try:
        result = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return result if isinstance(result, dict) and result.get("status") in STATUSES else None


def load_results(out: Path) -> list[dict[str, Any]]:
    """Every stored result under ``out/results``, sorted by student and exercise."""
    results = [r for p in sorted((out / "results").glob("*/*.json")) if (r := load_result(p)) is not None]
    return sorted(results, key=lambda r: (str(r.get("student_id")), str(r.get("exercise"))))


def _cell(value: Any) -> str:
    """A CSV cell that a spreadsheet will not run as a formula."""
    text = "" if value is None else str(value)
    text = text.replace("\r", " ").replace("\n", " ")
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t") else text


def _number(value: Any) -> str:
    number = float(value or 0)
    return str(int(number)) if number.is_integer() else f"{number:.2f}"


def gradebook_text(results: list[dict[str, Any]]) -> str:
    """The gradebook CSV for the given results."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(COLUMNS)
    for r in results:
        writer.writerow(
            [
                _cell(r.get("student_id")),
                _cell(r.get("exercise")),
                _number(r.get("score")),
                _number(r.get("max_score")),
                _cell(r.get("status")),
                _cell(r.get("submission_sha256")),
                _cell(r.get("graded_at")),
                _cell(r.get("message")),
                _cell(";".join(r.get("flags", []))),
                _number(r.get("pending_points")),
                _cell(r.get("submitted_at")),
                _number((r.get("late") or {}).get("days_late")),
                _number((r.get("late") or {}).get("penalty_pct")),
            ]
        )
    return buffer.getvalue()


def write_gradebook(out: Path) -> list[dict[str, Any]]:
    """Rebuild ``out/gradebook.csv`` from every stored result; returns the results."""
    results = load_results(out)
    atomic_write_text(out / "gradebook.csv", gradebook_text(results))
    return results
