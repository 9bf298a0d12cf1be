"""Grading speed on this machine (not a test): ``python benchmarks/grading_benchmark.py``.

Grades N copies of an exercise's solution with today's path (a fresh kernel per
submission) and the fast path (kernels forked from a pre-imported template), and
measures the floors: a bare kernel that starts and imports the exercise's libraries (what
any notebook grader pays), and the same imports through our pipeline without tests, on
both paths (the fast one is the grader's own overhead per submission). ``--nbgrader``
also runs nbgrader 0.9.6's ``autograde`` on the same submissions, installed in a
throwaway venv (needs PyPI). ``--reference [STEM ...]`` only times each exercise's reference
solution (hidden tests included) run once top to bottom in a fresh kernel and MLflow store:
wall and CPU of the kernel and every process it starts (KFP components), which grading's
sandbox hides from ``getrusage``, less a fresh kernel that only imports what the fast path's template preloads (and the
modules the run imported beyond those); then one fast-path grade of it (wall). ``--class-estimate`` grades one solution of every exercise
on the fast path and extrapolates to 100 learners x the exercises
(``--class-only [STEM ...]``: that alone, for these exercises). Prints seconds per
submission, wall and CPU (CPU sums the child processes, so it is meaningful on a busy
machine), the load average, and the ratios.
"""

from __future__ import annotations

import argparse
import atexit
import json
import os
import resource
import shutil
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

import psutil

from mlops_course.grading import skip_iri_grammar

skip_iri_grammar()

import nbformat  # noqa: E402 (imported after skip_iri_grammar)

from mlops_course import paths  # noqa: E402 (imported after skip_iri_grammar)
from mlops_course.grading.grade import GradeOptions, grade  # noqa: E402 (imported after skip_iri_grammar)
from mlops_course.grading.jobs import Limits, run_job, with_setup_cell  # noqa: E402 (imported after skip_iri_grammar)
from mlops_course.grading.kernel_guard import imported_modules  # noqa: E402 (imported after skip_iri_grammar)
from mlops_course.util import become_subreaper, reap_children  # noqa: E402 (imported after skip_iri_grammar)

_CGROUP: dict[str, Path] = {}


def _adopt_orphans() -> None:
    """Count the CPU of every process this benchmark starts, however it ends.

    Where this process may make a cgroup (cgroup v1 ``cpuacct``, as root), it moves into a new
    one: its usage counts every descendant, including processes that no parent reaps (a dying
    namespace init, such as a grading kernel, takes its KFP step server with it uncounted by
    ``getrusage``). Elsewhere it becomes a subreaper: today's runner ends without waiting for
    its kernel, which the host's init would then reap, its CPU time counted nowhere; here it
    counts (:func:`_cpu`)."""
    become_subreaper()
    base = Path("/sys/fs/cgroup/cpuacct")
    group = base / f"grading-benchmark-{os.getpid()}"
    try:
        group.mkdir()
        (group / "cgroup.procs").write_text(str(os.getpid()))
    except OSError:
        return
    _CGROUP["usage"] = group / "cpuacct.usage"

    def leave() -> None:
        try:
            (base / "cgroup.procs").write_text(str(os.getpid()))
            group.rmdir()
        except OSError:
            pass

    atexit.register(leave)


def cpu_counted_by() -> str:
    """How :func:`_cpu` counts: ``cgroup`` (every descendant) or ``getrusage`` (reaped descendants)."""
    return "cgroup" if _CGROUP else "getrusage"


def _cpu() -> float:
    time.sleep(0.5)  # let killed processes end
    for _ in reap_children():  # the orphans handed to us
        pass
    if _CGROUP:  # this process and every descendant, reaped or not
        return int(_CGROUP["usage"].read_text()) / 1e9
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _timed(label: str, n: int, action, extra_cpu=lambda: 0.0) -> tuple[float, float]:
    """Seconds per submission, wall and CPU (``extra_cpu``: CPU of processes that are not our
    descendants once reaped, e.g. the kernels forked and reaped by a running template; a cgroup
    counts those already)."""
    extra = (lambda: 0.0) if _CGROUP else extra_cpu
    cpu = _cpu() + extra()
    wall = time.monotonic()
    action()
    wall = time.monotonic() - wall
    cpu = _cpu() + extra() - cpu
    print(f"{label:<44} {wall / n:6.2f} s/submission wall   {cpu / n:6.2f} s CPU   ({n} in {wall:.0f} s)")
    return wall / n, cpu / n


def _template_children_cpu(template: Any) -> float:
    times = psutil.Process(template.process.pid).cpu_times()
    return float(times.children_user + times.children_system)


