"""Run one notebook as a sandboxed job and collect the runner's verdict events.

A job is a private folder (``graded.ipynb``, ``job.json``, a kernelspec, the runtime
folder for connection files). The runner is started with ``start_new_session=True`` and
a pipe write end passed by fd; this module reads the verdict events until the runner
ends or the per-notebook deadline passes, then kills the runner's whole process tree.
"""

from __future__ import annotations

import json
import os
import selectors
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import nbformat
from nbformat import NotebookNode

from mlops_course import paths
from mlops_course.grading.runner import JOB_FILE, KERNEL_NAME, NOTEBOOK_NAME, kill_tree
from mlops_course.grading.sandbox import NS_WORKDIR, SandboxConfig, probe_namespaces, write_kernelspec

_MAX_EVENT_BYTES = 4 * 1024 * 1024
_ACTIVE: set[int] = set()  # runner pids, to stop them all on Ctrl+C


def stop_all_jobs() -> None:
    """Kill every running job's process tree (used when the grader is interrupted)."""
    for pid in list(_ACTIVE):
        kill_tree(pid)


@dataclass
class Limits:
    """Per-submission limits.

    Attributes:
        cell_timeout: seconds one cell may run.
        notebook_timeout: seconds the whole notebook may take (kernel start included).
        memory_bytes: the kernel's address-space limit.
        output_bytes: total output (stream, display, errors) the notebook may produce.
        file_bytes: largest file the kernel may write.
        sandbox: ``auto`` (namespaces where permitted) or ``none``.
    """

    cell_timeout: float = 120.0
    notebook_timeout: float = 600.0
    memory_bytes: int = 4 * 1024**3
    output_bytes: int = 10 * 1024**2
    file_bytes: int = 256 * 1024**2
    sandbox: str = "auto"


@dataclass
class JobOutcome:
    """What came back from one job."""

    events: list[dict[str, Any]] = field(default_factory=list)
    finished: bool = False
    deadline_hit: bool = False
    exit_code: int | None = None
    sandbox: str = "none"
    sandbox_note: str = ""
    duration: float = 0.0
    log_tail: str = ""

    def of(self, kind: str) -> list[dict[str, Any]]:
        return [e for e in self.events if e.get("event") == kind]


def with_setup_cell(nb: NotebookNode) -> NotebookNode:
    """A copy of ``nb`` with the grader's setup cell first (the runner fills in its code)."""
    out = nbformat.from_dict(json.loads(json.dumps(nb)))
    setup = nbformat.v4.new_code_cell("pass", metadata={"mlops_course": {"grader": "setup"}})
    setup.pop("id", None)
    out.cells.insert(0, setup)
    for cell in out.cells:
        cell.pop("id", None)
    out.nbformat_minor = 4
    return out


_MPL_LOCK = threading.Lock()


def _mpl_cache() -> str | None:
    """matplotlib's font cache, built once and copied into each fresh kernel HOME.

    Without it every kernel that imports matplotlib would rebuild the cache (seconds).
    """
    folder = paths.COURSE_DATA_DIR / "grading-mplcache"
    with _MPL_LOCK:
        if not any(folder.glob("fontlist*.json")):
            folder.mkdir(parents=True, exist_ok=True)
            env = {**os.environ, "MPLCONFIGDIR": str(folder)}
            subprocess.run(
                [sys.executable, "-c", "import matplotlib.font_manager"],
                env=env,
                check=False,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
                timeout=300,
            )
    return str(folder)


_STORE_LOCK = threading.Lock()
_STORES: dict[str, tuple[str, str] | None] = {}


def _store_template(work_root: Path) -> tuple[str, str] | None:
    """The empty, migrated MLflow store every kernel's store of this grade run starts as: a
    private copy in ``work_root`` (hidden from kernels), checked, and its SHA-256.

    Made once per grade run from :mod:`mlops_course.store_template` (built in a child
    process if missing: the grader never imports MLflow). The sandbox copies it into a
    kernel's work folder only if its hash still matches; ``None``: MLflow makes the store.
    """
    from mlops_course import store_template

    snapshot = work_root / "mlflow-template.db"
    with _STORE_LOCK:
        if str(snapshot) in _STORES:
            return _STORES[str(snapshot)]
        found = store_template.find()
        if found is None and store_template.cache_folder() is not None:
            subprocess.run(
                [sys.executable, "-m", "mlops_course.store_template"],
                check=False,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
                timeout=300,
            )
            found = store_template.find()
        named = store_template.template_name()
        result = None
        if found is not None and named is not None:
            try:
                shutil.copyfile(found, snapshot)
                if store_template.is_valid(snapshot, named[1]):
                    result = (str(snapshot), store_template.file_sha256(snapshot))
            except OSError:
                result = None
        _STORES[str(snapshot)] = result
        return result


def _process_limit() -> int:
    import psutil

    uid = os.getuid()
    mine = sum(1 for p in psutil.process_iter(["uids"]) if p.info["uids"] and p.info["uids"].real == uid)
    return mine + 512


