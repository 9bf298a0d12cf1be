"""Grade a class: ``SUBMISSIONS/<student_id>/<stem>.ipynb`` against ``solutions/<stem>.ipynb``.

Each (student, exercise) becomes exactly one result JSON (written atomically), then the
gradebook, feedback pages and the instructor summary are rebuilt from all results.
Submissions run in parallel worker threads, each driving one sandboxed runner process
(:mod:`.jobs`). A result whose submission bytes, instructor notebook and grader version
are unchanged is kept (resume); results with status ``error`` are always retried.
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
import threading
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from nbformat import NotebookNode

from mlops_course import paths
from mlops_course.grading.format import (
    MAX_SUBMISSION_BYTES,
    ExerciseSpec,
    FormatError,
    SubmissionError,
    read_instructor,
    read_submission,
)
from mlops_course.grading.gradebook import GRADER_VERSION, load_result, result_path, write_gradebook
from mlops_course.grading.jobs import JobOutcome, Limits, run_job, stop_all_jobs, with_setup_cell
from mlops_course.grading.languages import submission_language, translated_instructor_notebooks
from mlops_course.grading.late import LatePolicy
from mlops_course.grading.manual import MAX_ANSWER
from mlops_course.grading.merge import match_solutions, merge, reordered
from mlops_course.grading.scan import scan_sources
from mlops_course.util import atomic_write_json, sha256_hex


@dataclass(frozen=True)
class Exercise:
    """An instructor notebook ready for grading."""

    stem: str
    notebook: NotebookNode
    spec: ExerciseSpec
    sha256: str
    language: str = "en"
    translations: dict[str, Exercise] = field(default_factory=dict, compare=False, repr=False)

    def in_language(self, language: str) -> Exercise:
        """This exercise's instructor notebook in ``language`` (the English one if there is none)."""
        return self.translations.get(language, self)


@dataclass(frozen=True)
class Task:
    """One (student, exercise) to grade."""

    student_id: str
    exercise: Exercise
    path: Path


def fast_default() -> bool:
    """The fast path is on by default on Linux, unless ``MLOPS_COURSE_FAST_GRADING=0``."""
    return sys.platform.startswith("linux") and os.environ.get("MLOPS_COURSE_FAST_GRADING", "1") != "0"


@dataclass
class GradeOptions:
    """Options of ``mlops-course grade``."""

    source: Path = field(default_factory=lambda: paths.SOLUTIONS_DIR)
    out: Path = field(default_factory=lambda: paths.PROJECT_ROOT / "grades")
    workers: int = field(default_factory=lambda: os.cpu_count() or 1)
    exercises: tuple[str, ...] = ()
    limits: Limits = field(default_factory=Limits)
    max_bytes: int = MAX_SUBMISSION_BYTES
    progress: bool = True
    regrade: bool = False
    #: ``(i, N)``: grade only the students of shard i of N, i counting from 0 (see mlops_course.grading.sharding)
    shard: tuple[int, int] | None = None
    #: ``--due``: the due date and penalty of the exercises graded in this run
    late: LatePolicy | None = None
    #: ``--extensions``: CSV ``student_id, due[, exercise]``
    extensions: Path | None = None
    #: fork each runner and kernel from pre-imported templates (:mod:`.fast_path`): the default
    #: on Linux (``MLOPS_COURSE_FAST_GRADING=0`` or ``--no-fast`` turns it off); falls back to a
    #: fresh kernel per submission where forking is unavailable, and says so once
    fast: bool = field(default_factory=lambda: fast_default())


def load_exercises(source: Path) -> dict[str, Exercise]:
    """Every instructor notebook in ``source``, checked.

    Raises:
        FormatError: a notebook breaks the exercise format, or there is none.
    """
    exercises = {}
    for path in sorted(source.glob("*.ipynb")):
        nb, spec, data = read_instructor(path)
        exercises[path.stem] = Exercise(path.stem, nb, spec, sha256_hex(data + GRADER_VERSION.encode()))
    if not exercises:
        raise FormatError(f"no instructor notebooks (*.ipynb) in {source}.")
    english = {stem: exercise.spec for stem, exercise in exercises.items()}
    for stem, languages in translated_instructor_notebooks(source, english).items():
        for lang, (nb, spec, data) in languages.items():
            sha = sha256_hex(data + GRADER_VERSION.encode())
            exercises[stem].translations[lang] = Exercise(stem, nb, spec, sha, lang)
    return exercises


