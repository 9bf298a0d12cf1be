"""The grading sub-commands of ``mlops-course``: ``release``, ``grade``, ``check``, ``export``, ``similarity``, ``review``."""

from __future__ import annotations

import argparse
import os
import sys
from collections import Counter
from pathlib import Path
from typing import Any

from mlops_course import paths
from mlops_course.grading import skip_iri_grammar


def _release(args: argparse.Namespace) -> int:
    skip_iri_grammar()
    from mlops_course.grading.format import FormatError
    from mlops_course.grading.release import release_folder

    try:
        written, stale = release_folder(Path(args.source), Path(args.out))
    except FormatError as exc:
        print(f"release stopped: {exc}", file=sys.stderr)
        return 2
    for path in written:
        print(f"released {path}")
    for path in stale:
        print(
            f"warning: {path} has no instructor notebook in {args.source}; delete it if it is obsolete", file=sys.stderr
        )
    return 0


def _grade(args: argparse.Namespace) -> int:
    skip_iri_grammar()
    from mlops_course.grading.format import FormatError
    from mlops_course.grading.grade import GradeOptions, grade
    from mlops_course.grading.jobs import Limits
    from mlops_course.grading.late import LateError, LatePolicy
    from mlops_course.grading.manual import ReviewError

    limits = Limits(
        cell_timeout=args.timeout_cell,
        notebook_timeout=args.timeout_notebook,
        memory_bytes=int(args.memory_mb * 1024**2),
        output_bytes=int(args.max_output_mb * 1024**2),
        sandbox="none" if args.no_sandbox else "auto",
    )
    shard = None
    if args.shard:
        from mlops_course.grading.sharding import parse_shard

        try:
            shard = parse_shard(args.shard)
        except ValueError as exc:
            print(f"grade stopped: {exc}", file=sys.stderr)
            return 2
    late = None
    if args.due:
        late = LatePolicy(args.due, args.late_policy, args.late_percent, args.late_cap)
    elif args.extensions:
        print("grade stopped: --extensions needs --due (the class's due date).", file=sys.stderr)
        return 2
    options = GradeOptions(
        source=Path(args.source),
        out=Path(args.out),
        workers=args.workers,
        exercises=tuple(args.exercise or ()),
        limits=limits,
        max_bytes=int(args.max_notebook_mb * 1024**2),
        progress=not args.quiet,
        regrade=args.regrade,
        shard=shard,
        late=late,
        extensions=Path(args.extensions) if args.extensions else None,
        fast=GradeOptions().fast if args.fast is None else args.fast,
    )
    try:
        results = grade(Path(args.submissions), options)
    except (FormatError, ReviewError, LateError) as exc:
        print(f"grade stopped: {exc}", file=sys.stderr)
        return 2
    counts = Counter(str(r.get("status")) for r in results)
    pending = sum(float(r.get("pending_points") or 0) for r in results)
    if pending:
        awaiting = sum(1 for r in results if r.get("pending_points"))
        print(
            f"{awaiting} submission(s) have written answers awaiting review ({pending:g} points): "
            f"mlops-course review {options.out}"
        )
    print(
        f"{len(results)} results ({', '.join(f'{k}: {v}' for k, v in sorted(counts.items()))}); "
        f"gradebook: {options.out / 'gradebook.csv'}, summary: {options.out / 'summary.html'}"
    )
    return 0


def _check(args: argparse.Namespace) -> int:
    skip_iri_grammar()
    from mlops_course.grading.check import check
    from mlops_course.grading.jobs import Limits

    text, code = check(Path(args.notebook), Limits(cell_timeout=args.timeout_cell, sandbox="none"))
    print(text)
    return code


def _export(args: argparse.Namespace) -> int:
    from mlops_course.grading.export import ExportError, export

    try:
        report = export(Path(args.grades), args.format, Path(args.out), Path(args.roster) if args.roster else None)
    except ExportError as exc:
        print(f"export stopped: {exc}", file=sys.stderr)
        return 2
    print(f"wrote {args.out}: {report.rows} students x {len(report.exercises)} exercises ({args.format})")
    for label, names in (
        ("graded but not on the roster (written with their submission id; add them to the roster)", report.unknown),
        ("on the roster but not graded (written with empty grades)", report.missing),
        ("with written answers still awaiting review (mlops-course review)", report.pending),
    ):
        if names:
            print(f"{len(names)} student(s) {label}: {', '.join(names)}", file=sys.stderr)
    return 0


def _similarity(args: argparse.Namespace) -> int:
    import time

    from mlops_course.grading.format import FormatError
    from mlops_course.grading.similarity import similarity

    started = time.perf_counter()
    try:
        rows = similarity(Path(args.submissions), Path(args.source), Path(args.out), top=args.top)
    except FormatError as exc:
        print(f"similarity stopped: {exc}", file=sys.stderr)
        return 2
    for a, b, exercise, score in rows[:5]:
        print(f"  {score:.2f}  {a} / {b}  ({exercise})")
    print(
        f"{len(rows)} similar pairs in {time.perf_counter() - started:.1f} s: "
        f"{Path(args.out) / 'similarity.csv'}, {Path(args.out) / 'similarity.html'}"
    )
    return 0