def run_job(
    nb: NotebookNode,
    work_root: Path,
    limits: Limits,
    hide: list[Path],
    label: str,
    template: str | None = None,
    runner_template: str | None = None,
) -> JobOutcome:
    """Run a notebook (already merged, setup cell included) in a fresh job folder.

    Args:
        nb: the notebook to run.
        work_root: where job folders are made (hidden from the kernel).
        limits: time, memory and output limits.
        hide: folders the kernel must not see (solutions, submissions, grades, ...).
        label: a name for the job folder.
        template: the socket of a kernel template to fork the kernel from (the fast
            path, namespaces only), or None to start a fresh kernel.
        runner_template: the socket of a runner template (:mod:`.runner_template`) to
            fork the runner from, or None to start ``python -m ...runner``.

    Returns:
        The runner's events and how the run ended.
    """
    started = time.monotonic()
    mode, note = probe_namespaces() if limits.sandbox == "auto" else ("none", "disabled by option")
    job_dir = Path(tempfile.mkdtemp(prefix=f"{label[:40]}-", dir=work_root))
    outcome = JobOutcome(sandbox=mode, sandbox_note=note)
    try:
        notebook = job_dir / NOTEBOOK_NAME
        notebook.write_text(nbformat.writes(nb), encoding="utf-8")
        sandbox = SandboxConfig(
            mode=mode,
            workdir=NS_WORKDIR if mode == "namespaces" else str(job_dir / "work"),
            hide=[str(p) for p in hide],
            memory_bytes=limits.memory_bytes,
            cpu_seconds=int(limits.notebook_timeout) + 30,
            file_bytes=limits.file_bytes,
            max_processes=_process_limit(),
            mpl_cache=_mpl_cache(),
        )
        store = _store_template(work_root)
        if store is not None:
            sandbox.mlflow_store, sandbox.mlflow_sha256 = store
        fork = template if mode == "namespaces" else None
        sandbox.kfp_server = fork is not None and uses_kfp_runner(nb)  # a step server forked with the kernel
        write_kernelspec(job_dir / "jupyter", KERNEL_NAME, sandbox, fork)
        job = {
            "notebook": str(notebook),
            "kernel_name": KERNEL_NAME,
            "cell_timeout": limits.cell_timeout,
            "output_limit": limits.output_bytes,
            "delete_notebook": mode != "namespaces",
            "forked": fork is not None,
        }
        (job_dir / JOB_FILE).write_text(json.dumps(job))
        _execute(job_dir, limits, outcome, runner_template)
    finally:
        outcome.duration = time.monotonic() - started
        shutil.rmtree(job_dir, ignore_errors=True)
    return outcome


def uses_kfp_runner(nb: NotebookNode) -> bool:
    """Whether the instructor's code (setup and tests, not the answers) uses KFP's local runner."""
    from mlops_course.grading.kernel_guard import imported_modules

    meta = [c.get("metadata", {}).get("nbgrader", {}) for c in nb.cells]
    sources = [c.source for c, m in zip(nb.cells, meta, strict=True) if c.cell_type == "code" and not m.get("solution")]
    calls = any("init_local_runner(" in source for source in sources)
    return calls or "mlops_course.workflows.kfp_local" in imported_modules(sources)


def _runner_env(job_dir: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("MLFLOW_", "JUPYTER_", "PYTEST_"))}
    env.update(
        JUPYTER_PATH=str(job_dir / "jupyter"),
        JUPYTER_RUNTIME_DIR=str(job_dir / "runtime"),
        JUPYTER_CONFIG_DIR=str(job_dir / "config"),
        JUPYTER_DATA_DIR=str(job_dir / "data"),
        JUPYTER_PLATFORM_DIRS="1",
        PYTEST_DISABLE_PLUGIN_AUTOLOAD="1",
        PYTHONDONTWRITEBYTECODE="1",
    )
    return env


def _start_runner(job_dir: Path, write_fd: int, log_path: Path, runner_template: str | None) -> Any:
    with open(log_path, "wb") as log:
        if runner_template is not None:
            from mlops_course.grading.fork_provisioner import ForkedProcess
            from mlops_course.grading.runner_template import request_runner

            env = _runner_env(job_dir)
            return ForkedProcess(request_runner(runner_template, str(job_dir), env, write_fd, log.fileno()))
        return subprocess.Popen(
            [sys.executable, "-m", "mlops_course.grading.runner", str(job_dir), "--fd", str(write_fd)],
            pass_fds=(write_fd,),
            start_new_session=True,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            env=_runner_env(job_dir),
            cwd=job_dir,
        )


def _execute(job_dir: Path, limits: Limits, outcome: JobOutcome, runner_template: str | None = None) -> None:
    read_fd, write_fd = os.pipe()
    log_path = job_dir / "runner.log"
    try:
        process = _start_runner(job_dir, write_fd, log_path, runner_template)
    except BaseException:
        os.close(read_fd)
        raise
    finally:
        os.close(write_fd)
    _ACTIVE.add(process.pid)
    deadline = time.monotonic() + limits.notebook_timeout
    buffer = b""
    try:
        with selectors.DefaultSelector() as selector, os.fdopen(read_fd, "rb", buffering=0) as reader:
            selector.register(reader, selectors.EVENT_READ)
            while True:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    outcome.deadline_hit = True
                    break
                if not selector.select(timeout=min(remaining, 1.0)):
                    continue
                chunk = reader.read(65536)
                if not chunk:
                    break
                buffer += chunk
                *lines, buffer = buffer.split(b"\n")
                for line in lines:
                    _parse_event(line, outcome)
                if outcome.events and outcome.events[-1].get("event") == "done":
                    break
                if len(buffer) > _MAX_EVENT_BYTES:
                    buffer = b""
    finally:
        kill_tree(process.pid)
        _ACTIVE.discard(process.pid)
        try:
            outcome.exit_code = process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            outcome.exit_code = None
    outcome.finished = any(e.get("event") == "done" for e in outcome.events)
    try:
        outcome.log_tail = log_path.read_bytes()[-2000:].decode("utf-8", "replace")
    except OSError:
        outcome.log_tail = ""


def _parse_event(line: bytes, outcome: JobOutcome) -> None:
    try:
        event = json.loads(line)
    except ValueError:
        return
    if isinstance(event, dict):
        outcome.events.append(event)