def plan(
    submissions: Path, exercises: dict[str, Exercise], only: tuple[str, ...], shard: tuple[int, int] | None = None
) -> list[Task]:
    """The (student, exercise) pairs to grade: every student folder x every expected exercise.

    Expected exercises are ``only`` if given, else every exercise with a notebook in at
    least one student folder. Without ``only``, a student folder without that notebook still
    gets a task (graded ``invalid``), so no student disappears from the gradebook; with
    ``only`` (``--exercise``), only the students who have that notebook are graded. With ``shard=(i, N)``
    only the students of shard i are kept (the expected exercises still come from the whole
    class, so every shard writes the same rows it would in a single run); a shard may be empty.

    Raises:
        FormatError: an unknown exercise was asked for, or nothing to grade was found.
    """
    if not submissions.is_dir():
        raise FormatError(f"{submissions} is not a folder; expected SUBMISSIONS/<student_id>/<exercise>.ipynb.")
    unknown = [s for s in only if s not in exercises]
    if unknown:
        raise FormatError(f"unknown exercise {unknown[0]!r}; the source folder has: {', '.join(exercises)}.")
    students = sorted(p for p in submissions.iterdir() if p.is_dir() and not p.name.startswith("."))
    expected = list(only) or [s for s in exercises if any((d / f"{s}.ipynb").exists() for d in students)]
    if not students or not expected:
        raise FormatError(
            f"nothing to grade in {submissions}: expected one folder per student holding "
            f"<exercise>.ipynb files named like the instructor notebooks ({', '.join(exercises)})."
        )
    if shard is not None:
        from mlops_course.grading.sharding import select_shard

        keep = set(select_shard([d.name for d in students], *shard))
        students = [d for d in students if d.name in keep]
    tasks = [Task(d.name, exercises[s], d / f"{s}.ipynb") for d in students for s in expected]
    return [t for t in tasks if t.path.exists()] if only else tasks


def _base_result(task: Task, submission_sha: str) -> dict[str, Any]:
    spec = task.exercise.spec
    return {
        "student_id": task.student_id,
        "exercise": task.exercise.stem,
        "score": 0.0,
        "max_score": spec.max_score,
        "status": "invalid",
        "message": "",
        "flags": [],
        "submission_sha256": submission_sha,
        "source_sha256": task.exercise.sha256,
        "grader_version": GRADER_VERSION,
        "graded_at": datetime.now(UTC).replace(microsecond=0).isoformat(),
        "sandbox": None,
        "duration_s": 0.0,
        "tests": [
            {
                "grade_id": c.grade_id,
                "points": 0.0,
                "max_points": c.points,
                "outcome": "not_run",
                "hidden": c.hidden,
                "message": None,
            }
            for c in spec.tests
        ],
        "manual": [
            {"grade_id": c.grade_id, "max_points": c.points, "points": None, "comment": "", "reviewed": False}
            for c in spec.manual
        ],
        "pending_points": 0.0,
        "submitted_at": "",
        "solution_errors": [],
    }


def _missing_message(task: Task) -> str:
    others = sorted(p.name for p in task.path.parent.glob("*.ipynb"))
    hint = f" Found instead: {', '.join(others)}; rename the right one." if others else ""
    return f"no notebook {task.path.name} in {task.student_id}/.{hint}"


