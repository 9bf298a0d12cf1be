"""The learner's feedback page: ``grades/feedback/<student_id>/<stem>.html``.

Every test is named and scored. Visible tests show their failure message; hidden tests
show only that they passed or not, never their code or message. Written (manually graded)
answers show their reviewed points and the reviewer's comment, or that they await review;
a late penalty is stated with the submission time and the due date. Everything that comes
from the learner (ids, messages, errors) is HTML-escaped.
"""

from __future__ import annotations

from html import escape
from pathlib import Path
from typing import Any

from mlops_course.grading.format import ExerciseSpec
from mlops_course.util import atomic_write_text

_STYLE = (
    "body{font-family:system-ui,sans-serif;max-width:52rem;margin:2rem auto;padding:0 1rem;color:#222}"
    "table{border-collapse:collapse;width:100%}td,th{border-bottom:1px solid #ddd;padding:.4rem;text-align:left;"
    "vertical-align:top}pre{white-space:pre-wrap;margin:0;font-size:.85rem}.passed{color:#176f2c}"
    ".failed,.timeout{color:#a4161a}.not_run{color:#777}"
)
_OUTCOME_TEXT = {"passed": "passed", "failed": "failed", "timeout": "timed out", "not_run": "not run"}
_STATUS_TEXT = {
    "graded": "Graded.",
    "invalid": "Your submission could not be graded:",
    "timeout": "Your notebook ran out of time:",
    "error": "The grader failed on your submission; your instructor will grade it again:",
}


def _points(value: Any) -> str:
    number = float(value or 0)
    return f"{number:g}"


def feedback_html(result: dict[str, Any], spec: ExerciseSpec | None = None) -> str:
    """The feedback page for one result."""
    rows = []
    for test in result.get("tests", []):
        outcome = str(test.get("outcome", "not_run"))
        kind = "hidden test" if test.get("hidden") else "visible test"
        if test.get("hidden"):
            detail = "Hidden tests check your answer on other inputs; their code is not shown."
        else:
            detail = test.get("message") or ""
        rows.append(
            f"<tr><td>{escape(str(test.get('grade_id')))}<br><small>{kind}</small></td>"
            f"<td class='{escape(outcome)}'>{escape(_OUTCOME_TEXT.get(outcome, outcome))}</td>"
            f"<td>{_points(test.get('points'))} / {_points(test.get('max_points'))}</td>"
            f"<td><pre>{escape(str(detail))}</pre></td></tr>"
        )
    manual = []
    for cell in result.get("manual", []):
        if cell.get("reviewed"):
            state, points = "reviewed", f"{_points(cell.get('points'))} / {_points(cell.get('max_points'))}"
        else:
            state, points = "awaiting review", f"? / {_points(cell.get('max_points'))}"
        manual.append(
            f"<tr><td>{escape(str(cell.get('grade_id')))}<br><small>written answer</small></td>"
            f"<td>{state}</td><td>{points}</td><td><pre>{escape(str(cell.get('comment') or ''))}</pre></td></tr>"
        )
    late = result.get("late") or {}
    late_text = ""
    if late.get("days_late"):
        late_text = (
            f"<p>Submitted {escape(str(result.get('submitted_at')))}, {_points(late.get('days_late'))} day(s) after "
            f"the due date {escape(str(late.get('due')))}: late penalty {_points(late.get('penalty_pct'))}%.</p>"
        )
    if result.get("pending_points"):
        late_text += f"<p>{_points(result.get('pending_points'))} points of written answers await review.</p>"
    errors = "".join(
        f"<li>solution cell <b>{escape(str(e.get('grade_id')))}</b>: <pre>{escape(str(e.get('message')))}</pre></li>"
        for e in result.get("solution_errors", [])
    )
    status = str(result.get("status"))
    message = escape(str(result.get("message") or ""))
    title = f"{escape(str(result.get('exercise')))}: {escape(str(result.get('student_id')))}"
    return (
        f"<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'><title>{title}</title>"
        f"<style>{_STYLE}</style></head><body><h1>{title}</h1>"
        f"<p><b>Score: {_points(result.get('score'))} / {_points(result.get('max_score'))}</b></p>"
        f"<p>{escape(_STATUS_TEXT.get(status, status))} {message}</p>"
        "<table><tr><th>test</th><th>result</th><th>points</th><th>details</th></tr>"
        + "".join(rows)
        + "".join(manual)
        + "</table>"
        + late_text
        + (f"<h2>Errors in your solution cells</h2><ul>{errors}</ul>" if errors else "")
        + f"<p><small>Graded at {escape(str(result.get('graded_at')))}.</small></p></body></html>\n"
    )


def write_feedback(out: Path, result: dict[str, Any], spec: ExerciseSpec | None = None) -> Path:
    """Write (atomically) the feedback page of one result; returns its path."""
    path = out / "feedback" / str(result["student_id"]) / f"{result['exercise']}.html"
    atomic_write_text(path, feedback_html(result, spec))
    return path
