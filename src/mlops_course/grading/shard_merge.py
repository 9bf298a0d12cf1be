"""Merge the gradebooks of grading shards into one, losing and duplicating no row.

Each shard writes its own ``gradebook.csv`` (one row per student and exercise). The merge
keeps exactly one row per ``(student_id, exercise)``: identical copies collapse to one, and
when two copies disagree (a submission graded twice) the newer ``graded_at`` wins and the
disagreement is reported, never silently dropped.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from mlops_course.grading.gradebook import COLUMNS
from mlops_course.util import atomic_write_text

KEY_COLUMNS = ("student_id", "exercise")
#: the columns every gradebook has (GRADING.md); the grader writes more, which are kept.
REQUIRED_COLUMNS = COLUMNS[: COLUMNS.index("graded_at") + 1]


@dataclass(frozen=True)
class Conflict:
    """Two rows for one student and exercise that disagree, and which one was kept."""

    student_id: str
    exercise: str
    kept_from: str
    dropped_from: str
    kept_graded_at: str
    dropped_graded_at: str

    def describe(self) -> str:
        """One line for the instructor."""
        return (
            f"{self.student_id}/{self.exercise}: kept the row graded at {self.kept_graded_at} ({self.kept_from}), "
            f"dropped the one graded at {self.dropped_graded_at} ({self.dropped_from})"
        )


@dataclass
class MergeReport:
    """What a merge did: rows written, identical copies collapsed, conflicts resolved."""

    out: Path
    rows: int = 0
    duplicates: int = 0
    conflicts: list[Conflict] = field(default_factory=list)


def _graded_at(value: str, where: str) -> datetime:
    try:
        moment = datetime.fromisoformat(value.strip())
    except ValueError as exc:
        raise ValueError(
            f"{where}: graded_at {value!r} is not an ISO 8601 time such as 2026-01-31T12:00:00+00:00."
        ) from exc
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _read(path: Path) -> tuple[list[str], list[dict[str, str]]]:
    if not path.is_file():
        raise FileNotFoundError(f"gradebook {path} does not exist; name the gradebook.csv each shard wrote.")
    with path.open(newline="", encoding="utf-8") as handle:
        reader = csv.DictReader(handle)
        columns = list(reader.fieldnames or [])
        missing = [name for name in REQUIRED_COLUMNS if name not in columns]
        if missing:
            raise ValueError(
                f"gradebook {path} lacks the column(s) {', '.join(missing)}; expected at least {', '.join(REQUIRED_COLUMNS)}."
            )
        return columns, list(reader)


def merge_gradebooks(paths: Sequence[str | Path], out: str | Path) -> MergeReport:
    """Union shard gradebooks into ``out``, one row per ``(student_id, exercise)``.

    Args:
        paths: the shards' ``gradebook.csv`` files (``out`` itself may be one of them).
        out: the merged gradebook to write (replaced atomically).

    Returns:
        A :class:`MergeReport`; ``conflicts`` lists every pair of rows that disagreed.
    """
    if not paths:
        raise ValueError("paths: name at least one shard gradebook to merge.")
    columns: list[str] = list(REQUIRED_COLUMNS)
    kept: dict[tuple[str, str], tuple[dict[str, str], datetime, str]] = {}
    report = MergeReport(out=Path(out))
    for path in map(Path, paths):
        file_columns, rows = _read(path)
        columns += [name for name in file_columns if name not in columns]
        for line, row in enumerate(rows, start=2):
            where = f"{path}:{line}"
            key = (row["student_id"], row["exercise"])
            if not all(key):
                raise ValueError(f"{where}: student_id and exercise must not be empty.")
            moment = _graded_at(row["graded_at"], where)
            if key not in kept:
                kept[key] = (row, moment, where)
                continue
            old_row, old_moment, old_where = kept[key]
            if {k: v for k, v in old_row.items() if k} == {k: v for k, v in row.items() if k}:
                report.duplicates += 1
                continue
            newer = moment >= old_moment  # a tie goes to the later file
            winner, loser = ((row, moment, where), kept[key]) if newer else (kept[key], (row, moment, where))
            kept[key] = winner
            report.conflicts.append(
                Conflict(key[0], key[1], winner[2], loser[2], winner[0]["graded_at"], loser[0]["graded_at"])
            )
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=columns, extrasaction="ignore", lineterminator="\n")
    writer.writeheader()
    for key in sorted(kept):
        writer.writerow({name: kept[key][0].get(name, "") for name in columns})
    atomic_write_text(Path(out), buffer.getvalue())
    report.rows = len(kept)
    return report
