"""Grading speed on this machine (not a test): ``python benchmarks/grading_benchmark.py``.

Grades N copies of an exercise's solution (default: 40 of ex0) sequentially and with all
workers, and measures two floors: a bare kernel that starts and imports the exercise's
libraries (what any notebook grader pays), and the same imports run through our full
pipeline (runner, sandbox, setup cell) without tests. Prints seconds per submission, wall
and CPU (CPU sums the child processes, so it is meaningful on a busy machine).
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import tempfile
import time
from pathlib import Path

from mlops_course.grading import skip_iri_grammar

skip_iri_grammar()

import nbformat  # noqa: E402 (imported after skip_iri_grammar)

from mlops_course import paths  # noqa: E402 (imported after skip_iri_grammar)
from mlops_course.grading.grade import GradeOptions, grade  # noqa: E402 (imported after skip_iri_grammar)
from mlops_course.grading.jobs import Limits, run_job, with_setup_cell  # noqa: E402 (imported after skip_iri_grammar)
from mlops_course.grading.kernel_guard import imported_modules  # noqa: E402 (imported after skip_iri_grammar)


def _cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _timed(label: str, n: int, action) -> tuple[float, float]:
    wall, cpu = time.monotonic(), _cpu()
    action()
    wall, cpu = time.monotonic() - wall, _cpu() - cpu
    print(f"{label:<44} {wall / n:6.2f} s/submission wall   {cpu / n:6.2f} s CPU   ({n} in {wall:.0f} s)")
    return wall / n, cpu / n


def _imports(solution: Path) -> list[str]:
    nb = nbformat.read(solution, as_version=4)
    return imported_modules([c.source for c in nb.cells if c.cell_type == "code"])


def bare_kernel(modules: list[str], n: int) -> None:
    from jupyter_client.manager import start_new_kernel

    code = "\n".join(f"import {m}" for m in modules)
    for _ in range(n):
        km, kc = start_new_kernel(kernel_name="mlops-course")
        kc.execute_interactive(code, timeout=300)
        kc.stop_channels()
        km.shutdown_kernel(now=True)


def pipeline_floor(modules: list[str], n: int, work: Path) -> None:
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "mlops-course", "display_name": "x", "language": "python"}
    cell = nbformat.v4.new_code_cell("\n".join(f"import {m}" for m in modules))
    cell.metadata["nbgrader"] = {"schema_version": 3, "grade_id": "t", "grade": True, "locked": True, "points": 1}
    nb.cells = [cell]
    for _ in range(n):
        run_job(with_setup_cell(nb), work, Limits(), [], "floor")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--exercise", default="ex0_how_exercises_work")
    parser.add_argument("-n", type=int, default=40)
    parser.add_argument("--floor-n", type=int, default=10)
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    args = parser.parse_args()
    solution = paths.SOLUTIONS_DIR / f"{args.exercise}.ipynb"
    root = Path(tempfile.mkdtemp(prefix="grading-bench-"))
    try:
        for i in range(args.n):
            (root / "subs" / f"student{i:03d}").mkdir(parents=True)
            shutil.copy(solution, root / "subs" / f"student{i:03d}" / solution.name)
        modules = _imports(solution)
        print(f"{args.exercise}: imports {', '.join(modules)}; {os.cpu_count()} cores, load {os.getloadavg()[0]:.1f}")
        _timed("floor: bare kernel + imports", args.floor_n, lambda: bare_kernel(modules, args.floor_n))
        (root / "work").mkdir()
        _timed(
            "floor: our pipeline + imports, no tests",
            args.floor_n,
            lambda: pipeline_floor(modules, args.floor_n, root / "work"),
        )
        for workers in (1, args.workers):
            options = GradeOptions(
                out=root / f"out{workers}", workers=workers, progress=False, exercises=(args.exercise,)
            )
            _timed(f"grade, {workers} worker(s)", args.n, lambda options=options: grade(root / "subs", options))
        print(f"load average after: {os.getloadavg()[0]:.1f}")
    finally:
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