def _imports(solution: Path) -> list[str]:
    nb = nbformat.read(solution, as_version=4)
    return imported_modules([c.source for c in nb.cells if c.cell_type == "code"])


_LIST_MODULES = "import json as _j, sys as _s\nprint(_j.dumps(sorted(_s.modules)))"


def bare_kernel(modules: list[str], n: int, loaded: list[str] | None = None) -> None:
    """``n`` fresh kernels that import ``modules``; the last one's ``sys.modules`` goes to ``loaded``."""
    from jupyter_client.manager import start_new_kernel

    code = "\n".join(f"import {m}" for m in modules)
    for _ in range(n):
        km, kc = start_new_kernel(kernel_name="mlops-course")
        kc.execute_interactive(code, timeout=300)
        if loaded is not None:
            printed: list[str] = []
            kc.execute_interactive(
                _LIST_MODULES, timeout=60, output_hook=lambda m, p=printed: p.append(m["content"].get("text", ""))
            )
            loaded[:] = json.loads("".join(printed))
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


def start_templates(modules: list[str], work: Path) -> tuple[Any, Any]:
    """The fast path's templates, started once per grading run (timed apart: a one-off cost)."""
    from mlops_course.grading.fork_provisioner import Template

    templates = Template(modules, work / "template"), Template([], work / "runner-template", runner=True)
    for template in templates:  # both import at once; timed until both have reported
        if not template.ready:
            raise RuntimeError(f"a template did not start: {template.info}")
    return templates


def pipeline_floor_fast(templates: tuple[Any, Any], n: int, work: Path, modules: list[str]) -> None:
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "mlops-course", "display_name": "x", "language": "python"}
    cell = nbformat.v4.new_code_cell("\n".join(f"import {m}" for m in modules))
    cell.metadata["nbgrader"] = {"schema_version": 3, "grade_id": "t", "grade": True, "locked": True, "points": 1}
    nb.cells = [cell]
    for _ in range(n):
        run_job(with_setup_cell(nb), work, Limits(), [], "floor", templates[0].socket, templates[1].socket)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--exercise", default="ex0_how_exercises_work")
    parser.add_argument("-n", type=int, default=40)
    parser.add_argument("--floor-n", type=int, default=10)
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--nbgrader", action="store_true", help="also time nbgrader autograde (throwaway venv)")
    parser.add_argument("--class-estimate", action="store_true", help="time every exercise on the fast path")
    parser.add_argument(
        "--class-only", nargs="*", metavar="STEM", help="only the class estimate, for these exercises (none: all)"
    )
    parser.add_argument(
        "--heavy", action="store_true", help="setup cell also imports pandas, sklearn, mlflow, evidently"
    )
    parser.add_argument(
        "--reference", nargs="*", metavar="STEM", help="only time these exercises' reference solutions (none: all)"
    )
    parser.add_argument(
        "--overhead",
        type=int,
        metavar="REPEATS",
        help="only the fast path's overhead (--floor-n submissions), REPEATS times, split into kernel and runner CPU",
    )
    args = parser.parse_args()
    _adopt_orphans()
    print(f"CPU counted by {cpu_counted_by()}" + ("" if _CGROUP else " (misses processes no parent reaps)"))
    if args.reference is not None:
        reference_times(args.reference or sorted(p.stem for p in paths.SOLUTIONS_DIR.glob("*.ipynb")))
        return
    if args.class_only is not None:
        root = Path(tempfile.mkdtemp(prefix="grading-bench-"))
        try:
            _class_estimate(root, args.workers, stems=args.class_only)
        finally:
            shutil.rmtree(root, ignore_errors=True)
        return
    if args.overhead is not None:
        overhead_only(args.exercise, args.floor_n, args.overhead)
        return
    solution = paths.SOLUTIONS_DIR / f"{args.exercise}.ipynb"
    root = Path(tempfile.mkdtemp(prefix="grading-bench-"))
    try:
        if args.heavy:
            solution = _heavy(solution, root / "source")
        for i in range(args.n):
            (root / "subs" / f"student{i:03d}").mkdir(parents=True)
            shutil.copy(solution, root / "subs" / f"student{i:03d}" / solution.name)
        modules = _imports(solution)
        print(f"{args.exercise}: imports {', '.join(modules)}; {os.cpu_count()} cores, load {os.getloadavg()[0]:.1f}")
        (root / "work").mkdir()
        times = {
            "bare": _timed("floor: bare kernel + imports", args.floor_n, lambda: bare_kernel(modules, args.floor_n))
        }
        times["floor"] = _timed(
            "floor: today's pipeline + imports, no tests",
            args.floor_n,
            lambda: pipeline_floor(modules, args.floor_n, root / "work"),
        )
        started: list[Any] = []
        _timed(
            "fast path: starting both templates (once per run)",
            1,
            lambda: started.extend(start_templates(modules, root)),
            lambda: sum(sum(psutil.Process(t.process.pid).cpu_times()[:2]) for t in started),
        )
        try:
            times["floor_fast"] = _timed(
                "floor: fast pipeline (forked runner + kernel), no tests",
                args.floor_n,
                lambda: pipeline_floor_fast((started[0], started[1]), args.floor_n, root / "work", modules),
                lambda: sum(_template_children_cpu(t) for t in started),
            )
        finally:
            for template in started:
                template.stop()
        for fast in (False, True):
            options = GradeOptions(
                out=root / f"out{fast}",
                source=solution.parent,
                workers=args.workers,
                progress=False,
                exercises=(args.exercise,),
                fast=fast,
            )
            label = f"grade {'fast path' if fast else 'today'}, {args.workers} worker(s)"
            times["fast" if fast else "today"] = _timed(label, args.n, lambda o=options: grade(root / "subs", o))
        if args.nbgrader:
            from nbgrader_bench import autograde, nbgrader_venv

            nbgrader_venv()  # installed before timing
            times["nbgrader"] = _timed("nbgrader autograde", args.n, lambda: autograde(solution, args.n, root))
        _ratios(times)
        if args.class_estimate:
            _class_estimate(root, args.workers)
        print(f"load average after: {os.getloadavg()[0]:.1f}")
    finally:
        shutil.rmtree(root, ignore_errors=True)