def _review(args: argparse.Namespace) -> int:
    from mlops_course.grading.review import make_server

    try:
        server = make_server(Path(args.grades), args.port)
    except (FileNotFoundError, OSError) as exc:
        print(f"review stopped: {exc}", file=sys.stderr)
        return 2
    url = f"http://127.0.0.1:{server.server_address[1]}/"
    print(f"Reviewing {args.grades}: open {url} (Ctrl+C to stop; every change is already saved)", flush=True)
    if not args.no_browser:
        import webbrowser

        webbrowser.open(url)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
    print(f"Reviews are in {Path(args.grades) / 'manual_scores.csv'}; run mlops-course grade again to merge them.")
    return 0


def register(subparsers: Any) -> None:
    """Add ``release``, ``grade`` and ``check`` to the ``mlops-course`` command line."""
    release = subparsers.add_parser("release", help="generate exercises/ from solutions/")
    release.add_argument(
        "--source", default=str(paths.SOLUTIONS_DIR), help="instructor notebooks (default: solutions/)"
    )
    release.add_argument("--out", default=str(paths.EXERCISES_DIR), help="learner notebooks (default: exercises/)")
    release.set_defaults(func=_release)

    grade = subparsers.add_parser("grade", help="grade a class: SUBMISSIONS/<student_id>/<exercise>.ipynb")
    grade.add_argument("submissions", help="folder with one sub-folder per student")
    grade.add_argument("--source", default=str(paths.SOLUTIONS_DIR), help="instructor notebooks (default: solutions/)")
    grade.add_argument("--out", default=str(paths.PROJECT_ROOT / "grades"), help="output folder (default: grades/)")
    grade.add_argument("--workers", type=int, default=os.cpu_count() or 1, help="parallel submissions (default: cores)")
    grade.add_argument("--exercise", action="append", help="grade only this exercise (repeatable; default: all found)")
    grade.add_argument("--timeout-cell", type=float, default=120.0, help="seconds per cell (default: 120)")
    grade.add_argument("--timeout-notebook", type=float, default=600.0, help="seconds per notebook (default: 600)")
    grade.add_argument("--memory-mb", type=float, default=4096, help="kernel memory limit (default: 4096)")
    grade.add_argument("--max-output-mb", type=float, default=10, help="output a notebook may print (default: 10)")
    grade.add_argument("--max-notebook-mb", type=float, default=20, help="largest accepted submission (default: 20)")
    grade.add_argument("--no-sandbox", action="store_true", help="do not use Linux namespaces (weaker isolation)")
    grade.add_argument("--regrade", action="store_true", help="grade everything again, even unchanged submissions")
    grade.add_argument("--quiet", action="store_true", help="no progress bar")
    grade.add_argument(
        "--fast",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="fork kernels from a pre-imported template (default on Linux with namespaces; --no-fast: a fresh "
        "kernel per submission)",
    )
    grade.add_argument(
        "--shard",
        metavar="i/N",
        help="grade only shard i of N, counting from 1 (1/4 is the first of four; by SHA-256 of the student id); "
        "merge the shards' gradebooks with `mlops-course merge-gradebooks`",
    )
    grade.add_argument("--due", metavar="DATETIME", help="due date with time zone, e.g. 2026-12-01T23:59+01:00")
    grade.add_argument(
        "--late-policy",
        choices=("none", "zero", "percent"),
        default="percent",
        help="after --due: none (record only), zero, or percent per started day (default: percent)",
    )
    grade.add_argument("--late-percent", type=float, default=10.0, help="percent off per day late (default: 10)")
    grade.add_argument("--late-cap", type=float, default=100.0, help="largest late penalty in percent (default: 100)")
    grade.add_argument("--extensions", help="CSV student_id,due[,exercise]: per-student due dates")
    grade.set_defaults(func=_grade)

    export = subparsers.add_parser("export", help="write the gradebook as a Moodle or Canvas import CSV")
    export.add_argument("grades", help="the grades folder (or its gradebook.csv)")
    export.add_argument("--format", required=True, choices=("moodle", "canvas"), help="the platform's CSV layout")
    export.add_argument("--out", required=True, help="the CSV file to write")
    export.add_argument("--roster", help="CSV student_id[,lms_id,name,email,section,canvas_id] mapping ids")
    export.set_defaults(func=_export)

    sim = subparsers.add_parser("similarity", help="rank pairs of learners by how alike their answers are")
    sim.add_argument("submissions", help="folder with one sub-folder per student")
    sim.add_argument("--source", default=str(paths.SOLUTIONS_DIR), help="instructor notebooks (default: solutions/)")
    sim.add_argument("--out", default=str(paths.PROJECT_ROOT / "grades"), help="output folder (default: grades/)")
    sim.add_argument("--top", type=int, default=20, help="pairs shown side by side in the HTML report (default: 20)")
    sim.set_defaults(func=_similarity)

    review = subparsers.add_parser("review", help="review written answers in the browser (saves manual_scores.csv)")
    review.add_argument("grades", help="the grades folder written by grade")
    review.add_argument("--port", type=int, default=0, help="port on 127.0.0.1 (default: a free one)")
    review.add_argument("--no-browser", action="store_true", help="only print the address")
    review.set_defaults(func=_review)

    check = subparsers.add_parser("check", help="self-check an exercise notebook against its visible tests")
    check.add_argument("notebook", help="your exercise notebook, e.g. exercises/ex0_how_exercises_work.ipynb")
    check.add_argument("--timeout-cell", type=float, default=120.0, help="seconds per cell (default: 120)")
    check.set_defaults(func=_check)

    from mlops_course.grading import publish  # the learners' edition: its own module, registered here

    publish.register(subparsers)
