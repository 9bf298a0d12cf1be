"""The fast path's plumbing: what the templates preload, who reaps a forked kernel, and the
runner's kernel start (nbval's, without jupyter_client's wait for iopub silence)."""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import nbformat
import psutil
import pytest

from mlops_course.grading import fork_provisioner
from mlops_course.grading.jobs import Limits, run_job, with_setup_cell
from mlops_course.grading.runner_io import start_kernel

pytestmark = pytest.mark.grading


@pytest.fixture(scope="module")
def templates(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Any, Any, Path]]:
    ok, why = fork_provisioner.availability()
    if not ok:
        pytest.skip(f"fast path unavailable here: {why}")
    root = tmp_path_factory.mktemp("plumbing")
    kernels = fork_provisioner.Template(["numpy"], root / "kernels")
    runners = fork_provisioner.Template([], root / "runners", runner=True)
    yield kernels, runners, root
    kernels.stop()
    runners.stop()


def _children_cpu(template: Any) -> float:
    times = psutil.Process(template.process.pid).cpu_times()
    return float(times.children_user + times.children_system)


def test_the_runner_template_preloads_without_threads(templates: tuple[Any, Any, Path]) -> None:
    _, runners, _ = templates
    assert runners.info == {"ready": True, "threads": 1, "failed": []}


def test_a_forked_kernel_is_reaped_by_its_template(templates: tuple[Any, Any, Path]) -> None:
    """The kernel outlives its supervisor (killed at shutdown); the template, a subreaper, reaps it,
    so its CPU time is counted in the template's children like a kernel's is on today's path."""
    kernels, runners, root = templates
    before = _children_cpu(kernels)
    nb = nbformat.v4.new_notebook()
    burn = "import time\nend = time.process_time() + 1.0\nwhile time.process_time() < end:\n    pass"
    meta = {"nbgrader": {"grade": True, "grade_id": "t0", "locked": True, "points": 1, "schema_version": 3}}
    nb.cells.append(nbformat.v4.new_code_cell(burn, metadata=meta))
    outcome = run_job(
        with_setup_cell(nb), root, Limits(notebook_timeout=120), [root], "reap", kernels.socket, runners.socket
    )
    assert [e["outcome"] for e in outcome.of("test")] == ["passed"]
    counted = 0.0
    for _ in range(100):  # the template reaps between connections, at least every 0.5 s
        counted = _children_cpu(kernels) - before
        if counted >= 0.9:
            break
        time.sleep(0.1)
    assert counted >= 0.9


def test_the_runner_kernel_start_reports_a_kernel_that_dies(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    spec = tmp_path / "kernels" / "dies"
    spec.mkdir(parents=True)
    argv = [sys.executable, "-c", "import sys; sys.exit(3)", "{connection_file}"]
    (spec / "kernel.json").write_text(json.dumps({"argv": argv, "display_name": "dies", "language": "python"}))
    monkeypatch.setenv("JUPYTER_PATH", str(tmp_path))
    monkeypatch.setenv("JUPYTER_RUNTIME_DIR", str(tmp_path / "runtime"))
    with pytest.raises(RuntimeError, match="died"):
        start_kernel(startup_timeout=30, kernel_name="dies")


def test_the_summary_imports_are_warmed_as_the_summary_makes_them(tmp_path: Path) -> None:
    import subprocess

    code = (
        "import sys\n"
        "from mlops_course.grading.grade import _warm_summary_imports\n"
        "_warm_summary_imports()\n"
        "import matplotlib\n"
        "print('matplotlib.pyplot' in sys.modules, matplotlib.get_backend().lower())\n"
    )
    env = {"PATH": "/usr/bin:/bin", "MPLBACKEND": "svg", "MPLCONFIGDIR": str(tmp_path)}
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300, env=env)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["True", "agg"]
