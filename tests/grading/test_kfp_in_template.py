"""A graded kernel of a notebook that uses KFP's local runner forks its step server from itself.

On the fast path the kernel forks the server (:mod:`mlops_course.workflows.kfp_prefork`) before
ipykernel starts; ``init_local_runner`` in the notebook adopts it: steps run in children of a
child of the kernel, and no ``python -m mlops_course.workflows.kfp_fork serve`` is ever exec'd.
A kernel of a notebook that does not use KFP has no such child, and the server ends with its kernel.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import nbformat
import psutil
import pytest

from mlops_course import paths
from mlops_course.grading import fork_provisioner, preload
from mlops_course.grading.jobs import JobOutcome, Limits, run_job, uses_kfp_runner, with_setup_cell

pytestmark = pytest.mark.grading
EX1 = "ex1_automated_pipeline"

#: instructor setup: imports KFP's local runner (so the grader asks for a pre-forked server)
SETUP = '''
import json, os, sys, tempfile, time
from kfp import dsl
from mlops_course.workflows import kfp_fork
from mlops_course.workflows.kfp_local import init_local_runner, run_pipeline

SERVE = b"mlops_course.workflows.kfp_fork\\x00serve"
seen = {}  # what one test cell leaves for the next (each runs as a function)


@dsl.component(base_image="python:3.11", install_kfp_package=False)
def probe(out: str):
    import json, os, sys

    cmdlines = []
    for name in os.listdir("/proc"):
        try:
            cmdlines.append(open(f"/proc/{name}/cmdline", "rb").read().decode(errors="replace"))
        except (OSError, ValueError):
            pass
    state = {"ppid": os.getppid(), "sklearn": "sklearn.linear_model" in sys.modules, "cmdlines": cmdlines}
    with open(out, "w") as handle:
        json.dump(state, handle)


@dsl.pipeline(name="probe")
def probe_pipeline(out: str):
    probe(out=out)


def cmdline(pid):
    return open(f"/proc/{pid}/cmdline", "rb").read()


def parent_of(pid):
    return int(open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()[1])


def others():
    """pid -> cmdline of every other process of the kernel's namespace."""
    found = {}
    for name in os.listdir("/proc"):
        if name.isdigit() and int(name) != os.getpid():
            try:
                found[int(name)] = cmdline(name)
            except OSError:
                pass
    return found


def run_probe():
    out = os.path.join(tempfile.mkdtemp(), "probe.json")
    summary = run_pipeline(probe_pipeline, out=out)
    assert summary.succeeded, summary.log[-3000:]
    return json.load(open(out))
