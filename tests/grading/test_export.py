"""``mlops-course export``: Moodle and Canvas CSVs, ids mapped through a roster, unknown and
missing students listed and kept."""

from __future__ import annotations

import csv
import subprocess
import sys
from pathlib import Path

import pytest

from mlops_course.grading.export import ExportError, export
from mlops_course.grading.gradebook import gradebook_text

CLI = str(Path(sys.executable).parent / "mlops-course")


def _grades(tmp_path: Path) -> Path:
    results = [
        {"student_id": s, "exercise": e, "score": score, "max_score": 100, "status": "graded", "pending_points": p}
        for s, e, score, p in (
            ("alice", "ex0", 90, 0),
            ("alice", "ex1", 72.5, 10),
            ("bob", "ex0", 40, 0),
            ("zed", "ex0", 100, 0),
        )
    ]
    out = tmp_path / "grades"
    out.mkdir()
    (out / "gradebook.csv").write_text(gradebook_text(results))
    return out


def _roster(tmp_path: Path) -> Path:
    path = tmp_path / "roster.csv"
    path.write_text(
        "student_id,lms_id,name,email,section,canvas_id\n"
        "alice,a.smith,Alice Smith,alice@uni.edu,A,101\n"
        "bob,b.jones,=HYPERLINK(1),bob@uni.edu,B,102\n"
        "carol,c.doe,Carol Doe,carol@uni.edu,A,103\n"
    )
    return path


def _read(path: Path) -> list[list[str]]:
    with path.open(newline="") as handle:
        return list(csv.reader(handle))


def test_moodle_maps_ids_and_keeps_unknown_and_missing(tmp_path: Path) -> None:
    report = export(_grades(tmp_path), "moodle", tmp_path / "m.csv", _roster(tmp_path))
    rows = _read(tmp_path / "m.csv")
    assert rows[0] == ["Username", "Email address", "Full name", "ex0", "ex1"]
    by_user = {r[0]: r for r in rows[1:]}
    assert by_user["a.smith"][3:] == ["90", "72.50"] and by_user["b.jones"][2] == "'=HYPERLINK(1)"
    assert by_user["c.doe"][3:] == ["", ""], "missing students are written with empty grades"
    assert by_user["zed"][3:] == ["100", ""], "unknown students are written under their own id"
    assert report.unknown == ["zed"] and report.missing == ["carol"] and report.pending == ["alice"]


def test_canvas_layout_has_points_possible_and_sis_ids(tmp_path: Path) -> None:
    export(_grades(tmp_path), "canvas", tmp_path / "c.csv", _roster(tmp_path))
    rows = _read(tmp_path / "c.csv")
    assert rows[0] == ["Student", "ID", "SIS User ID", "SIS Login ID", "Section", "ex0", "ex1"]
    assert rows[1] == ["Points Possible", "", "", "", "", "100", "100"]
    alice = next(r for r in rows if r[0] == "Alice Smith")
    assert alice == ["Alice Smith", "101", "a.smith", "", "A", "90", "72.50"]


def test_without_roster_every_graded_student_is_written(tmp_path: Path) -> None:
    report = export(_grades(tmp_path), "moodle", tmp_path / "m.csv")
    assert [r[0] for r in _read(tmp_path / "m.csv")[1:]] == ["alice", "bob", "zed"] and report.rows == 3


def test_bad_roster_and_missing_gradebook_are_clear_errors(tmp_path: Path) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_text("student_id,name\nalice,A\nalice,B\n")
    with pytest.raises(ExportError, match="bad.csv line 3: alice is on the roster twice"):
        export(_grades(tmp_path), "moodle", tmp_path / "m.csv", bad)
    with pytest.raises(ExportError, match="run mlops-course grade first"):
        export(tmp_path / "nowhere", "canvas", tmp_path / "c.csv")


def test_cli_lists_unknown_and_missing(tmp_path: Path) -> None:
    grades, roster = _grades(tmp_path), _roster(tmp_path)
    done = subprocess.run(
        [CLI, "export", str(grades), "--format", "canvas", "--out", str(tmp_path / "c.csv"), "--roster", str(roster)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert "not on the roster" in done.stderr and "zed" in done.stderr and "carol" in done.stderr
