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
from mlops_course.i18n import tr
from mlops_course.util import atomic_write_text

_STYLE = (
    "body{font-family:system-ui,sans-serif;max-width:52rem;margin:2rem auto;padding:0 1rem;color:#222}"
    "table{border-collapse:collapse;width:100%}td,th{border-bottom:1px solid #ddd;padding:.4rem;text-align:left;"
    "vertical-align:top}pre{white-space:pre-wrap;margin:0;font-size:.85rem}.passed{color:#176f2c}"
    ".failed,.timeout{color:#a4161a}.not_run{color:#777}"
)
_OUTCOMES = ("passed", "failed", "timeout", "not_run")
_STATUSES = ("graded", "invalid", "timeout", "error")


def _points(value: Any) -> str:
    number = float(value or 0)
    return f"{number:g}"


def feedback_html(result: dict[str, Any], spec: ExerciseSpec | None = None) -> str:
    """The feedback page for one result, in the language of the submission (``result["language"]``)."""
    lang = str(result.get("language") or "en")
    rows = []
    for test in result.get("tests", []):
        outcome = str(test.get("outcome", "not_run"))
        kind = tr("feedback.hidden_test" if test.get("hidden") else "feedback.visible_test", lang)
        if test.get("hidden"):
            detail = tr("feedback.hidden_detail", lang)
        else:
            detail = test.get("message") or ""
        rows.append(
            f"<tr><td>{escape(str(test.get('grade_id')))}<br><small>{kind}</small></td>"
            f"<td class='{escape(outcome)}'>{escape(tr(f'feedback.{outcome}', lang) if outcome in _OUTCOMES else outcome)}</td>"
            f"<td>{_points(test.get('points'))} / {_points(test.get('max_points'))}</td>"
            f"<td><pre>{escape(str(detail))}</pre></td></tr>"
        )
    manual = []
    for cell in result.get("manual", []):
        if cell.get("reviewed"):
            state, points = (
                tr("feedback.reviewed", lang),
                f"{_points(cell.get('points'))} / {_points(cell.get('max_points'))}",
            )
        else:
            state, points = tr("feedback.awaiting", lang), f"? / {_points(cell.get('max_points'))}"
        manual.append(
            f"<tr><td>{escape(str(cell.get('grade_id')))}<br><small>{tr('feedback.written_answer', lang)}</small></td>"
            f"<td>{state}</td><td>{points}</td><td><pre>{escape(str(cell.get('comment') or ''))}</pre></td></tr>"
        )
    late = result.get("late") or {}
    late_text = ""
    if late.get("days_late"):
        late_text = (
            "<p>"
            + tr(
                "feedback.late",
                lang,
                submitted=escape(str(result.get("submitted_at"))),
                days=_points(late.get("days_late")),
                due=escape(str(late.get("due"))),
                penalty=_points(late.get("penalty_pct")),
            )
            + "</p>"
        )
    if result.get("pending_points"):
        late_text += "<p>" + tr("feedback.pending", lang, points=_points(result.get("pending_points"))) + "</p>"
    errors = "".join(
        f"<li>{tr('feedback.solution_cell', lang)} <b>{escape(str(e.get('grade_id')))}</b>: <pre>{escape(str(e.get('message')))}</pre></li>"
        for e in result.get("solution_errors", [])
    )
    status = str(result.get("status"))
    message = escape(str(result.get("message") or ""))
    title = f"{escape(str(result.get('exercise')))}: {escape(str(result.get('student_id')))}"
    return (
        f"<!DOCTYPE html><html lang='{escape(lang)}'><head><meta charset='utf-8'><title>{title}</title>"
        f"<style>{_STYLE}</style></head><body><h1>{title}</h1>"
        f"<p><b>{tr('feedback.score', lang)}: {_points(result.get('score'))} / {_points(result.get('max_score'))}</b></p>"
        f"<p>{escape(tr(f'feedback.status_{status}', lang) if status in _STATUSES else status)} {message}</p>"
        f"<table><tr>{tr('feedback.columns', lang)}</tr>"
        + "".join(rows)
        + "".join(manual)
        + "</table>"
        + late_text
        + (f"<h2>{tr('feedback.errors', lang)}</h2><ul>{errors}</ul>" if errors else "")
        + f"<p><small>{tr('feedback.graded_at', lang, when=escape(str(result.get('graded_at'))))}</small></p>"
        + "</body></html>\n"
    )


def write_feedback(out: Path, result: dict[str, Any], spec: ExerciseSpec | None = None) -> Path:
    """Write (atomically) the feedback page of one result; returns its path."""
    path = out / "feedback" / str(result["student_id"]) / f"{result['exercise']}.html"
    atomic_write_text(path, feedback_html(result, spec))
    return path
