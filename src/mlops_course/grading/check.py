"""The learner's self-check: run their own notebook with its visible tests.

Same runner and verdict logic as grading (setup cell, guarded tests, sentinel), without
the namespace sandbox, in a fresh temporary folder. Test cells whose hidden part was
removed at release run their visible part but do not count: their points are decided
by the hidden tests at grading.
"""

from __future__ import annotations

import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

from mlops_course.grading.format import MAX_SUBMISSION_BYTES, SubmissionError, nbgrader_meta, read_submission
from mlops_course.grading.jobs import JobOutcome, Limits, run_job, with_setup_cell
from mlops_course.grading.release import HIDDEN_NOTES
from mlops_course.i18n import notebook_language, tr

EXIT_PASSED, EXIT_FAILED, EXIT_UNREADABLE = 0, 1, 2


@dataclass(frozen=True)
class CheckedTest:
    """One test cell's self-check result."""

    grade_id: str
    points: float
    hidden_part: bool
    outcome: str
    message: str


def run_check(path: Path, limits: Limits | None = None) -> tuple[list[CheckedTest], JobOutcome]:
    """Run a learner notebook's tests.

    Raises:
        SubmissionError: the file is not a readable notebook with test cells.
    """
    notebook, _data = read_submission(path, MAX_SUBMISSION_BYTES)
    tests = []
    for cell in notebook.cells:
        meta = nbgrader_meta(cell)
        if meta.get("grade") and not meta.get("solution") and cell.cell_type == "code":  # not manually graded
            points = meta.get("points", 0)
            tests.append(
                (
                    str(meta.get("grade_id")),
                    float(points) if isinstance(points, (int, float)) else 0.0,
                    any(note in cell.source for note in HIDDEN_NOTES),
                )
            )
        if cell.cell_type == "code":
            cell.outputs, cell.execution_count = [], None
    if not tests:
        raise SubmissionError(f"{path} has no test cells: check runs an exercise notebook from exercises/.")
    work_root = Path(tempfile.mkdtemp(prefix="mlops-check-"))
    try:
        outcome = run_job(with_setup_cell(notebook), work_root, limits or Limits(sandbox="none"), [], path.stem)
    finally:
        shutil.rmtree(work_root, ignore_errors=True)
    events = {e.get("grade_id"): e for e in outcome.of("test")}
    checked = [
        CheckedTest(
            gid,
            points,
            hidden,
            str(events.get(gid, {}).get("outcome", "not_run")),
            str(events.get(gid, {}).get("message") or ""),
        )
        for gid, points, hidden in tests
    ]
    return checked, outcome


def report(path: Path, checked: list[CheckedTest], outcome: JobOutcome) -> tuple[str, int]:
    """The text the learner sees, in the notebook's language, and the exit code (0 all visible tests pass, 1 otherwise)."""
    lang = notebook_language(path) or "en"
    lines = [tr("check.title", lang, name=path.name)]
    visible = [t for t in checked if not t.hidden_part]
    score = sum(t.points for t in visible if t.outcome == "passed")
    total = sum(t.points for t in visible)
    for test in checked:
        known = test.outcome in {"passed", "failed", "timeout", "not_run"}
        mark = (
            tr("check.pass" if test.outcome == "passed" else f"check.{test.outcome}", lang) if known else test.outcome
        )
        suffix = tr("check.hidden_suffix", lang) if test.hidden_part else ""
        lines.append(f"  {mark:8} {test.grade_id} [{test.points:g} pt]{suffix}")
        if test.outcome != "passed" and test.message:
            lines.extend("           " + line for line in test.message.splitlines()[:8])
    solution_errors = outcome.of("solution")
    for error in solution_errors:
        lines.append(
            tr("check.solution_error", lang, grade_id=error.get("grade_id"), message=str(error.get("message"))[:300])
        )
    if not outcome.of("setup"):
        lines.append(tr("check.not_runnable", lang, tail=outcome.log_tail[-300:].strip()))
    lines.append(tr("check.score", lang, score=f"{score:g}", total=f"{total:g}"))
    hidden_points = sum(t.points for t in checked if t.hidden_part)
    if hidden_points:
        lines.append(tr("check.hidden_points", lang, points=f"{hidden_points:g}"))
    all_passed = all(t.outcome == "passed" for t in checked) and bool(outcome.of("setup"))
    return "\n".join(lines), EXIT_PASSED if all_passed else EXIT_FAILED


def check(path: Path, limits: Limits | None = None) -> tuple[str, int]:
    """Run the self-check; returns ``(text, exit code)`` (2 for an unreadable notebook)."""
    if not path.is_file():
        example = "exercises/ex0_how_exercises_work.ipynb"
        return tr("check.no_file", path=path, example=example), EXIT_UNREADABLE
    try:
        checked, outcome = run_check(path, limits)
    except SubmissionError as exc:
        return str(exc), EXIT_UNREADABLE
    return report(path, checked, outcome)
