"""A pre-imported runner template: each submission's pytest + nbval runner is a fork of it.

Starting ``python -m mlops_course.grading.runner`` costs about 0.6 s of CPU per
submission, nearly all of it importing pytest, nbval, jupyter_client and nbformat. On the
fast path the grader starts this template once; it imports all that, checks it is
single-threaded, reports on stdout like :mod:`.kernel_template`, then does only
``accept`` -> ``fork`` -> ``close``. The forked child receives the job over the socket,
with the verdict pipe and the log file as file descriptors (``SCM_RIGHTS``), takes the
runner's environment, starts a new session in the job folder and runs
:func:`.runner.main` exactly as the ``python -m`` runner does. Each submission still has
its own runner process (fresh pytest state, killed as a tree on the deadline); only the
imports are shared.
"""

from __future__ import annotations

import gc
import importlib
import json
import os
import socket
import sys
from typing import Any

from mlops_course.grading.kernel_template import _reply, fork_per_connection, read_answer
from mlops_course.util import die_with_parent

#: what a runner imports: pytest (and, when it configures a run, its built-in plugins, its
#: argument completion, pdb and readline), nbval, jupyter_client (its kernelspec manager asks
#: IPython for folders), nbformat, psutil and the grader's own modules
PRELOAD = (
    "pytest",
    "_pytest._argcomplete",
    "pdb",
    "readline",
    "faulthandler",
    "encodings.unicode_escape",
    "nbval.kernel",
    "nbval.plugin",
    "jupyter_client.manager",
    "IPython.paths",
    "nbformat",
    "psutil",
    "mlops_course.paths",
    "mlops_course.grading.fork_provisioner",
    "mlops_course.grading.kernel_guard",
    "mlops_course.grading.runner",
    "mlops_course.grading.sandbox",
)


def preload() -> None:
    """Import what every runner imports, once, in the template."""
    from mlops_course.grading import skip_iri_grammar

    skip_iri_grammar()
    from _pytest.config import default_plugins

    gc.disable()  # as the kernel template: no collections while importing
    try:
        for name in (*PRELOAD, *(f"_pytest.{plugin}" for plugin in default_plugins)):
            importlib.import_module(name)
    finally:
        gc.collect()
        gc.enable()
    from nbformat.validator import get_validator

    from mlops_course.grading.fork_provisioner import register

    get_validator(4, 4)  # nbformat compiles the notebook schema once per process (graded notebooks are 4.4)
    register()  # jupyter_client reads every installed package's entry points to list the provisioners


def serve(sock_path: str) -> None:
    """The template: preload, report, then fork one runner per connection."""
    die_with_parent()
    preload()
    fork_per_connection(sock_path, run_forked, [])


def run_forked(conn: socket.socket) -> int:
    """The forked runner: take the job's fds and environment, then run it."""
    from mlops_course.grading import runner

    msg, fds, _, _ = socket.recv_fds(conn, 1024 * 1024, 2)
    if len(fds) != 2:
        return 71
    while not msg.endswith(b"}"):  # the rest of the request, up to the client's shutdown
        chunk = conn.recv(1024 * 1024)
        if not chunk:
            break
        msg += chunk
    request: dict[str, Any] = json.loads(msg)
    pipe_fd, log_fd = fds
    os.setsid()
    devnull = os.open(os.devnull, os.O_RDONLY)
    os.dup2(devnull, 0)
    os.dup2(log_fd, 1)
    os.dup2(log_fd, 2)
    for fd in (devnull, log_fd):
        os.close(fd)
    os.environ.clear()
    os.environ.update(request["env"])
    os.chdir(request["job_dir"])
    sys.argv = [sys.executable, "-m", "mlops_course.grading.runner", request["job_dir"], "--fd", str(pipe_fd)]
    _reply(conn, {"pid": os.getpid()})
    conn.close()
    runner.main([request["job_dir"], "--fd", str(pipe_fd)])
    return 0


def request_runner(sock_path: str, job_dir: str, env: dict[str, str], pipe_fd: int, log_fd: int) -> int:
    """Ask the template for a runner of ``job_dir``; returns its pid."""
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as client:
        client.settimeout(60)
        client.connect(sock_path)
        payload = json.dumps({"job_dir": job_dir, "env": env}).encode()
        socket.send_fds(client, [payload], [pipe_fd, log_fd])
        client.shutdown(socket.SHUT_WR)
        answer = read_answer(client)
    if "pid" not in answer:
        raise RuntimeError(f"the runner template could not start a runner: {answer}")
    return int(answer["pid"])


if __name__ == "__main__":
    serve(sys.argv[1])