def overhead_only(exercise: str, n: int, repeats: int) -> None:
    """The fast path's overhead alone, ``repeats`` times: CPU per submission, and how much of it is
    the forked kernels (kernel template's children) and the forked runners (runner template's)."""
    solution = paths.SOLUTIONS_DIR / f"{exercise}.ipynb"
    modules = _imports(solution)
    with tempfile.TemporaryDirectory(prefix="grading-bench-") as folder:
        root = Path(folder)
        (root / "work").mkdir()
        print(f"{exercise}: imports {', '.join(modules)}; {os.cpu_count()} cores, load {os.getloadavg()[0]:.1f}")
        kernels, runners = start_templates(modules, root)
        try:
            for _ in range(repeats):
                before = _template_children_cpu(kernels), _template_children_cpu(runners)
                _timed(
                    "floor: fast pipeline (forked runner + kernel), no tests",
                    n,
                    lambda: pipeline_floor_fast((kernels, runners), n, root / "work", modules),
                    lambda: _template_children_cpu(kernels) + _template_children_cpu(runners),
                )
                kernel, runner = (_template_children_cpu(t) - b for t, b in zip((kernels, runners), before))
                print(
                    f"  of which kernels {kernel / n:.3f} s CPU, runners {runner / n:.3f} s CPU; load {os.getloadavg()[0]:.1f}"
                )
        finally:
            kernels.stop()
            runners.stop()


def _heavy(solution: Path, folder: Path) -> Path:
    """The exercise with a heavy-import setup cell (like the held-out comparison's)."""
    nb = nbformat.read(solution, as_version=4)
    setup = next(c for c in nb.cells if c.cell_type == "code" and not c.metadata.get("nbgrader", {}).get("solution"))
    setup.source = "import pandas\nimport sklearn.ensemble\nimport mlflow\nimport evidently\n" + setup.source
    folder.mkdir(parents=True)
    nbformat.write(nb, folder / solution.name)
    return folder / solution.name


def _ratios(times: dict[str, tuple[float, float]]) -> None:
    (fast, fast_cpu), (today, today_cpu) = times["fast"], times["today"]
    print(f"fast path vs today: {today / fast:.2f}x wall, {today_cpu / fast_cpu:.2f}x CPU")
    if "nbgrader" in times:
        nbgrader, nbgrader_cpu = times["nbgrader"]
        print(
            f"fast path vs nbgrader autograde: {nbgrader / fast:.2f}x wall, {nbgrader_cpu / fast_cpu:.2f}x CPU (target >= 5x)"
        )
    overhead, overhead_cpu = times["floor_fast"]
    print(
        "fast path overhead per submission (pipeline, imports preloaded, no tests: what is left is the grader's "
        f"own work): {overhead:.2f} s wall, {overhead_cpu:.2f} s CPU (target <= 0.3 s)"
    )
    print(f"bare kernel + imports vs fast floor: {times['bare'][0] / overhead:.2f}x wall")


