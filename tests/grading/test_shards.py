"""Grading in shards: N machines each grade --shard i/N; merged, the shards' gradebooks are
exactly the single run's rows, none lost or duplicated."""

from __future__ import annotations

import csv
import subprocess
import sys
from pathlib import Path

import pytest

from helpers.grading_submissions import RIGHT, WRONG, answered

pytestmark = pytest.mark.grading

CLI = str(Path(sys.executable).parent / "mlops-course")
STEM = "ex0_how_exercises_work"


def _rows(path: Path) -> dict[tuple[str, str], tuple[str, str]]:
    with path.open() as handle:
        rows = list(csv.DictReader(handle))
    keys = [(r["student_id"], r["exercise"]) for r in rows]
    assert len(keys) == len(set(keys)), f"duplicated rows in {path}"
    return {(r["student_id"], r["exercise"]): (r["score"], r["status"]) for r in rows}


def test_shards_cover_the_class_once_and_merge_to_the_single_run(tmp_path: Path) -> None:
    submissions = tmp_path / "submissions"
    for index in range(6):
        folder = submissions / f"student{index:02d}"
        folder.mkdir(parents=True)
        (folder / f"{STEM}.ipynb").write_bytes(answered(RIGHT if index % 2 else WRONG))
    (submissions / "student_without_notebook").mkdir()
    common = ["--quiet", "--workers", "2", "--timeout-cell", "30"]
    shard_books = []
    for number in (1, 2, 3):
        out = tmp_path / f"shard{number}"
        done = subprocess.run(
            [CLI, "grade", str(submissions), "--shard", f"{number}/3", "--out", str(out), *common],
            capture_output=True,
            text=True,
            timeout=600,
        )
        assert done.returncode == 0, done.stdout + done.stderr
        shard_books.append(out / "gradebook.csv")
    shard_rows = [_rows(book) for book in shard_books]
    assert sum(len(rows) for rows in shard_rows) == 7, "every student graded exactly once across the shards"

    merged = tmp_path / "merged.csv"
    done = subprocess.run(
        [CLI, "merge-gradebooks", *map(str, shard_books), "--out", str(merged)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    single = tmp_path / "single"
    done = subprocess.run(
        [CLI, "grade", str(submissions), "--out", str(single), *common], capture_output=True, text=True, timeout=600
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert _rows(merged) == _rows(single / "gradebook.csv")
    assert _rows(merged)[("student_without_notebook", STEM)][1] == "invalid"


def test_bad_shard_values_are_refused_clearly(tmp_path: Path) -> None:
    (tmp_path / "s" / "a").mkdir(parents=True)
    for bad, phrase in (("0/3", "count from 1"), ("4/3", "1 to N"), ("half", "i/N")):
        done = subprocess.run(
            [CLI, "grade", str(tmp_path / "s"), "--shard", bad, "--out", str(tmp_path / "g")],
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert done.returncode == 2 and phrase in done.stderr, done.stderr
