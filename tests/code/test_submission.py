"""submit and collect: from a learner's notebook to the instructor's grading layout, nothing dropped."""

from __future__ import annotations

import csv
import json
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from mlops_course.grading.submission import SubmitError, collect, submit, validate_exercise
from mlops_course.paths import EXERCISES_DIR, SOLUTIONS_DIR

WARM_UP = "ex0_how_exercises_work"


def _nbgrader(cell: dict) -> dict:
    return cell.get("metadata", {}).get("nbgrader", {})


def solved_copy(folder: Path, stem: str = WARM_UP, name: str | None = None) -> Path:
    """The released exercise with the instructor's answers typed into its solution cells."""
    released = json.loads((EXERCISES_DIR / f"{stem}.ipynb").read_text())
    answers = {
        _nbgrader(c)["grade_id"]: c["source"]
        for c in json.loads((SOLUTIONS_DIR / f"{stem}.ipynb").read_text())["cells"]
        if _nbgrader(c).get("solution")
    }
    for cell in released["cells"]:
        if _nbgrader(cell).get("solution"):
            cell["source"] = answers[_nbgrader(cell)["grade_id"]]
    target = folder / (name or f"{stem}.ipynb")
    target.write_text(json.dumps(released))
    return target


def test_untouched_and_solved_exercises_are_accepted(tmp_path: Path) -> None:
    assert validate_exercise(EXERCISES_DIR / f"{WARM_UP}.ipynb") == WARM_UP
    assert validate_exercise(solved_copy(tmp_path, name="renamed.ipynb")) == WARM_UP


def test_submit_writes_zip_with_manifest(tmp_path: Path) -> None:
    notebook = solved_copy(tmp_path)
    target, manifest = submit(notebook, "jdoe42", tmp_path / "out", run_check=False)
    assert target == tmp_path / "out" / f"jdoe42_{WARM_UP}.zip"
    with zipfile.ZipFile(target) as archive:
        stored = json.loads(archive.read("manifest.json"))
        assert archive.read(f"{WARM_UP}.ipynb") == notebook.read_bytes()
    assert stored == manifest
    assert stored["student_id"] == "jdoe42" and stored["exercise"] == WARM_UP
    assert stored["course_version"] and len(stored["sha256"]) == 64


@pytest.mark.parametrize(
    ("mutate", "expected"),
    [
        (lambda nb: nb.update(cells=[c for c in nb["cells"] if not _nbgrader(c).get("grade")]), "lost its test cell"),
        (
            lambda nb: nb.update(cells=[c for c in nb["cells"] if not _nbgrader(c).get("solution")]),
            "missing solution cell",
        ),
        (
            lambda nb: next(c for c in nb["cells"] if _nbgrader(c).get("grade")).update(source="assert True"),
            "not the current release",
        ),
        (
            lambda nb: nb["metadata"].update(mlops_course={"exercise": "ex9_unknown"}),
            "not one of the course's exercises",
        ),
    ],
    ids=["tests-stripped", "solutions-stripped", "edited-or-old-test", "not-a-course-exercise"],
)
def test_submit_refuses_what_is_not_the_current_exercise(tmp_path: Path, mutate, expected: str) -> None:
    notebook = json.loads(solved_copy(tmp_path).read_text())
    mutate(notebook)
    bad = tmp_path / "bad.ipynb"
    bad.write_text(json.dumps(notebook))
    with pytest.raises(SubmitError, match=expected):
        submit(bad, "jdoe42", tmp_path / "out", run_check=False)
    assert not (tmp_path / "out").exists(), "nothing is written for a refused submission"


def test_submit_refuses_bad_student_ids_and_non_notebooks(tmp_path: Path) -> None:
    with pytest.raises(SubmitError, match="student id"):
        submit(solved_copy(tmp_path), "not ok!", tmp_path / "out", run_check=False)
    junk = tmp_path / "junk.ipynb"
    junk.write_text("this is not json")
    with pytest.raises(SubmitError, match="not valid JSON"):
        submit(junk, "jdoe42", tmp_path / "out", run_check=False)
    with pytest.raises(SubmitError, match="does not exist"):
        submit(tmp_path / "nowhere.ipynb", "jdoe42", tmp_path / "out", run_check=False)


