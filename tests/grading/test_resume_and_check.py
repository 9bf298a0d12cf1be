"""Resume after an interruption, same scores on re-grade, and the learner's self-check."""

from __future__ import annotations

import csv
import json
import shutil
from pathlib import Path
from typing import Any

import pytest

from mlops_course.grading.check import EXIT_FAILED, EXIT_PASSED, EXIT_UNREADABLE, check

from helpers import grading_submissions as subs
from helpers.grading_run import by_student, run_grade

pytestmark = pytest.mark.grading
STUDENTS = ["honest_full", "honest_partial", "honest_wrong", "bad_empty"]


def _rows(out: Path) -> list[dict[str, str]]:
    with open(out / "gradebook.csv", newline="") as handle:
        return list(csv.DictReader(handle))


def test_interrupted_run_resumes_without_losing_or_duplicating_rows(tmp_path: Path) -> None:
    submissions = subs.write_class(tmp_path / "submissions", STUDENTS)
    out = tmp_path / "grades"
    first = by_student(run_grade(submissions, out))
    scores = {s: first[s]["score"] for s in STUDENTS}
    assert scores == {"honest_full": 100, "honest_partial": 70, "honest_wrong": 0, "bad_empty": 0}

    # an interruption: one result never written, the gradebook half-written, a temp file left over
    (out / "results" / "honest_partial" / f"{subs.STEM}.json").unlink()
    (out / "gradebook.csv").write_text("student_id,exercise\nhonest_full,ex0\nhonest_f")
    (out / "results" / "honest_full" / ".leftover.tmp").write_text("{")
    kept = json.loads((out / "results" / "honest_full" / f"{subs.STEM}.json").read_text())

    second = by_student(run_grade(submissions, out))
    assert {s: second[s]["score"] for s in STUDENTS} == scores
    assert second["honest_full"]["graded_at"] == kept["graded_at"]  # unchanged: not graded again
    rows = _rows(out)
    assert sorted(r["student_id"] for r in rows) == sorted(STUDENTS)

    # a changed submission is graded again; an unchanged one is not
    (submissions / "honest_wrong" / f"{subs.STEM}.ipynb").write_bytes(subs.answered(subs.RIGHT))
    third = by_student(run_grade(submissions, out))
    assert third["honest_wrong"]["score"] == 100
    assert third["honest_full"]["graded_at"] == kept["graded_at"]


def test_regrade_gives_the_same_scores(tmp_path: Path) -> None:
    submissions = subs.write_class(tmp_path / "submissions", STUDENTS[:3])
    first = by_student(run_grade(submissions, tmp_path / "a"))
    second = by_student(run_grade(submissions, tmp_path / "b", regrade=True))
    assert {s: (r["score"], [t["outcome"] for t in r["tests"]]) for s, r in first.items()} == {
        s: (r["score"], [t["outcome"] for t in r["tests"]]) for s, r in second.items()
    }


def test_no_notebook_anywhere_is_a_clear_error(tmp_path: Path) -> None:
    from mlops_course.grading.format import FormatError
    from mlops_course.grading.grade import GradeOptions, grade

    (tmp_path / "submissions" / "alice").mkdir(parents=True)
    with pytest.raises(FormatError, match="nothing to grade"):
        grade(tmp_path / "submissions", GradeOptions(out=tmp_path / "grades", progress=False))


def test_check_reports_visible_score_and_messages(tmp_path: Path) -> None:
    untouched = tmp_path / subs.EXERCISE.name
    shutil.copy(subs.EXERCISE, untouched)
    text, code = check(untouched)
    assert code == EXIT_FAILED
    assert "Score on visible tests: 0 / 40" in text and "NotImplementedError" in text
    assert "Hidden tests decide 60 more points" in text

    solved = tmp_path / "solved.ipynb"
    solved.write_bytes(subs.answered(subs.RIGHT))
    text, code = check(solved)
    assert code == EXIT_PASSED, text
    assert "Score on visible tests: 40 / 40" in text

    partial = tmp_path / "partial.ipynb"
    partial.write_bytes(subs.answered(subs.HONEST_PARTIAL))
    text, code = check(partial)
    assert code == EXIT_FAILED and "Score on visible tests: 25 / 40" in text and "Series are different" in text


def test_check_refuses_unreadable_input(tmp_path: Path) -> None:
    bad = tmp_path / "bad.ipynb"
    bad.write_text("nope")
    text, code = check(bad)
    assert code == EXIT_UNREADABLE and "not valid JSON" in text
    text, code = check(tmp_path / "missing.ipynb")
    assert code == EXIT_UNREADABLE and "does not exist" in text


def test_without_sandbox_reading_solutions_would_succeed(tmp_path: Path, sandbox_mode: str) -> None:
    """The read-the-solutions threat is real: only the namespace sandbox stops it."""
    if sandbox_mode != "namespaces":
        pytest.skip("needs the namespace sandbox to compare")
    from mlops_course.grading.jobs import Limits

    submissions = subs.write_class(tmp_path / "submissions", ["threat_read_solutions"])
    open_run: Any = by_student(run_grade(submissions, tmp_path / "open", Limits(sandbox="none")))
    # it found and ran the instructor's answer to task 1 (its later cells overwrite the rest): 50 > 0
    assert open_run["threat_read_solutions"]["score"] == 50
    assert open_run["threat_read_solutions"]["sandbox"] == "none"
