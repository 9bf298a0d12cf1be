"""Late work: due dates, per-student extensions, and the penalty policy.

``mlops-course grade --due DATETIME`` stores the policy of the exercises it grades in
``grades/late_policy.json`` (so that grading again, e.g. to merge reviews, keeps it). A
submission's time comes from its submit manifest, which ``collect`` keeps next to the
notebook as ``<exercise>.manifest.json``. A submission without a time is never penalised:
it is flagged ``no_submission_time`` for the instructor to decide.

Policies: ``none`` (lateness is recorded, no penalty), ``zero`` (a late submission scores
0), ``percent`` (``percent_per_day`` per started day late, at most ``cap`` percent).
"""

from __future__ import annotations

import csv
import json
import math
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from mlops_course.util import atomic_write_text

POLICIES = ("none", "zero", "percent")
POLICY_FILE = "late_policy.json"
NO_TIME_FLAG = "no_submission_time"


class LateError(ValueError):
    """A bad due date, policy or extensions file; the message says what to fix."""


def parse_time(text: str, what: str) -> datetime:
    """An ISO 8601 date-time with a time zone (``2026-12-01T23:59+01:00``, or ``Z`` for UTC).

    Raises:
        LateError: not such a date-time; the message names ``what``.
    """
    try:
        value = datetime.fromisoformat(str(text).strip().replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        raise LateError(f"{what}: {text!r} is not a date-time; write it like 2026-12-01T23:59:00+01:00.") from None
    if value.tzinfo is None:
        raise LateError(f"{what}: {text!r} has no time zone; add one, e.g. {text}+00:00 for UTC.")
    return value


@dataclass
class LatePolicy:
    """The due date and penalty of one exercise."""

    due: str
    policy: str = "percent"
    percent_per_day: float = 10.0
    cap: float = 100.0
    #: student_id -> that student's own due date (ISO 8601)
    extensions: dict[str, str] = field(default_factory=dict)

    def check(self) -> LatePolicy:
        """Raises LateError when a field is out of range; returns self."""
        parse_time(self.due, "--due")
        if self.policy not in POLICIES:
            raise LateError(f"--late-policy {self.policy!r}: choose one of {', '.join(POLICIES)}.")
        if not (math.isfinite(self.percent_per_day) and 0 <= self.percent_per_day <= 100):
            raise LateError(f"--late-percent {self.percent_per_day:g}: give a percentage from 0 to 100 per day.")
        if not (math.isfinite(self.cap) and 0 <= self.cap <= 100):
            raise LateError(f"--late-cap {self.cap:g}: give a percentage from 0 to 100.")
        return self

    def penalty(self, student_id: str, submitted_at: str) -> tuple[float, float]:
        """``(days_late, penalty_percent)`` of a submission made at ``submitted_at``."""
        due = parse_time(self.extensions.get(student_id, self.due), "due date")
        late = parse_time(submitted_at, "submitted_at") - due
        if late <= timedelta(0):
            return 0.0, 0.0
        days = float(math.ceil(late / timedelta(days=1)))
        if self.policy == "zero":
            return days, 100.0
        if self.policy == "percent":
            return days, min(self.cap, days * self.percent_per_day)
        return days, 0.0


def read_extensions(path: Path, exercise: str | None = None) -> dict[str, str]:
    """Per-student due dates from a CSV with columns ``student_id, due`` (and optionally
    ``exercise``: a row with another exercise is skipped, an empty one applies to all).

    Raises:
        LateError: a missing column, an empty student id, a bad date or a repeated student,
            naming the line.
    """
    try:
        handle = path.open(newline="", encoding="utf-8")
    except OSError as exc:
        raise LateError(f"--extensions {path}: cannot read it ({exc}).") from None
    with handle:
        reader = csv.DictReader(handle)
        missing = [c for c in ("student_id", "due") if c not in (reader.fieldnames or [])]
        if missing:
            raise LateError(
                f"{path}: the header lacks {', '.join(missing)}; the columns are student_id, due[, exercise]."
            )
        extensions: dict[str, str] = {}
        for number, row in enumerate(reader, start=2):
            student = (row.get("student_id") or "").strip()
            where = f"{path.name} line {number}"
            if not student:
                raise LateError(f"{where}: the student_id is empty.")
            if exercise and (row.get("exercise") or "").strip() not in ("", exercise):
                continue
            due = parse_time(row.get("due") or "", f"{where} ({student})")
            if student in extensions:
                raise LateError(f"{where}: {student} has another extension above; keep one row per student.")
            extensions[student] = due.isoformat()
    return extensions


def load_policies(out: Path) -> dict[str, LatePolicy]:
    """The stored policies per exercise (none when grading never had ``--due``)."""
    try:
        stored = json.loads((out / POLICY_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    policies = {}
    for stem, raw in stored.items() if isinstance(stored, dict) else ():
        try:
            policies[stem] = LatePolicy(**raw).check()
        except (TypeError, LateError):
            continue
    return policies


def save_policies(out: Path, policies: dict[str, LatePolicy]) -> None:
    """Store the policies (atomically)."""
    text = json.dumps({k: asdict(v) for k, v in sorted(policies.items())}, indent=1, sort_keys=True)
    atomic_write_text(out / POLICY_FILE, text + "\n")


def submission_time(notebook: Path) -> str:
    """The submit time recorded next to a collected notebook (``""`` when there is none)."""
    try:
        manifest = json.loads(notebook.with_suffix(".manifest.json").read_text(encoding="utf-8"))
        value = str(manifest["submitted_at"])
        parse_time(value, "submitted_at")
    except (OSError, ValueError, KeyError, TypeError):
        return ""
    return value


def apply_late(result: dict[str, Any], policy: LatePolicy | None) -> None:
    """Set the result's ``late`` record, ``no_submission_time`` flag and final ``score``."""
    flags = [f for f in result.get("flags", []) if f != NO_TIME_FLAG]
    base = float(result.get("score_before_penalty", result.get("score") or 0))
    result["late"] = None
    submitted = str(result.get("submitted_at") or "")
    if policy is not None and result.get("status") != "invalid":
        if not submitted:
            flags.append(NO_TIME_FLAG)
        else:
            days, percent = policy.penalty(str(result.get("student_id")), submitted)
            result["late"] = {
                "due": policy.extensions.get(str(result.get("student_id")), policy.due),
                "policy": policy.policy,
                "days_late": days,
                "penalty_pct": percent,
            }
            base = base * (1 - percent / 100)
    result["flags"] = sorted(set(flags))
    result["score"] = round(base, 4)