def reference_times(stems: list[str]) -> None:
    """Each reference solution: one run in a fresh kernel (wall, CPU), the same kernel's imports alone
    (what the fast path preloads), then one fast-path grade (wall)."""
    from nbclient import NotebookClient

    from mlops_course.environment import environment_variables
    from mlops_course.grading.preload import modules_for

    print(f"{os.cpu_count()} cores, load {os.getloadavg()[0]:.1f}")
    for stem in stems:
        solution = paths.SOLUTIONS_DIR / f"{stem}.ipynb"
        with tempfile.TemporaryDirectory(prefix="reference-") as folder:
            root = Path(folder)
            nb = nbformat.read(solution, as_version=4)
            modules = modules_for([nb])
            nb.cells.append(nbformat.v4.new_code_cell(_LIST_MODULES))
            with environment_variables({"MLFLOW_TRACKING_URI": f"sqlite:///{root / 'mlflow.db'}"}):
                client = NotebookClient(
                    nb, timeout=600, kernel_name="mlops-course", resources={"metadata": {"path": folder}}
                )
                _, run_cpu = _timed(f"{stem}: run in a fresh kernel", 1, client.execute)
            used = set(json.loads(nb.cells[-1].outputs[0]["text"]))
            preloaded: list[str] = []
            _, import_cpu = _timed(
                f"{stem}: a fresh kernel importing what the template does",
                1,
                lambda m=modules, p=preloaded: bare_kernel(m, 1, p),
            )
            left = Counter(name.split(".")[0] for name in used - set(preloaded))
            (root / "subs" / "s0").mkdir(parents=True)
            shutil.copy(solution, root / "subs" / "s0" / solution.name)
            options = GradeOptions(out=root / "out", workers=1, progress=False, exercises=(stem,), fast=True)
            wall = time.monotonic()
            grade(root / "subs", options)
            wall = time.monotonic() - wall
            result = json.loads(next((root / "out" / "results").rglob("*.json")).read_text())
        print(
            f"{stem}: graded {result['score']:g}/{result['max_score']:g} ({result['status']}) in {wall:.1f} s wall, "
            f"{result['duration_s']:.1f} s in its kernel (fast path; the sandbox hides its CPU) {result['message']}"
        )
        print(f"{stem}: {run_cpu - import_cpu:.1f} s CPU past the imports the fast path's template preloads")
        print(
            f"{stem}: {left.total()} modules imported that the template does not preload: "
            + (", ".join(f"{top} {count}" for top, count in left.most_common(8)) or "none")
        )
    print(f"load average after: {os.getloadavg()[0]:.1f}")


def _class_estimate(root: Path, workers: int, learners: int = 100, stems: list[str] | None = None) -> None:
    """Per exercise: the templates' start (once per run) and ``workers`` submissions graded on the
    fast path; extrapolated to ``learners`` submissions (start once, submissions x learners/workers)."""
    from mlops_course.grading.preload import modules_for

    total = cpu_total = 0.0
    for solution in sorted(paths.SOLUTIONS_DIR.glob("*.ipynb")):
        if stems and solution.stem not in stems:
            continue
        subs = root / f"class-{solution.stem}"
        for i in range(workers):
            (subs / f"s{i}").mkdir(parents=True)
            shutil.copy(solution, subs / f"s{i}" / solution.name)
        modules = modules_for([nbformat.read(solution, as_version=4)])
        start, start_cpu = _timed(
            f"{solution.stem}: starting both templates",
            1,
            lambda m=modules, s=solution: [t.stop() for t in start_templates(m, root / f"t-{s.stem}")],
        )
        options = GradeOptions(out=root / f"cout-{solution.stem}", workers=workers, progress=False, fast=True)
        wall, cpu_s = _timed(f"fast path, {solution.stem}", workers, lambda o=options, s=subs: grade(s, o))
        scores = [json.loads(p.read_text()) for p in sorted((options.out / "results").rglob("*.json"))]
        print(
            "  scores: "
            + ", ".join(
                f"{r['score']:g}/{r['max_score']:g} ({r['status']}"
                + (f", {r['pending_points']:g} awaiting review)" if r.get("pending_points") else ")")
                for r in scores
            )
        )
        scale = learners / workers
        total += start + max(wall * workers - start, 0.0) * scale
        cpu_total += start_cpu + max(cpu_s * workers - start_cpu, 0.0) * scale
    print(
        f"class estimate, {learners} learners x these exercises: {total / 60:.1f} min wall with {workers} workers "
        f"on this machine as loaded now; {cpu_total / (os.cpu_count() or 1) / 60:.1f} min if CPU-bound on "
        f"{os.cpu_count()} idle cores; {cpu_total / 60:.1f} min of CPU (target <= 30 min; templates start once per "
        "exercise, the rest scales with the learners)"
    )


if __name__ == "__main__":
    main()
