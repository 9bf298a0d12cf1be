"""Manually graded answers (pending, reviewed, merged), late work from manifests, reordered
cells, and ``--exercise`` rows: graded for real on a small instructor notebook."""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

import pytest

from mlops_course.grading.late import LateError, LatePolicy
from mlops_course.grading.manual import SCORES_FILE, ReviewError, save_review
from mlops_course.grading.release import release_notebook

from helpers import manual_exercise as mx
from helpers.grading_run import by_student, run_grade

pytestmark = pytest.mark.grading

DUE = "2026-11-20T12:00:00+00:00"


def _rows(out: Path) -> dict[str, dict[str, str]]:
    with (out / "gradebook.csv").open() as handle:
        return {r["student_id"]: r for r in csv.DictReader(handle)}


@pytest.fixture(scope="module")
def graded(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    root = tmp_path_factory.mktemp("manual")
    source = mx.write_source(root / "source")
    subs = root / "submissions"
    mx.write_submission(subs, "ontime", mx.answered(mx.RIGHT, "Test each risk."), "2026-11-20T11:00:00+00:00")
    mx.write_submission(subs, "late2days", mx.answered(mx.RIGHT, "A plan."), "2026-11-21T13:00:00+00:00")
    mx.write_submission(subs, "extended", mx.answered(mx.WRONG, "A plan."), "2026-11-21T13:00:00+00:00")
    mx.write_submission(subs, "notime", mx.answered(mx.RIGHT, "A plan."))
    extensions = root / "extensions.csv"
    extensions.write_text("student_id,due\nextended,2026-11-25T00:00:00+00:00\n")
    out = root / "grades"
    late = LatePolicy(DUE, "percent", 10.0, 50.0)
    first = by_student(run_grade(subs, out, source=source, late=late, extensions=extensions))
    return {"root": root, "source": source, "subs": subs, "out": out, "first": first}


def test_manual_cells_are_pending_after_grade(graded: dict[str, Any]) -> None:
    result = graded["first"]["ontime"]
    assert result["status"] == "graded", result["message"]
    assert result["max_score"] == 10 + sum(mx.MANUAL.values())
    assert result["score"] == 10 and result["pending_points"] == 8
    assert {c["grade_id"]: c["answer"] for c in result["manual"]}["plan"] == "Test each risk."
    assert [t["grade_id"] for t in result["tests"]] == ["test_double"], "manual cells are not tests"
    assert _rows(graded["out"])["ontime"]["pending_points"] == "8"
    feedback = (graded["out"] / "feedback" / "ontime" / f"{mx.STEM}.html").read_text()
    assert "awaiting review" in feedback and "RUBRIC-SECRET" not in feedback


def test_late_penalty_from_manifest_extension_and_missing_time(graded: dict[str, Any]) -> None:
    first, rows = graded["first"], _rows(graded["out"])
    assert first["late2days"]["late"]["days_late"] == 2 and first["late2days"]["score"] == pytest.approx(8.0)
    assert rows["late2days"]["days_late"] == "2" and rows["late2days"]["late_penalty_pct"] == "20"
    assert first["ontime"]["late"]["days_late"] == 0
    assert first["extended"]["late"]["days_late"] == 0, "an extension moves the student's due date"
    assert first["notime"]["score"] == 10 and first["notime"]["late"] is None
    assert "no_submission_time" in first["notime"]["flags"], "no time: flagged, never silently penalised"
    assert "no_submission_time" in rows["notime"]["flags"]


def test_reviews_merge_into_score_and_feedback(graded: dict[str, Any]) -> None:
    out = graded["out"]
    save_review(out / SCORES_FILE, "ontime", mx.STEM, "plan", "4", "Good: one test per risk <b>")
    save_review(out / SCORES_FILE, "ontime", mx.STEM, "design", "3", "")
    save_review(out / SCORES_FILE, "late2days", mx.STEM, "plan", "5", "Fine")
    results = by_student(run_grade(graded["subs"], out, source=graded["source"]))
    assert results["ontime"]["score"] == 17 and results["ontime"]["pending_points"] == 0
    assert results["late2days"]["score"] == pytest.approx(15 * 0.8), "the stored due date still applies"
    assert results["late2days"]["pending_points"] == 3
    feedback = (out / "feedback" / "ontime" / f"{mx.STEM}.html").read_text()
    assert "Good: one test per risk &lt;b&gt;" in feedback and "4 / 5" in feedback
    assert _rows(out)["ontime"]["score"] == "17"


@pytest.mark.parametrize(
    ("row", "phrase"),
    [
        ("ontime,{stem},plan,6,too many", "from 0 to the cell's maximum 5"),
        ("ontime,{stem},nosuchcell,1,", "unknown cell"),
        ("ontime,ex_unknown,plan,1,", "unknown exercise"),
        ("ontime,{stem},plan,lots,", "must be a number"),
    ],
)
def test_bad_review_rows_stop_grading_naming_the_row(graded: dict[str, Any], row: str, phrase: str) -> None:
    out = graded["root"] / f"bad-{abs(hash(row))}"
    out.mkdir()
    (out / SCORES_FILE).write_text("student_id,exercise,grade_id,points,comment\n" + row.format(stem=mx.STEM) + "\n")
    with pytest.raises(ReviewError, match=phrase) as info:
        run_grade(graded["subs"], out, source=graded["source"])
    assert "line 2" in str(info.value)
    assert not (out / "results").exists(), "checked before any kernel starts"


def test_bad_due_dates_are_errors(graded: dict[str, Any], tmp_path: Path) -> None:
    with pytest.raises(LateError, match="time zone"):
        run_grade(graded["subs"], tmp_path / "g", source=graded["source"], late=LatePolicy("2026-11-20T12:00"))
    bad = tmp_path / "ext.csv"
    bad.write_text("student_id,due\nontime,next friday\n")
    with pytest.raises(LateError, match="ext.csv line 2"):
        run_grade(graded["subs"], tmp_path / "g", source=graded["source"], late=LatePolicy(DUE), extensions=bad)


def test_zero_policy_and_cap() -> None:
    assert LatePolicy(DUE, "zero").penalty("a", "2026-11-20T12:00:01+00:00") == (1.0, 100.0)
    assert LatePolicy(DUE, "percent", 10, 25).penalty("a", "2026-11-24T12:00:00+01:00") == (4.0, 25.0)
    assert LatePolicy(DUE, "none").penalty("a", "2026-12-24T00:00:00+00:00")[1] == 0.0
    assert LatePolicy(DUE).penalty("a", "2026-11-20T13:00:00+01:00") == (0.0, 0.0), "time zones compared"


def test_release_removes_the_rubric_from_manual_cells() -> None:
    released = release_notebook(mx.instructor())
    text = "\n".join(c.source for c in released.cells)
    assert "RUBRIC-SECRET" not in text and mx.PROMPT in text and "YOUR ANSWER HERE" in text


def test_reordered_cells_are_graded_in_order_and_flagged(graded: dict[str, Any], tmp_path: Path) -> None:
    import nbformat

    from mlops_course.grading.release import notebook_bytes

    nb = nbformat.reads(mx.answered(mx.RIGHT, "plan").decode(), as_version=4)
    nb.cells = [nb.cells[0], nb.cells[3], nb.cells[2], nb.cells[1], nb.cells[4]]  # solution after its test
    subs = tmp_path / "subs"
    mx.write_submission(subs, "mover", notebook_bytes(nb))
    mx.write_submission(subs, "other", mx.answered(mx.RIGHT, "plan"))
    (subs / "no_notebook").mkdir()
    results = run_grade(subs, tmp_path / "g", source=graded["source"], exercises=(mx.STEM,))
    assert sorted(r["student_id"] for r in results) == ["mover", "other"], "--exercise: only that exercise's rows"
    mover = by_student(results)["mover"]
    assert mover["status"] == "graded" and mover["score"] == 10 and "reordered" in mover["flags"]
    assert "reordered" not in by_student(results)["other"]["flags"]


def test_submit_records_the_time_and_collect_keeps_it(tmp_path: Path) -> None:
    from mlops_course.grading.late import submission_time
    from mlops_course.grading.submission import collect, submit

    source = mx.write_source(tmp_path / "source")
    notebook = tmp_path / f"{mx.STEM}.ipynb"
    notebook.write_bytes(mx.answered(mx.RIGHT, "plan"))
    _zip, manifest = submit(notebook, "alice", tmp_path / "downloads", source=source, run_check=False)
    (tmp_path / "downloads" / "bob").mkdir()
    (tmp_path / "downloads" / "bob" / f"bob_{mx.STEM}.ipynb").write_bytes(mx.answered(mx.RIGHT, "plan"))
    rows = collect(tmp_path / "downloads", tmp_path / "subs", source)
    assert [r["status"] for r in rows] == ["placed", "placed"], rows
    assert submission_time(tmp_path / "subs" / "alice" / f"{mx.STEM}.ipynb") == manifest["submitted_at"] != ""
    assert submission_time(tmp_path / "subs" / "bob" / f"{mx.STEM}.ipynb") == "", "a loose notebook has no time"
