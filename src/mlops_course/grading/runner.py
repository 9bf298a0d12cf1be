"""Run one notebook under pytest + nbval and stream a trustworthy verdict per test cell.

``python -m mlops_course.grading.runner JOB_DIR`` is started by the grader in its own
session, one process per submission. It runs ``pytest --nbval-lax`` on
``JOB_DIR/graded.ipynb`` with the kernelspec of :mod:`.sandbox` and with
:class:`GradingPlugin`, which:

* rewrites the injected setup cell to snapshot the pristine kernel, and every test cell
  into a call of :mod:`.kernel_guard`'s ``run_test`` with a fresh random token;
* taps every message nbval reads from the kernel and records, per cell, the
  ``execute_reply`` status, the iopub ``error`` messages and the stdout text;
* enforces the per-cell timeout and the output-size limit itself (nbval's own timeout
  only interrupts, which a learner can ignore): on overrun it kills the kernel's whole
  process tree, and the remaining cells are not run;
* decides each test cell: **passed** only if nbval's item passed, the reply status is
  ``ok``, no error was published, and the cell's sentinel line appeared last in its
  stdout with no critical finding;
* writes each verdict as one JSON line to a pipe inherited from the grader (``--fd``),
  which the kernel never inherits; results so far survive whatever happens next.
"""

from __future__ import annotations

import json
import os
import secrets
import sys
import time
from collections import deque
from pathlib import Path
from queue import Empty
from typing import Any

from mlops_course.grading import skip_iri_grammar
from mlops_course.grading.runner_io import CellRecord, Channel, _ansi_free, children, kill_tree, read_message
from mlops_course.util import become_subreaper

NOTEBOOK_NAME = "graded.ipynb"
JOB_FILE = "job.json"
KERNEL_NAME = "mlops-grading"
_TAIL_CHARS = 65536
#: pytest's built-in plugins a notebook's nbval items never use: not registered, each runner
#: skips their hook parsing and fixture scanning (about 10 ms of CPU per submission, measured)
_UNUSED_PLUGINS = (
    "doctest",
    "junitxml",
    "pastebin",
    "setuponly",
    "setupplan",
    "stepwise",
    "tmpdir",
    "monkeypatch",
    "recwarn",
    "unittest",
    "subtests",
)


