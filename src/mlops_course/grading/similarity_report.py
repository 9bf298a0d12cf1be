"""The HTML report of ``mlops-course similarity``: the closest pairs, answers side by side.

Lines whose normalised tokens also occur in the other learner's answer are highlighted.
Everything from the submissions is HTML-escaped.
"""

from __future__ import annotations

from html import escape
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from mlops_course.grading.similarity import Answer

_STYLE = (
    "body{font-family:system-ui,sans-serif;margin:1.5rem;color:#222}table{border-collapse:collapse;width:100%;"
    "table-layout:fixed}td,th{border:1px solid #ddd;padding:.3rem;vertical-align:top;text-align:left}"
    "pre{white-space:pre-wrap;margin:0;font-size:.8rem}.same{background:#ffe08a}h2{margin-top:2rem}"
)


def _normal_lines(source: str, cell_type: str) -> set[tuple[str, ...]]:
    from mlops_course.grading.similarity import code_tokens, text_tokens

    tokenize = code_tokens if cell_type == "code" else text_tokens
    return {t for line in source.splitlines() if len(t := tuple(tokenize(line))) > 1}


def _marked(source: str, other: set[tuple[str, ...]], cell_type: str) -> str:
    from mlops_course.grading.similarity import code_tokens, text_tokens

    tokenize = code_tokens if cell_type == "code" else text_tokens
    lines = []
    for line in source.splitlines():
        same = tuple(tokenize(line)) in other
        lines.append(f"<span class='same'>{escape(line)}</span>" if same else escape(line))
    return "\n".join(lines)


def pair_html(a: Answer, b: Answer, kinds: dict[str, str]) -> str:
    """One pair's answers, cell by cell, side by side."""
    rows = []
    for grade_id, cell_type in kinds.items():
        left, right = a.cells.get(grade_id, ""), b.cells.get(grade_id, "")
        left_lines, right_lines = _normal_lines(left, cell_type), _normal_lines(right, cell_type)
        rows.append(
            f"<tr><th colspan=2>{escape(grade_id)}</th></tr><tr><td><pre>{_marked(left, right_lines, cell_type)}"
            f"</pre></td><td><pre>{_marked(right, left_lines, cell_type)}</pre></td></tr>"
        )
    return "".join(rows)


def report_html(
    rows: list[tuple[str, str, str, float]], answers: dict[str, dict[str, Answer]], kinds: dict[str, dict[str, str]]
) -> str:
    """The report page for the given (closest) pairs."""
    sections = []
    for rank, (a, b, exercise, score) in enumerate(rows, start=1):
        pair = answers[exercise]
        sections.append(
            f"<h2 id='pair{rank}'>{rank}. {escape(a)} and {escape(b)}: {escape(exercise)}, similarity {score:.2f}</h2>"
            f"<table><tr><th>{escape(a)}</th><th>{escape(b)}</th></tr>"
            f"{pair_html(pair[a], pair[b], kinds[exercise])}</table>"
        )
    index = "".join(
        f"<li><a href='#pair{rank}'>{escape(a)} / {escape(b)} ({escape(e)}): {s:.2f}</a></li>"
        for rank, (a, b, e, s) in enumerate(rows, start=1)
    )
    return (
        "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'><title>Similarity report</title>"
        f"<style>{_STYLE}</style></head><body><h1>Similarity report</h1>"
        "<p>Closest pairs of learners per exercise, on normalised tokens (names, comments and spacing ignored; "
        "the handed-out code does not count). A high score is a reason to look, not a verdict: highlighted "
        "lines also occur in the other answer.</p>"
        f"<ol>{index or '<li>no similar pairs</li>'}</ol>" + "".join(sections) + "</body></html>\n"
    )