def apply_outcome(result: dict[str, Any], spec: ExerciseSpec, outcome: JobOutcome, limits: Limits) -> None:
    """Fill a result from the runner's events (points come from the instructor's spec)."""
    events = {e.get("grade_id"): e for e in outcome.of("test")}
    flags: set[str] = set(result["flags"])
    for test in result["tests"]:
        event = events.get(test["grade_id"], {})
        outcome_name = event.get("outcome", "not_run")
        test["outcome"] = outcome_name if outcome_name in ("passed", "failed", "timeout", "not_run") else "failed"
        test["points"] = test["max_points"] if test["outcome"] == "passed" else 0.0
        test["message"] = None if test["hidden"] else (event.get("message") or None)
        flags.update(f"restored:{x}" for x in event.get("noted", []))
        flags.update(f"tampering:{x}" for x in event.get("critical", []))
    result["solution_errors"] = [
        {"grade_id": e.get("grade_id"), "message": str(e.get("message", ""))[:500]} for e in outcome.of("solution")
    ]
    result["score"] = float(sum(t["points"] for t in result["tests"]))
    result["sandbox"] = outcome.sandbox
    result["duration_s"] = round(outcome.duration, 2)
    result["flags"] = sorted(flags)
    setup = outcome.of("setup")
    aborts = outcome.of("abort")
    if not setup:
        result["status"], result["message"] = "error", f"the kernel did not start: {outcome.log_tail[-300:].strip()}"
    elif not setup[0].get("ok"):
        result["status"], result["message"] = (
            "error",
            f"the grader could not prepare the kernel: {setup[0].get('message')}",
        )
    elif outcome.deadline_hit:
        result["status"] = "timeout"
        result["message"] = f"the notebook ran longer than {limits.notebook_timeout:g} s; tests not run scored 0"
    elif aborts:
        abort = aborts[0]
        cell = abort.get("cell")
        result["status"] = "timeout" if abort.get("reason") == "timeout" else "graded"
        result["message"] = {
            "timeout": f"cell {cell} ran longer than {limits.cell_timeout:g} s and was stopped; later tests scored 0",
            "died": f"the kernel died while running cell {cell}; later tests scored 0",
            "output": f"the notebook printed more than {limits.output_bytes / 1e6:g} MB (in cell {cell}); "
            "the kernel was stopped and later tests scored 0",
        }.get(str(abort.get("reason")), "the kernel was stopped")
    elif not outcome.finished:
        result["status"] = "error"
        result["message"] = f"the grading process ended unexpectedly (exit {outcome.exit_code}); grade again"
    else:
        result["status"], result["message"] = "graded", ""


def grade_task(
    task: Task, options: GradeOptions, work_root: Path, hide: list[Path], fast: Any = None
) -> dict[str, Any]:
    """Grade one (student, exercise); never raises for a bad submission."""
    what = f"{task.student_id}/{task.path.name}"
    if not task.path.is_file():
        result = _base_result(task, "")
        result["message"] = _missing_message(task)
        return result
    try:
        notebook, data = read_submission(task.path, options.max_bytes, what)
        result = _base_result(task, sha256_hex(data))
        exercise = task.exercise.in_language(submission_language(notebook))
        result.update(language=exercise.language, source_sha256=exercise.sha256)
        solutions = match_solutions(exercise.spec, notebook, what)
    except SubmissionError as exc:
        data = task.path.read_bytes() if task.path.stat().st_size <= options.max_bytes else b""
        result = _base_result(task, sha256_hex(data) if data else "")
        result["message"] = str(exc)
        return result
    result["flags"] = scan_sources(list(solutions.values()))
    for cell in result["manual"]:
        cell["answer"] = solutions.get(cell["grade_id"], "")[:MAX_ANSWER]
    if reordered(exercise.spec, notebook):
        result["flags"] = sorted({*result["flags"], "reordered"})
    graded = with_setup_cell(merge(exercise.notebook, exercise.spec, solutions))
    label = f"{task.exercise.stem}-{task.student_id}"
    name = "".join(c if c.isalnum() else "_" for c in label)
    kernel, runner = (fast.sockets() if fast is not None else None) or (None, None)
    outcome = run_job(graded, work_root, options.limits, hide, name, kernel, runner)
    apply_outcome(result, exercise.spec, outcome, options.limits)
    return result


def _up_to_date(task: Task, options: GradeOptions) -> bool:
    if options.regrade:
        return False
    previous = load_result(result_path(options.out, task.student_id, task.exercise.stem))
    if previous is None or previous.get("status") == "error":
        return False
    if previous.get("source_sha256") != task.exercise.in_language(str(previous.get("language", "en"))).sha256:
        return False
    if not task.path.is_file():
        return previous.get("submission_sha256") == ""
    if task.path.stat().st_size > options.max_bytes:
        return previous.get("submission_sha256") == "" and previous.get("status") == "invalid"
    return previous.get("submission_sha256") == sha256_hex(task.path.read_bytes())