class GradingPlugin:
    """pytest plugin: see the module docstring."""

    def __init__(self, job: dict[str, Any], channel: Channel) -> None:
        from mlops_course.grading.kernel_guard import MARK, OUTPUT_MARK

        self.job = job
        self.channel = channel
        self.mark = MARK
        self.output_mark = OUTPUT_MARK
        self.run_token = secrets.token_hex(12)
        self.cell_timeout = float(job["cell_timeout"])
        self.output_limit = int(job["output_limit"])
        self.output_bytes = 0
        self.abort: str | None = None  # "timeout" | "died" | "output"
        self.abort_cell: str | None = None
        self.current: CellRecord | None = None
        self.iopub: deque[Any] = deque()
        self.items: dict[str, dict[str, Any]] = {}
        self.reports: dict[str, list[Any]] = {}

    # -- collection: rewrite setup and test cells ------------------------------------------
    def pytest_collection_modifyitems(self, session: Any, config: Any, items: list[Any]) -> None:
        from mlops_course.grading import kernel_guard

        tests = []
        for item in items:
            cell = getattr(item, "cell", None)
            if cell is None:
                continue
            meta = cell.get("metadata", {})
            grading = meta.get("nbgrader", {}) if isinstance(meta.get("nbgrader"), dict) else {}
            role = meta.get("mlops_course", {}).get("grader") if isinstance(meta.get("mlops_course"), dict) else None
            grade_id = grading.get("grade_id")
            if role == "setup":
                self.items[item.nodeid] = {"kind": "setup", "grade_id": "setup"}
            elif grading.get("grade") and not grading.get("solution"):  # solution+grade: manually graded
                token = secrets.token_hex(12)
                tests.append(cell.source)
                self.items[item.nodeid] = {
                    "kind": "test",
                    "grade_id": grade_id,
                    "token": token,
                    "hidden": bool(meta.get("mlops_course", {}).get("hidden_tests"))
                    if isinstance(meta.get("mlops_course"), dict)
                    else False,
                }
                cell.source = kernel_guard.wrapped_test_source(cell.source, str(grade_id), self.run_token, token)
            elif grading.get("solution"):
                self.items[item.nodeid] = {"kind": "solution", "grade_id": grade_id}
            else:
                self.items[item.nodeid] = {"kind": "other", "grade_id": None}
        protected = kernel_guard.imported_modules(tests)
        for item in items:
            if self.items.get(item.nodeid, {}).get("kind") == "setup":
                item.cell.source = kernel_guard.setup_source(self.run_token, protected, self.output_limit)
        if self.job.get("delete_notebook"):
            Path(self.job["notebook"]).unlink(missing_ok=True)  # the kernel must not find the hidden tests

    # -- kernel message tap --------------------------------------------------------------
    def install_tap(self) -> None:
        import nbval.kernel
        from nbval.kernel import RunningKernel

        from mlops_course.grading.runner_io import start_kernel

        nbval.kernel.start_new_kernel = start_kernel  # the same, minus a 0.2 s wait

        plugin = self
        original_execute = RunningKernel.execute_cell_input

        def execute_cell_input(kernel: Any, cell_input: str, allow_stdin: Any = None) -> str:
            msg_id = original_execute(kernel, cell_input, allow_stdin=allow_stdin)
            plugin.current = CellRecord(msg_id=msg_id, deadline=time.monotonic() + plugin.cell_timeout)
            return msg_id

        def get_message(kernel: Any, stream: str, timeout: float | None = None) -> Any:
            return plugin.get_message(read_message, kernel, stream, timeout)

        RunningKernel.execute_cell_input = execute_cell_input
        RunningKernel.get_message = get_message

    def _kill_kernel(self, kernel: Any, reason: str) -> None:
        if self.abort is None:
            self.abort = reason
        km = getattr(kernel, "km", None)
        process = getattr(getattr(km, "provisioner", None), "process", None)
        if process is not None:
            kill_tree(process.pid)

    def get_message(self, original: Any, kernel: Any, stream: str, timeout: float | None) -> Any:
        """nbval's ``get_message`` with deadlines, liveness and output accounting.

        nbval reads iopub only after the shell reply; meanwhile iopub is drained here into
        ``self.iopub`` (output counted, text dropped past the limit) so that a cell
        printing gigabytes is stopped while it runs, and the runner's memory stays bounded.
        """
        record = self.current
        if record is None:  # kernel start-up, between cells: nothing to decide
            if self.abort is not None:
                raise Empty
            return original(kernel, stream, timeout=timeout)
        waited = 0.0
        while True:
            if stream == "iopub" and self.iopub:
                return self.iopub.popleft()
            if self.abort is not None:
                raise Empty
            remaining = record.deadline - time.monotonic()
            if remaining <= 0:
                self._kill_kernel(kernel, "timeout")
                raise Empty
            step = min(0.1, remaining, timeout if timeout is not None else 0.1)
            if stream == "shell":
                self._drain_iopub(original, kernel, record)
                if self.abort is not None:
                    raise Empty
            try:
                msg = original(kernel, stream, timeout=step)
            except Empty:
                km = getattr(kernel, "km", None)
                if km is None or not km.is_alive():
                    self.abort = self.abort or "died"
                    raise
                waited += step
                if timeout is not None and waited >= timeout:
                    raise
                continue
            self._observe(msg, record, kernel)
            return msg

    def _drain_iopub(self, original: Any, kernel: Any, record: CellRecord) -> None:
        for _ in range(1000):
            try:
                msg = original(kernel, "iopub", timeout=0)
            except Empty:
                return
            self._observe(msg, record, kernel)
            if self.abort is not None:
                return
            self.iopub.append(msg)

    def _observe(self, msg: dict[str, Any], record: CellRecord, kernel: Any) -> None:
        content = msg.get("content", {})
        kind = msg.get("msg_type")
        size = 0
        if kind == "stream":
            size = len(content.get("text", ""))
            if self.output_mark in content.get("text", ""):
                size = self.output_limit + 1
        elif kind in ("display_data", "execute_result", "update_display_data"):
            size = sum(len(str(v)) for v in content.get("data", {}).values())
        elif kind == "error":
            size = sum(len(str(x)) for x in content.get("traceback", []))
        self.output_bytes += size
        if self.output_bytes > self.output_limit:
            if kind == "stream":
                content["text"] = ""
            elif kind in ("display_data", "execute_result", "update_display_data"):
                content["data"] = {}
            self._kill_kernel(kernel, "output")
            return
        if msg.get("parent_header", {}).get("msg_id") != record.msg_id:
            return
        if kind == "execute_reply":
            record.reply_status = content.get("status")
        elif kind == "error":
            record.errors.append(
                {
                    "ename": str(content.get("ename", "")),
                    "evalue": str(content.get("evalue", "")),
                    "traceback": [str(x) for x in content.get("traceback", [])][-6:],
                }
            )
        elif kind == "stream" and content.get("name") == "stdout":
            record.stdout_tail = (record.stdout_tail + content.get("text", ""))[-_TAIL_CHARS:]

    # -- running and deciding ------------------------------------------------------------
    def pytest_runtest_setup(self, item: Any) -> None:
        import pytest

        self.current = None
        if self.abort is not None:
            pytest.skip(f"not run: the kernel was stopped ({self.abort})")

    def pytest_runtest_logreport(self, report: Any) -> None:
        self.reports.setdefault(report.nodeid, []).append(report)

    def pytest_runtest_teardown(self, item: Any) -> None:
        info = self.items.get(item.nodeid)
        if info is None:
            return
        reports = self.reports.get(item.nodeid, [])
        passed = any(r.when == "call" and r.passed for r in reports)
        skipped = any(r.skipped for r in reports)
        record = self.current
        if skipped or record is None:
            if info["kind"] == "test":
                self.channel.send(
                    {
                        "event": "test",
                        "grade_id": info["grade_id"],
                        "outcome": "not_run",
                        "message": "not run: an earlier cell stopped the kernel",
                    }
                )
            return
        aborted_here = self.abort is not None and self.abort_cell is None
        if aborted_here:
            self.abort_cell = info["grade_id"] or item.name
            self.channel.send({"event": "abort", "reason": self.abort, "cell": self.abort_cell, "kind": info["kind"]})
        if info["kind"] == "test":
            self.channel.send(self.verdict(info, record, passed, aborted_here))
        elif info["kind"] == "setup":
            ok = passed and record.reply_status == "ok" and not record.errors
            self.channel.send({"event": "setup", "ok": ok, "message": self._error_text(record)})
        elif info["kind"] == "solution" and record.errors:
            self.channel.send({"event": "solution", "grade_id": info["grade_id"], "message": self._error_text(record)})

    def _error_text(self, record: CellRecord) -> str:
        if not record.errors:
            return ""
        error = record.errors[0]
        text = error["evalue"] if error["ename"] == "TestFailure" else f"{error['ename']}: {error['evalue']}"
        return _ansi_free(text)[:2000]

    def verdict(self, info: dict[str, Any], record: CellRecord, passed: bool, aborted_here: bool) -> dict[str, Any]:
        """The outcome of one test cell from what the kernel reported."""
        event: dict[str, Any] = {"event": "test", "grade_id": info["grade_id"], "critical": [], "noted": []}
        sentinel = f"{self.mark}{info['token']} "
        lines = [line for line in record.stdout_tail.splitlines() if line.strip()]
        report = None
        if lines and lines[-1].startswith(sentinel) and sum(line.startswith(sentinel) for line in lines) == 1:
            try:
                report = json.loads(lines[-1][len(sentinel) :])
            except ValueError:
                report = None
        if isinstance(report, dict):
            event["critical"] = [str(x) for x in report.get("critical", [])][:20]
            event["noted"] = [str(x) for x in report.get("noted", [])][:20]
        if aborted_here:
            outcome = "timeout" if self.abort == "timeout" else "failed"
            reason = {
                "timeout": f"the test ran longer than {self.cell_timeout:g} s and was stopped",
                "output": "the notebook printed more than the output limit; the kernel was stopped",
                "died": "the kernel died while this test ran",
            }.get(self.abort or "", "stopped")
            event.update(outcome=outcome, message=reason)
        elif record.errors:
            event.update(outcome="failed", message=self._error_text(record))
        elif not passed or record.reply_status != "ok":
            event.update(outcome="failed", message=f"the kernel reported status {record.reply_status!r}")
        elif report is None:
            event.update(outcome="failed", message="the test did not run to its end")
        elif event["critical"]:
            event.update(outcome="failed", message="the test's environment was tampered with while it ran")
        else:
            event.update(outcome="passed", message="")
        return event


