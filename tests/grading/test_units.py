"""Unit tests: reading submissions, merging, the verdict rule, scan, gradebook, feedback."""

from __future__ import annotations

import json
from pathlib import Path

import nbformat
import pytest

from mlops_course.grading.feedback import feedback_html
from mlops_course.grading.format import SubmissionError, read_instructor, read_notebook_bytes, read_submission
from mlops_course.grading.gradebook import gradebook_text
from mlops_course.grading.kernel_guard import MARK
from mlops_course.grading.merge import match_solutions, merge
from mlops_course.grading.runner import CellRecord, Channel, GradingPlugin
from mlops_course.grading.scan import scan_sources

from helpers import grading_submissions as subs


@pytest.mark.parametrize(
    ("data", "phrase"),
    [
        (b"", "is empty"),
        (b"{not json", "not valid JSON"),
        (b"[1, 2]", "not a Jupyter notebook"),
        (subs.NBFORMAT3, "format 3"),
        (b'{"nbformat": 4, "cells": [{"cell_type": "weird"}]}', "damaged"),
    ],
)
def test_unreadable_notebooks_are_refused_with_a_message(data: bytes, phrase: str) -> None:
    with pytest.raises(SubmissionError, match=phrase):
        read_notebook_bytes(data, "alice/ex0.ipynb")


def test_size_limit_is_checked_before_parsing(tmp_path: Path) -> None:
    path = tmp_path / "big.ipynb"
    path.write_bytes(b"x" * 2000)  # not even JSON: the size check comes first
    with pytest.raises(SubmissionError, match="over the 0 MB limit"):
        read_submission(path, max_bytes=1000)


def test_merge_takes_only_solution_sources() -> None:
    instructor, spec, _ = read_instructor(subs.SOLUTION)
    submission = nbformat.reads(subs.answered(subs.WRONG, subs._edit_tests).decode(), as_version=4)
    merged = merge(instructor, spec, match_solutions(spec, submission, "x"))
    for cell, original in zip(merged.cells, instructor.cells):
        grade_id = original.metadata["nbgrader"]["grade_id"]
        if grade_id in subs.WRONG:
            assert cell.source == subs.WRONG[grade_id]
        else:
            assert cell.source == original.source and cell.metadata == original.metadata
    assert merged.metadata == instructor.metadata


def _plugin(token: str = "abc") -> tuple[GradingPlugin, dict]:
    plugin = GradingPlugin({"cell_timeout": 10, "output_limit": 1000}, Channel(None))
    return plugin, {"kind": "test", "grade_id": "t", "token": token}


@pytest.mark.parametrize(
    ("stdout", "status", "errors", "passed", "expected"),
    [
        (f'hi\n{MARK}abc {{"critical": [], "noted": []}}\n', "ok", [], True, "passed"),
        ("hi\n", "ok", [], True, "failed"),  # no sentinel: the test did not run to its end
        (f'{MARK}abc {{"critical": [], "noted": []}}\nlater\n', "ok", [], True, "failed"),  # not last
        (f'{MARK}zzz {{"critical": [], "noted": []}}\n', "ok", [], True, "failed"),  # other token
        (f'{MARK}abc {{"critical": ["x"], "noted": []}}\n', "ok", [], True, "failed"),  # tampering
        (f'{MARK}abc {{"critical": [], "noted": []}}\n', "error", [], True, "failed"),  # reply status
        (f'{MARK}abc {{"critical": [], "noted": []}}\n', "ok", [{"ename": "E", "evalue": "v"}], True, "failed"),
        (f'{MARK}abc {{"critical": [], "noted": []}}\n', "ok", [], False, "failed"),  # nbval failed
    ],
)
def test_verdict_needs_every_signal(stdout: str, status: str, errors: list, passed: bool, expected: str) -> None:
    plugin, info = _plugin()
    record = CellRecord(reply_status=status, errors=errors, stdout_tail=stdout)
    assert plugin.verdict(info, record, passed, aborted_here=False)["outcome"] == expected


def test_scan_flags_red_flag_apis_and_not_ordinary_code() -> None:
    assert scan_sources([subs.RIGHT[subs.T1], subs.RIGHT[subs.T2]]) == []
    flags = scan_sources([subs.CUSTOM_EXC, subs.MONKEYPATCH, subs.EXIT_KERNEL, "import ctypes"])
    assert {
        "set_custom_exc",
        "get_ipython",
        "monkeypatch-library",
        "builtins-assignment",
        "exit-kill",
        "ctypes",
    } <= set(flags)


def test_gradebook_neutralises_spreadsheet_formulas() -> None:
    text = gradebook_text(
        [
            {
                "student_id": "=cmd()",
                "exercise": "ex0",
                "score": 1,
                "max_score": 2,
                "status": "graded",
                "message": "+evil\nline",
                "flags": ["a", "b"],
            }
        ]
    )
    row = text.splitlines()[1]
    assert row.startswith("'=cmd()") and "'+evil line" in row and "a;b" in row


def test_feedback_escapes_learner_text_and_hides_hidden_tests() -> None:
    result = {
        "student_id": "<script>x</script>",
        "exercise": "ex0",
        "score": 1,
        "max_score": 2,
        "status": "graded",
        "message": "",
        "graded_at": "now",
        "tests": [
            {
                "grade_id": "v",
                "hidden": False,
                "outcome": "failed",
                "points": 0,
                "max_points": 1,
                "message": "<img src=x onerror=alert(1)>",
            },
            {
                "grade_id": "h",
                "hidden": True,
                "outcome": "failed",
                "points": 0,
                "max_points": 1,
                "message": "secret expected value 42",
            },
        ],
        "solution_errors": [{"grade_id": "s", "message": "<b>boom</b>"}],
    }
    html = feedback_html(result)
    assert "<script>" not in html and "<img" not in html and "<b>boom" not in html
    assert "&lt;img src=x" in html and "secret expected value" not in html
    assert json.dumps(result)  # results stay JSON-serialisable