def hidden_paths(submissions: Path, options: GradeOptions, work_root: Path) -> list[Path]:
    """Folders the kernel must not see: solutions, submissions, grades, git history, job folders."""
    candidates = [
        options.source,
        submissions,
        options.out,
        work_root,
        paths.SOLUTIONS_DIR,
        paths.PROJECT_ROOT / ".git",
        Path(tempfile.gettempdir()),
    ]
    keep = [Path(sys.prefix).resolve(), Path(__file__).resolve().parent]
    found = {p.resolve() for p in candidates if p.exists()}
    return sorted(p for p in found if not any(k == p or p in k.parents for k in keep))


def _start_fast_path(options: GradeOptions, notebooks: list[NotebookNode], work_root: Path) -> Any:
    """The fast path's templates (:mod:`.fast_path`), or None: today's path (says why once)."""
    if not options.fast or options.limits.sandbox != "auto":
        return None
    from mlops_course.grading.fast_path import FastPath
    from mlops_course.grading.jobs import _mpl_cache

    return FastPath.start(notebooks, work_root, _mpl_cache())


def _warm_summary_imports() -> None:
    """Import what :func:`.summary.write_summary` plots with (matplotlib, Agg: about 1 s), as it does,
    while the templates start (the grader waits then): the summary at the end no longer pays it."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot


def grade(submissions: Path, options: GradeOptions) -> list[dict[str, Any]]:
    """Grade every submission; write results, gradebook, feedback and summary.

    Returns:
        Every stored result after the run.

    Raises:
        FormatError: bad instructor notebooks or an empty submissions folder.
        ReviewError: a bad row in ``manual_scores.csv`` (checked before grading starts).
        LateError: a bad due date, policy or extensions file.
    """
    from tqdm import tqdm

    from mlops_course.grading.feedback import write_feedback
    from mlops_course.grading.late import submission_time
    from mlops_course.grading.scoring import finalize, prepare
    from mlops_course.grading.summary import write_summary

    exercises = load_exercises(options.source)
    tasks = plan(submissions, exercises, options.exercises, options.shard)
    reviews, policies = prepare(options, exercises, tasks)
    times = {(t.student_id, t.exercise.stem): submission_time(t.path) for t in tasks}
    todo = [t for t in tasks if not _up_to_date(t, options)]
    work_root = Path(tempfile.mkdtemp(prefix="mlops-grading-"))
    hide = hidden_paths(submissions, options, work_root)
    lock = threading.Lock()
    bar = tqdm(
        total=len(tasks),
        initial=len(tasks) - len(todo),
        unit="submission",
        disable=not options.progress,
        file=sys.stderr,
        desc="grading",
    )
    threading.Thread(target=_warm_summary_imports, name="warm-summary-imports", daemon=True).start()
    fast = _start_fast_path(options, [t.exercise.notebook for t in todo], work_root) if todo else None
    pool = ThreadPoolExecutor(max_workers=max(1, options.workers))
    try:
        with pool:
            futures = {pool.submit(grade_task, t, options, work_root, hide, fast): t for t in todo}
            for future in as_completed(futures):
                task = futures[future]
                try:
                    result = future.result()
                except Exception as exc:
                    result = _base_result(task, "")
                    result.update(status="error", message=f"grader error: {type(exc).__name__}: {exc}")
                with lock:
                    atomic_write_json(result_path(options.out, task.student_id, task.exercise.stem), result)
                    write_feedback(options.out, result, task.exercise.spec)
                bar.update(1)
    except KeyboardInterrupt:
        pool.shutdown(wait=False, cancel_futures=True)
        stop_all_jobs()
        raise
    finally:
        bar.close()
        if fast is not None:
            fast.stop()
        shutil.rmtree(work_root, ignore_errors=True)
        finalize(options.out, reviews, policies, times)
        results = write_gradebook(options.out)
    for result in results:
        if result.get("exercise") in exercises:
            write_feedback(options.out, result, exercises[result["exercise"]].spec)
    write_summary(options.out, results)
    return results