def run(job_dir: Path, fd: int | None) -> int:
    """Run the job in ``job_dir``; returns pytest's exit code."""
    skip_iri_grammar()
    job = json.loads((job_dir / JOB_FILE).read_text())
    channel = Channel(fd)
    plugin = GradingPlugin(job, channel)
    import nbval.plugin
    import pytest

    plugin.install_tap()
    if job.get("forked"):
        from mlops_course.grading.fork_provisioner import register

        register()
    (job_dir / "pytest.ini").write_text("[pytest]\n")
    args = [
        str(job["notebook"]),
        "--nbval-lax",
        "--nbval-kernel-name",
        job["kernel_name"],
        "--nbval-cell-timeout",
        str(float(job["cell_timeout"]) + 60),
        "--nbval-kernel-startup-timeout",
        "60",
        "-c",
        str(job_dir / "pytest.ini"),
        "--rootdir",
        str(job_dir),
        "--noconftest",
        "-p",
        "no:cacheprovider",
        "-q",
        "--tb=no",
        "-o",
        "console_output_style=classic",
        "-W",
        "ignore",
        *(arg for name in _UNUSED_PLUGINS for arg in ("-p", f"no:{name}")),
    ]
    # nbval's module itself, not ``-p nbval.plugin``: pytest would look the name up among every
    # installed distribution's entry points (reading each one's metadata) before importing it
    code = int(pytest.main(args, plugins=[plugin, nbval.plugin]))
    channel.send({"event": "done", "pytest_exit": code, "abort": plugin.abort})
    return code


def main(argv: list[str]) -> int:
    """``python -m mlops_course.grading.runner JOB_DIR [--fd N]``."""
    become_subreaper()
    fd = int(argv[argv.index("--fd") + 1]) if "--fd" in argv else None
    if fd is not None:
        os.set_inheritable(fd, False)
    code = 3
    try:
        code = run(Path(argv[0]), fd)
    finally:
        for child in children():
            kill_tree(child)
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)  # skip zmq's 1 s socket linger at interpreter exit


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
