"""One grading run of a whole class of ex0 submissions: honest, threats, bad input.

Every threat of GRADING.md has its own submission; each must score no more than its
honest part (the score its answers earn without the trick), and the honest submissions
of the same run are still graded correctly.
"""

from __future__ import annotations

import csv
import json
from typing import Any

import pytest

from helpers import grading_submissions as subs

pytestmark = pytest.mark.grading


def _expected(student: str) -> tuple[float, str, str]:
    _build, score, status, phrase = subs.EXPECTED[student]
    return score, status, phrase


@pytest.mark.parametrize("student", list(subs.EXPECTED))
def test_each_submission_gets_its_honest_score(graded_class: dict[str, Any], student: str) -> None:
    if student not in graded_class["students"]:
        pytest.skip("this threat needs the namespace sandbox, not permitted on this machine")
    result = graded_class["results"][student]
    score, status, phrase = _expected(student)
    assert result["status"] == status, result["message"]
    assert result["score"] == pytest.approx(score), (result["message"], result["tests"], result["flags"])
    assert result["max_score"] == 100
    if phrase:
        assert phrase in result["message"] or any(phrase in f for f in result["flags"]), (
            result["message"],
            result["flags"],
        )


def test_honest_submissions_pass_and_fail_tests(graded_class: dict[str, Any]) -> None:
    results = graded_class["results"]
    assert all(t["outcome"] == "passed" for t in results["honest_full"]["tests"])
    assert all(t["outcome"] == "failed" for t in results["honest_wrong"]["tests"])
    partial = {t["grade_id"]: t["outcome"] for t in results["honest_partial"]["tests"]}
    assert partial == {
        "test_default_rate": "passed",
        "test_default_rate_hidden": "passed",
        "test_invalid_ages": "failed",
        "test_invalid_ages_hidden": "failed",
        "test_worst_month": "passed",
    }


def test_visible_messages_only(graded_class: dict[str, Any]) -> None:
    tests = {t["grade_id"]: t for t in graded_class["results"]["honest_wrong"]["tests"]}
    message = tests["test_default_rate"]["message"]
    nb = json.loads(subs.SOLUTION.read_text())
    (source,) = [
        "".join(c["source"]) for c in nb["cells"] if c["metadata"]["nbgrader"]["grade_id"] == "test_default_rate"
    ]
    line = next(n for n, text in enumerate(source.splitlines(), 1) if text.startswith("pd.testing.assert_series_equal"))
    assert "Series are different" in message and f"at test line {line}: pd.testing.assert_series_equal" in message
    assert not any(word in message for word in ("run_test", "_mlops_grader", "kernel_guard", "@@MLOPS"))
    assert tests["test_default_rate_hidden"]["message"] is None  # hidden: no message stored
    page = (graded_class["out"] / "feedback" / "honest_wrong" / f"{subs.STEM}.html").read_text()
    assert "test_default_rate_hidden" in page and "generate_applications(n_rows=1_800" not in page
    assert "Series are different" in page


def test_every_student_has_exactly_one_row(graded_class: dict[str, Any]) -> None:
    with open(graded_class["out"] / "gradebook.csv", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert sorted(r["student_id"] for r in rows) == sorted(graded_class["students"])
    assert {"message", "flags", "submission_sha256", "graded_at"} <= set(rows[0])
    assert not any(r["student_id"] == "intruder" for r in rows)


def test_kernel_sandbox_recorded(graded_class: dict[str, Any], sandbox_mode: str) -> None:
    result = graded_class["results"]["honest_full"]
    assert result["sandbox"] == sandbox_mode


def test_summary_written(graded_class: dict[str, Any]) -> None:
    out = graded_class["out"]
    html = (out / "summary.html").read_text()
    assert subs.STEM in html and "Tests most often failed" in html
    assert (out / f"summary_{subs.STEM}.png").stat().st_size > 1000


def test_plain_nbval_is_fooled_by_a_custom_exception_handler(tmp_path) -> None:
    """Why the grader decides itself: nbval 0.11 counts a failing assert as passed here."""
    import subprocess
    import sys

    import nbformat

    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(subs.CUSTOM_EXC), nbformat.v4.new_code_cell("assert 1 == 2")]
    path = tmp_path / "fooled.ipynb"
    (tmp_path / "none.ini").write_text("[pytest]\n")
    nbformat.write(nb, path)
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-p",
            "nbval.plugin",
            "--nbval-lax",
            "--nbval-kernel-name",
            "mlops-course",
            str(path),
            "-q",
            "-p",
            "no:cacheprovider",
            "--noconftest",
            "-c",
            str(tmp_path / "none.ini"),
            "--rootdir",
            str(tmp_path),
        ],
        capture_output=True,
        text=True,
        env={**__import__("os").environ, "PYTEST_DISABLE_PLUGIN_AUTOLOAD": "1"},
    )
    assert "2 passed" in done.stdout, done.stdout + done.stderr
