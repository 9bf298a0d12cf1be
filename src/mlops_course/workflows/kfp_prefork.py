"""A KFP step server forked from the process that will use it, not started afresh (grading kernels).

:mod:`.kfp_fork` normally starts its template server as a fresh interpreter that imports
:data:`.kfp_fork.PRELOAD` (about 5 s of CPU). A grading kernel forked from the kernel template
has imported most of that already, so :func:`prefork` forks the server from the kernel itself,
in :func:`mlops_course.grading.kernel_template.run_kernel`: after the sandbox, the environment
and the seeds are set, before ipykernel starts (single-threaded, no event loop: a running loop
cannot be forked, ipykernel PR #410) and before any learner code runs. The server lives in the
kernel's namespaces and sandbox, imports only what of ``PRELOAD`` is still missing (in the
server, not in the kernel), dies with the kernel, and is what :func:`.kfp_fork.start` adopts
(module state: nothing in the environment says it exists). If it is gone by then, or was
forked with other import-time variables, ``start`` starts a fresh one as it always did.
"""

from __future__ import annotations

import atexit
import os
import signal
import subprocess
import sys
import time
import traceback

from mlops_course.util import single_threaded
from mlops_course.workflows import kfp_fork


class ForkedServer:
    """What :class:`.kfp_fork.TemplateServer` needs of a ``Popen``, for a server forked from this process."""

    def __init__(self, pid: int) -> None:
        self.pid = pid
        self.returncode: int | None = None

    def poll(self) -> int | None:
        if self.returncode is None:
            try:
                pid, status = os.waitpid(self.pid, os.WNOHANG)
            except ChildProcessError:  # reaped by someone else (a learner's os.wait()): gone all the same
                self.returncode = -signal.SIGKILL
            else:
                if pid:
                    self.returncode = os.waitstatus_to_exitcode(status)
        return self.returncode

    def terminate(self) -> None:
        if self.poll() is None:
            os.kill(self.pid, signal.SIGTERM)

    def wait(self, timeout: float | None = None) -> int:
        deadline = None if timeout is None else time.monotonic() + timeout
        while (code := self.poll()) is None:
            if deadline is not None and time.monotonic() > deadline:
                raise subprocess.TimeoutExpired("kfp step server", timeout or 0)
            time.sleep(0.02)
        return code


def _fork(server: kfp_fork.TemplateServer, preload: tuple[str, ...]) -> ForkedServer:
    """Fork the server for ``server`` (its folder, socket and shim are made): the child serves, never returns."""
    parent = os.getpid()
    for stream in (sys.stdout, sys.stderr):
        stream.flush()
    pid = os.fork()
    if pid:
        return ForkedServer(pid)
    code = 70
    try:
        log = os.open(server.folder / "server.log", os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        devnull = os.open(os.devnull, os.O_RDONLY)
        for fd, target in ((devnull, 0), (log, 1), (log, 2)):
            os.dup2(fd, target)
        for fd in {log, devnull} - {0, 1, 2}:
            os.close(fd)
        os.environ.update(kfp_fork._SERVER_ENV)
        kfp_fork._state["server"] = None  # the kernel's, not the server's
        missing = [name for name in preload if name not in sys.modules]
        kfp_fork.serve(str(server.socket), parent, True, missing)
        code = 0
    except BaseException:
        traceback.print_exc()
    finally:
        os._exit(code)


def prefork() -> kfp_fork.TemplateServer | None:
    """Fork this process's step server now (``kfp_fork.start`` adopts it); ``None`` where it may not:
    forked steps switched off (``MLOPS_COURSE_KFP_FORK=0``), another thread alive, no usable folder."""
    if not kfp_fork.enabled() or kfp_fork._state["server"] is not None or not single_threaded():
        return None
    try:
        server = kfp_fork.TemplateServer(kfp_fork.PRELOAD, fork=_fork)
    except OSError:
        return None
    kfp_fork._state["server"] = server
    atexit.register(kfp_fork.stop)
    return server