'''

ADOPTED = """
server = kfp_fork._state["server"]
assert server is not None and server.forked, server  # forked before this notebook's code ran
pid = server.process.pid
seen.update(server=server, pid=pid)
assert os.getpid() == 1 and parent_of(pid) == 1, parent_of(pid)  # a child of the kernel
assert cmdline(pid) == cmdline(1)  # a fork of the kernel, not a fresh interpreter
assert len(os.listdir(f"/proc/{pid}/task")) == 1
init_local_runner(tempfile.mkdtemp())
assert kfp_fork._state["server"] is server and server.alive()
state = run_probe()
assert state["ppid"] == pid and state["sklearn"], state["ppid"]
assert not [c for c in state["cmdlines"] if SERVE.decode() in c], state["cmdlines"]
assert not [c for c in others().values() if SERVE in c]
"""

AGAIN = """
server, pid = seen["server"], seen["pid"]
init_local_runner(tempfile.mkdtemp())
init_local_runner(tempfile.mkdtemp(), caching=True)
assert kfp_fork._state["server"] is server
assert run_probe()["ppid"] == pid
assert len(os.listdir(f"/proc/{pid}/task")) == 1
"""

OFF_THEN_ON = """
pid = seen["pid"]
init_local_runner(tempfile.mkdtemp(), fork_steps=False)
assert kfp_fork._state["server"] is None
assert run_probe()["ppid"] != pid  # a fresh interpreter
for _ in range(100):  # the adopted server was stopped
    if pid not in others():
        break
    time.sleep(0.05)
assert pid not in others()
init_local_runner(tempfile.mkdtemp())  # the adopted one is gone: a fresh server, as outside grading
fresh = kfp_fork._state["server"]
assert fresh is not None and not fresh.forked
assert run_probe()["ppid"] == fresh.process.pid
assert SERVE in cmdline(fresh.process.pid)  # (once it has exec'd)
"""

NO_KFP = """
import os, sys
kernel = open("/proc/1/cmdline", "rb").read()
children = []
for name in os.listdir("/proc"):
    if name.isdigit() and name != "1":
        try:
            if open(f"/proc/{name}/cmdline", "rb").read() == kernel:
                children.append(name)
        except OSError:
            pass
assert os.getpid() == 1 and not children, children
fork = sys.modules.get("mlops_course.workflows.kfp_fork")
assert fork is None or fork._state["server"] is None
"""


def _cell(source: str, grade_id: str | None) -> Any:
    if grade_id is None:
        meta = {"grade": False, "grade_id": "setup", "locked": True, "solution": False, "schema_version": 3}
    else:
        meta = {"grade": True, "grade_id": grade_id, "locked": True, "points": 1, "schema_version": 3}
    return nbformat.v4.new_code_cell(source, metadata={"nbgrader": meta})


def _notebook(setup: str | None, *tests: str) -> Any:
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    if setup is not None:
        nb.cells.append(_cell(setup, None))
    nb.cells.extend(_cell(source, f"t{i}") for i, source in enumerate(tests))
    return with_setup_cell(nb)


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Any, Path]]:
    """A kernel template that imports what ex1's instructor cells import (as grading ex1 does)."""
    ok, why = fork_provisioner.availability()
    if not ok:
        pytest.skip(f"fast path unavailable here: {why}")
    root = tmp_path_factory.mktemp("kfp-template")
    ex1 = nbformat.read(paths.SOLUTIONS_DIR / f"{EX1}.ipynb", as_version=4)
    started = fork_provisioner.Template(preload.modules_for([ex1]), root / "template")
    assert started.ready, started.info
    yield started, root
    started.stop()


def _run(template: tuple[Any, Path], nb: Any) -> JobOutcome:
    started, root = template
    return run_job(nb, root, Limits(notebook_timeout=300, cell_timeout=240), [root], "kfp", started.socket)


def _outcomes(outcome: JobOutcome) -> list[str]:
    return [f"{e['outcome']}: {e.get('message', '')}" for e in outcome.of("test")]


def test_only_notebooks_that_use_the_local_runner_ask_for_a_server() -> None:
    ex1 = nbformat.read(paths.SOLUTIONS_DIR / f"{EX1}.ipynb", as_version=4)
    assert uses_kfp_runner(ex1)
    for other in sorted(paths.SOLUTIONS_DIR.glob("ex*.ipynb")):
        if other.stem != EX1:
            assert not uses_kfp_runner(nbformat.read(other, as_version=4)), other.name
    answer = _notebook("x = 1", "assert x == 1")
    answer.cells[1].metadata["nbgrader"]["solution"] = True
    answer.cells[1].source = "from mlops_course.workflows.kfp_local import init_local_runner"
    assert not uses_kfp_runner(answer)  # a learner's answer does not decide it
    assert uses_kfp_runner(_notebook("from mlops_course.workflows import kfp_local\nkfp_local.init_local_runner('x')"))


def _kernel_children(template_pid: int, kernels: dict[int, set[int]], done: threading.Event) -> None:
    """Record, until ``done``, each kernel (a supervisor's child) and its children."""
    while not done.is_set():
        try:
            for supervisor in psutil.Process(template_pid).children():
                for kernel in supervisor.children():
                    kernels.setdefault(kernel.pid, set()).update(c.pid for c in kernel.children())
        except psutil.Error:
            pass
        time.sleep(0.1)


def test_steps_run_in_a_server_forked_from_the_kernel_which_ends_with_it(template: tuple[Any, Path]) -> None:
    started, _ = template
    kernels: dict[int, set[int]] = {}
    done = threading.Event()
    watcher = threading.Thread(target=_kernel_children, args=(started.process.pid, kernels, done), daemon=True)
    watcher.start()
    try:
        outcome = _run(template, _notebook(SETUP, ADOPTED, AGAIN, OFF_THEN_ON))
    finally:
        done.set()
        watcher.join()
    assert _outcomes(outcome) == ["passed: "] * 3, outcome.log_tail
    kernel = next(iter(kernels))  # the first seen (while the kernel dies, its orphans move up the tree)
    assert kernels[kernel]  # the server, seen from outside as the kernel's child
    seen = {kernel, *kernels[kernel]}
    deadline = time.monotonic() + 10
    while any(psutil.pid_exists(p) for p in seen) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not any(psutil.pid_exists(p) for p in seen)  # ended (and reaped) with the kernel


def test_a_kernel_of_a_notebook_without_kfp_has_no_server(template: tuple[Any, Path]) -> None:
    assert _outcomes(_run(template, _notebook("x = 1", NO_KFP))) == ["passed: "]


def test_with_the_switch_off_no_server_is_forked(template: tuple[Any, Path], monkeypatch: pytest.MonkeyPatch) -> None:
    """``MLOPS_COURSE_KFP_FORK=0`` reaches the kernel through its environment: no server is forked."""
    monkeypatch.setenv("MLOPS_COURSE_KFP_FORK", "0")
    started, root = template
    switched_off = fork_provisioner.Template(started.modules, root / "off")
    try:
        assert switched_off.ready, switched_off.info
        no_server = SETUP + "\nassert os.environ['MLOPS_COURSE_KFP_FORK'] == '0'\n"
        check = NO_KFP + "\ninit_local_runner(tempfile.mkdtemp())\nassert kfp_fork._state['server'] is None\n"
        outcome = run_job(
            _notebook(no_server, check), root, Limits(notebook_timeout=300), [root], "kfp-off", switched_off.socket
        )
        assert _outcomes(outcome) == ["passed: "], outcome.log_tail
    finally:
        switched_off.stop()
