"""Closing the loop from a learner's exercise to the instructor's grading folder.

- ``mlops-course submit EXERCISE --student ID``: checks that the notebook is the course's
  current exercise (not another, not an old release, not stripped of its cells), runs the
  self-check, and writes ``submit/<ID>_<exercise>.zip`` holding the notebook and a manifest
  (student, exercise, course version, SHA-256, self-check score).
- ``mlops-course collect DOWNLOADS --out submissions/``: turns what a learning platform
  gives the instructor (submit zips, or a flat folder of notebooks named by student and
  exercise, in any sub-folders) into ``submissions/<student>/<exercise>.ipynb`` (with the
  submit time of a submit zip kept in ``<exercise>.manifest.json``), and writes
  ``collect_report.csv`` listing every input file: placed, superseded, or not placed and why.
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import re
import sys
import zipfile
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from mlops_course import __version__, paths
from mlops_course.i18n import notebook_language, tr
from mlops_course.util import sha256_hex

STUDENT_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")
MANIFEST = "manifest.json"


#: The learners' edition's pristine copy of the released exercises (``mlops-course publish`` writes it).
RELEASED_DIR = paths.PACKAGE_DIR / "resources" / "released"


class SubmitError(ValueError):
    """The notebook cannot be submitted; the message says why and what to do."""


def default_source() -> Path:
    """What ``submit`` checks a notebook against: the instructor's notebooks where they exist (the
    instructor's checkout), else the released exercises (the learners' edition has no others)."""
    for folder in (paths.SOLUTIONS_DIR, RELEASED_DIR, paths.EXERCISES_DIR):
        if any(folder.glob("*.ipynb")):
            return folder
    return paths.EXERCISES_DIR


def _known_exercises(source: Path) -> list[str]:
    stems = sorted(p.stem for p in source.glob("*.ipynb"))
    if not stems:
        raise SubmitError(f"no exercises found in {source}; run this from the course folder (or pass --source).")
    return stems


def validate_exercise(path: Path, source: Path | None = None) -> str:
    """Check that ``path`` is the course's current release of one of its exercises.

    Args:
        path: the learner's notebook.
        source: the instructor notebooks the release comes from, or the released exercises
            themselves (their release is themselves); default :func:`default_source`.

    Returns:
        The exercise's stem.

    Raises:
        SubmitError: not a notebook, not a course exercise, an old or edited release, or
            solution/test cells removed.
    """
    from mlops_course.grading.format import (
        SubmissionError,
        exercise_name,
        nbgrader_meta,
        read_instructor,
        read_submission,
    )
    from mlops_course.grading.merge import match_solutions
    from mlops_course.grading.release import release_notebook

    try:
        notebook, _data = read_submission(path)
    except SubmissionError as exc:
        raise SubmitError(str(exc)) from None
    source = source or default_source()
    stems = _known_exercises(source)
    stem = exercise_name(notebook, path)
    if stem not in stems:
        raise SubmitError(
            f"{path.name} is not one of the course's exercises ({', '.join(stems)}). "
            "Submit the exercise notebook from exercises/."
        )
    from mlops_course.grading.languages import submission_language

    lang = submission_language(notebook)
    translated = source / lang / f"{stem}.ipynb"
    instructor, spec, _ = read_instructor(
        translated if lang != "en" and translated.is_file() else source / f"{stem}.ipynb"
    )
    try:
        match_solutions(spec, notebook, path.name)
    except SubmissionError as exc:
        raise SubmitError(str(exc)) from None
    released = {  # test cells (a manually graded answer, solution and grade, is the learner's)
        nbgrader_meta(c).get("grade_id"): c
        for c in release_notebook(instructor).cells
        if nbgrader_meta(c).get("grade") and not nbgrader_meta(c).get("solution")
    }
    mine = {nbgrader_meta(c).get("grade_id"): c for c in notebook.cells if nbgrader_meta(c).get("grade")}
    missing = [gid for gid in released if gid not in mine]
    if missing:
        raise SubmitError(tr("submit.lost_tests", lang, name=path.name, cells=", ".join(map(str, missing)), stem=stem))
    changed = [gid for gid, cell in released.items() if mine[gid].source.strip() != cell.source.strip()]
    if changed:
        raise SubmitError(tr("submit.not_current", lang, name=path.name, stem=stem, cells=", ".join(map(str, changed))))
    return stem


def submit(
    path: Path, student_id: str, out: Path, source: Path | None = None, run_check: bool = True
) -> tuple[Path, dict[str, Any]]:
    """Validate, self-check and package one exercise for hand-in.

    Args:
        path: the learner's notebook (or an exercise name, resolved in ``exercises/``).
        student_id: the learner's id (letters, digits, ``.``, ``_``, ``-``; 64 at most).
        out: the folder the zip goes to.
        source: what to check the notebook against (default: :func:`default_source`).
        run_check: run the visible tests and record the score.

    Returns:
        ``(zip path, manifest)``.
    """
    if not STUDENT_ID.match(student_id or ""):
        raise SubmitError(
            f"student id {student_id!r} is not usable: use 1 to 64 letters, digits, '.', '_' or '-', "
            "starting with a letter or digit (your course login, e.g. jdoe42)."
        )
    if not path.exists() and (paths.EXERCISES_DIR / f"{path.name.removesuffix('.ipynb')}.ipynb").exists():
        path = paths.EXERCISES_DIR / f"{path.name.removesuffix('.ipynb')}.ipynb"
    if not path.is_file():
        raise SubmitError(
            f"{path} does not exist; give your exercise notebook, e.g. exercises/ex0_how_exercises_work.ipynb."
        )
    stem = validate_exercise(path, source)
    data = path.read_bytes()
    manifest: dict[str, Any] = {
        "student_id": student_id,
        "exercise": stem,
        "course_version": __version__,
        "sha256": sha256_hex(data),
        "submitted_at": datetime.now(UTC).isoformat(timespec="seconds"),
    }
    if run_check:
        from mlops_course.grading.check import run_check as run_self_check

        checked, _outcome = run_self_check(path)
        visible = [t for t in checked if not t.hidden_part]
        manifest["self_check"] = {
            "score": sum(t.points for t in visible if t.outcome == "passed"),
            "max_score": sum(t.points for t in visible),
            "failing": [t.grade_id for t in visible if t.outcome != "passed"],
        }
    out.mkdir(parents=True, exist_ok=True)
    target = out / f"{student_id}_{stem}.zip"
    tmp = target.with_suffix(".zip.tmp")
    with zipfile.ZipFile(tmp, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(f"{stem}.ipynb", data)
        archive.writestr(MANIFEST, json.dumps(manifest, indent=2, sort_keys=True) + "\n")
    tmp.replace(target)
    return target, manifest


@dataclass
class Found:
    """One notebook found among the downloads, with where it came from."""

    origin: str
    data: bytes
    student_id: str | None
    exercise: str | None
    stamp: str
    problem: str = ""
    #: the submit time from a submit manifest ("" for a loose notebook: no trustworthy time)
    submitted_at: str = ""


def _clean_student(name: str) -> str:
    """A student id from a platform's file or folder name: separators folded, platform
    suffixes (``_assignsubmission_file``) and trailing numeric ids removed."""
    cleaned = re.sub(r"[^A-Za-z0-9._-]+", "_", name).strip("._- ")
    cleaned = re.sub(r"_?assignsubmission_file_?$", "", cleaned)
    return re.sub(r"([_-]\d+)+$", "", cleaned).strip("._-")


def _from_notebook(origin: str, name: str, parent: str, data: bytes, stems: list[str], stamp: str) -> Found:
    """Work out student and exercise of a loose notebook from its metadata and names."""
    exercise = None
    try:
        declared = json.loads(data.decode("utf-8")).get("metadata", {}).get("mlops_course", {}).get("exercise")
        exercise = declared if declared in stems else None
    except (UnicodeDecodeError, json.JSONDecodeError, AttributeError):
        pass
    base = name.removesuffix(".ipynb")
    named = [s for s in stems if s in base]
    if exercise is None and named:
        exercise = max(named, key=len)
    if exercise is None:
        return Found(origin, data, None, None, stamp, "no course exercise in its metadata or its name")
    rest = base.replace(exercise, " ") if exercise in base else base
    student = _clean_student(rest) or _clean_student(parent)
    if not student or not STUDENT_ID.match(student):
        return Found(origin, data, None, exercise, stamp, "no student id in the file or folder name")
    return Found(origin, data, student, exercise, stamp)


def _from_zip(origin: str, blob: bytes, stems: list[str], stamp: str) -> list[Found]:
    try:
        archive = zipfile.ZipFile(io.BytesIO(blob))
    except zipfile.BadZipFile:
        return [Found(origin, blob, None, None, stamp, "not a readable zip file")]
    names = [n for n in archive.namelist() if not n.endswith("/")]
    if MANIFEST in names:
        try:
            manifest = json.loads(archive.read(MANIFEST))
            notebook = archive.read(f"{manifest['exercise']}.ipynb")
        except (KeyError, json.JSONDecodeError) as exc:
            return [Found(origin, blob, None, None, stamp, f"damaged submission zip ({exc})")]
        found = Found(
            origin, notebook, manifest.get("student_id"), manifest.get("exercise"), manifest.get("submitted_at", stamp)
        )
        found.submitted_at = str(manifest.get("submitted_at") or "")
        if sha256_hex(notebook) != manifest.get("sha256"):
            found.problem = "the notebook does not match the SHA-256 in its manifest (changed after submit)"
        elif found.exercise not in stems:
            found.problem = f"manifest names unknown exercise {found.exercise!r}"
        elif not STUDENT_ID.match(str(found.student_id or "")):
            found.problem = f"manifest has an unusable student id {found.student_id!r}"
        return [found]
    results = []
    for name in names:
        inner = f"{origin}!{name}"
        if name.endswith(".ipynb"):
            parts = name.split("/")
            results.append(
                _from_notebook(inner, parts[-1], parts[-2] if len(parts) > 1 else "", archive.read(name), stems, stamp)
            )
        elif name.endswith(".zip"):
            results.extend(_from_zip(inner, archive.read(name), stems, stamp))
        else:
            results.append(Found(inner, b"", None, None, stamp, "not a notebook or zip"))
    return results


def collect(downloads: Path, out: Path, source: Path = paths.SOLUTIONS_DIR) -> list[dict[str, str]]:
    """Place downloaded submissions into ``out/<student>/<exercise>.ipynb``.

    Args:
        downloads: the folder an instructor downloaded (searched recursively).
        out: the grading layout's root (``submissions/``).
        source: the instructor notebooks (to know the exercise names).

    Returns:
        One report row per input: ``origin, student_id, exercise, status, detail``, where
        status is ``placed``, ``superseded`` (an older copy of the same student and exercise)
        or ``not placed``. The rows are also written to ``out/collect_report.csv``.
    """
    if not downloads.is_dir():
        raise SubmitError(f"{downloads} is not a folder; give the folder you downloaded the submissions into.")
    stems = _known_exercises(source)
    found: list[Found] = []
    for file in sorted(p for p in downloads.rglob("*") if p.is_file()):
        origin = str(file.relative_to(downloads))
        stamp = datetime.fromtimestamp(file.stat().st_mtime, UTC).isoformat(timespec="seconds")
        if file.suffix == ".zip":
            found.extend(_from_zip(origin, file.read_bytes(), stems, stamp))
        elif file.suffix == ".ipynb":
            found.append(
                _from_notebook(
                    origin,
                    file.name,
                    file.parent.name if file.parent != downloads else "",
                    file.read_bytes(),
                    stems,
                    stamp,
                )
            )
        else:
            found.append(Found(origin, b"", None, None, stamp, "not a notebook or zip"))
    latest: dict[tuple[str, str], Found] = {}
    for item in found:
        if not item.problem:
            key = (str(item.student_id), str(item.exercise))
            if key not in latest or item.stamp >= latest[key].stamp:
                latest[key] = item
    rows = []
    for item in found:
        key = (str(item.student_id), str(item.exercise))
        if item.problem:
            status, detail = "not placed", item.problem
        elif latest[key] is item:
            target = out / key[0] / f"{key[1]}.ipynb"
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(item.data)
            kept = target.with_suffix(".manifest.json")  # the submit time, for grade --due
            if item.submitted_at:
                kept.write_text(json.dumps({"submitted_at": item.submitted_at, "origin": item.origin}) + "\n")
            else:
                kept.unlink(missing_ok=True)  # an older copy's time must not stay with this notebook
            status, detail = "placed", str(target.relative_to(out))
        else:
            status, detail = "superseded", f"a newer copy came from {latest[key].origin}"
        rows.append(
            {
                "origin": item.origin,
                "student_id": item.student_id or "",
                "exercise": item.exercise or "",
                "status": status,
                "detail": detail,
            }
        )
    out.mkdir(parents=True, exist_ok=True)
    with (out / "collect_report.csv").open("w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=["origin", "student_id", "exercise", "status", "detail"])
        writer.writeheader()
        writer.writerows(rows)
    return rows


def _submit_command(args: argparse.Namespace) -> int:
    try:
        target, manifest = submit(
            Path(args.exercise), args.student, Path(args.out), Path(args.source) if args.source else None
        )
    except SubmitError as exc:
        print(tr("submit.not_submitted", error=exc), file=sys.stderr)
        return 2
    lang = notebook_language(Path(args.exercise)) if Path(args.exercise).is_file() else None
    check = manifest.get("self_check", {})
    if check:
        print(
            tr("submit.self_check", lang, score=f"{check['score']:g}", total=f"{check['max_score']:g}")
            + (tr("submit.failing", lang, tests=", ".join(check["failing"])) if check["failing"] else "")
        )
    print(tr("submit.hand_in", lang, target=target))
    details = {"exercise": manifest["exercise"], "student": manifest["student_id"], "sha": manifest["sha256"][:12]}
    print(tr("submit.details", lang, **details))
    return 0


def _collect_command(args: argparse.Namespace) -> int:
    try:
        rows = collect(Path(args.downloads), Path(args.out), Path(args.source))
    except SubmitError as exc:
        print(f"collect stopped: {exc}", file=sys.stderr)
        return 2
    placed = [r for r in rows if r["status"] == "placed"]
    print(f"placed {len(placed)} submission(s) in {args.out}")
    for row in rows:
        if row["status"] != "placed":
            print(f"  {row['status']}: {row['origin']}: {row['detail']}")
    print(f"report: {Path(args.out) / 'collect_report.csv'}")
    return 0 if len(placed) == len([r for r in rows if r["status"] != "superseded"]) else 1


def register(subparsers: Any) -> None:
    """Add ``submit`` and ``collect`` to the ``mlops-course`` command line."""
    sub = subparsers.add_parser("submit", help="check an exercise and package it for hand-in")
    sub.add_argument("exercise", help="your exercise notebook, e.g. exercises/ex0_how_exercises_work.ipynb")
    sub.add_argument("--student", required=True, help="your student id (course login)")
    sub.add_argument("--out", default=str(paths.PROJECT_ROOT / "submit"), help="where the zip goes (default: submit/)")
    sub.add_argument(
        "--source",
        default=None,
        help="folder of the course's exercise notebooks to check yours against (default: the course's own)",
    )
    sub.set_defaults(func=_submit_command)

    col = subparsers.add_parser(
        "collect", help="turn downloaded submissions into SUBMISSIONS/<student>/<exercise>.ipynb"
    )
    col.add_argument("downloads", help="folder of downloaded notebooks and/or zips")
    col.add_argument("--out", default="submissions", help="grading layout root (default: submissions/)")
    col.add_argument("--source", default=str(paths.SOLUTIONS_DIR), help="instructor notebooks (default: solutions/)")
    col.set_defaults(func=_collect_command)