def test_collect_places_zips_and_named_notebooks_and_reports_the_rest(tmp_path: Path) -> None:
    downloads = tmp_path / "downloads"
    (downloads / "week1" / "Carol Smith_881_assignsubmission_file_").mkdir(parents=True)
    zip_path, _ = submit(solved_copy(tmp_path), "alice", downloads, run_check=False)
    solved_copy(downloads, name=f"bob_{WARM_UP}.ipynb")
    solved_copy(downloads / "week1" / "Carol Smith_881_assignsubmission_file_", name=f"{WARM_UP}.ipynb")
    shutil.copy(EXERCISES_DIR / f"{WARM_UP}.ipynb", downloads / f"dave_1234_5678_{WARM_UP}.ipynb")
    (downloads / "notes.txt").write_text("not a submission")
    (downloads / "mystery.ipynb").write_text(
        json.dumps({"cells": [], "metadata": {}, "nbformat": 4, "nbformat_minor": 5})
    )
    with zipfile.ZipFile(downloads / "tampered.zip", "w") as archive:
        archive.writestr(f"{WARM_UP}.ipynb", b"{}")
        archive.writestr("manifest.json", json.dumps({"student_id": "eve", "exercise": WARM_UP, "sha256": "0" * 64}))
    older = downloads / "older"
    older.mkdir()
    with zipfile.ZipFile(zip_path) as source, zipfile.ZipFile(older / "alice_again.zip", "w") as copy:
        manifest = json.loads(source.read("manifest.json"))
        manifest["submitted_at"] = "2000-01-01T00:00:00+00:00"
        copy.writestr(f"{WARM_UP}.ipynb", source.read(f"{WARM_UP}.ipynb"))
        copy.writestr("manifest.json", json.dumps(manifest))

    rows = collect(downloads, tmp_path / "submissions")
    by_origin = {row["origin"]: row for row in rows}
    placed = {(r["student_id"], r["exercise"]) for r in rows if r["status"] == "placed"}
    assert placed == {("alice", WARM_UP), ("bob", WARM_UP), ("Carol_Smith", WARM_UP), ("dave", WARM_UP)}
    assert by_origin["older/alice_again.zip"]["status"] == "superseded"
    assert by_origin["notes.txt"]["status"] == "not placed"
    assert "no course exercise" in by_origin["mystery.ipynb"]["detail"]
    assert "SHA-256" in by_origin["tampered.zip"]["detail"]
    assert len(rows) == sum(1 for p in downloads.rglob("*") if p.is_file()), "every input file is reported"
    for student, stem in placed:
        assert (tmp_path / "submissions" / student / f"{stem}.ipynb").is_file()
    with (tmp_path / "submissions" / "collect_report.csv").open() as handle:
        assert len(list(csv.DictReader(handle))) == len(rows)


@pytest.mark.grading
def test_learner_to_gradebook_with_the_commands(tmp_path: Path) -> None:
    """submit (with self-check) -> collect -> grade, through the command line as the README shows."""
    cli = [str(Path(sys.executable).parent / "mlops-course")]
    solved = solved_copy(tmp_path)
    submitted = subprocess.run(
        [*cli, "submit", str(solved), "--student", "alice", "--out", str(tmp_path / "inbox")],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert submitted.returncode == 0, submitted.stderr
    assert "Self-check:" in submitted.stdout and "Hand in this file" in submitted.stdout
    shutil.copy(EXERCISES_DIR / f"{WARM_UP}.ipynb", tmp_path / "inbox" / f"bob_{WARM_UP}.ipynb")
    collected = subprocess.run(
        [*cli, "collect", str(tmp_path / "inbox"), "--out", str(tmp_path / "submissions")],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert collected.returncode == 0, collected.stdout + collected.stderr
    graded = subprocess.run(
        [*cli, "grade", str(tmp_path / "submissions"), "--out", str(tmp_path / "grades"), "--quiet"],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert graded.returncode == 0, graded.stdout + graded.stderr
    with (tmp_path / "grades" / "gradebook.csv").open() as handle:
        scores = {
            row["student_id"]: (float(row["score"]), float(row["max_score"]), row["status"])
            for row in csv.DictReader(handle)
        }
    assert scores["alice"][0] == scores["alice"][1] == 100 and scores["alice"][2] == "graded"
    assert scores["bob"][0] == 0 and scores["bob"][2] == "graded"
