"""A pre-imported kernel template: each grading kernel is a fork of it.

``python -m mlops_course.grading.kernel_template SOCKET MODULES_JSON`` is started once per
grading run (see :mod:`.fork_provisioner`). It imports ipykernel, the grader's kernel
guard and what the exercises' setup cells import, checks that it is single-threaded,
prints one JSON line ``{"ready": ..., "threads": N, "failed": [...]}`` on stdout, and then
only does ``accept`` -> ``fork`` -> ``close`` on a Unix socket: it never reads a request
itself, so no submission's data (connection keys included) is ever in its memory, and no
event loop ever runs in it (ipykernel PR #410: a running loop cannot be forked).

The forked child (the *supervisor*) reads the request (sandbox config, connection file,
the runner's pid), enters new user, mount and PID namespaces exactly as ``unshare`` does
for today's path, and forks the kernel, which is PID 1 of its namespace. The kernel
mounts its own ``/proc``, goes through :func:`.sandbox.enter` (private file system,
hidden folders, rlimits), takes the sandbox's scrubbed environment, gets fresh random
seeds, forks its KFP step server if the notebook uses KFP's local runner
(:mod:`mlops_course.workflows.kfp_prefork`) and runs ipykernel on its own connection file.
The supervisor kills the kernel when the runner that asked for it ends, and ends with it;
the kernel dies with its supervisor.
"""

from __future__ import annotations

import ctypes
import gc
import importlib
import json
import os
import select
import signal
import socket
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from mlops_course.grading import kernel_snapshot
from mlops_course.grading.kernel_state import BASE_IMPORTS, BASE_PROTECTED
from mlops_course.util import become_subreaper, die_with_parent, reap_children

_CLONE_NEWNS, _CLONE_NEWUSER, _CLONE_NEWPID = 0x00020000, 0x10000000, 0x20000000
_MAX_REQUEST = 1024 * 1024
_MAIN_PATH = [""]  # the template's script folder on sys.path: the kernel's work folder instead
#: always imported: what starting the kernel imports (``IPKernelApp.initialize`` loads the
#: debugger, hence debugpy; IPython's completer, debugger, logger, inspector and storemagic;
#: sqlite3 for the history; tornado's asyncio loop; psutil; faulthandler) and what the grader's
#: setup cell imports (:data:`.kernel_state.BASE_IMPORTS`). Each kernel would otherwise import
#: them again (about 0.2 s of CPU per submission, measured).
BASE_MODULES = (
    "ipykernel.kernelapp",
    "ipykernel.ipkernel",
    "ipykernel.debugger",
    "IPython.core.completerlib",
    "IPython.core.debugger",
    "IPython.core.logger",
    "IPython.core.oinspect",
    "IPython.extensions.storemagic",
    "sqlite3",
    "tornado.platform.asyncio",
    "tornado.queues",
    "psutil",
    "faulthandler",
    "encodings.idna",
    "mlops_course.grading.kernel_guard",
    *BASE_IMPORTS,
    "random",
)

#: not preloaded (as in :mod:`mlops_course.workflows.kfp_fork`'s step server): jsonschema's optional
#: IRI checker, whose grammar costs 1.4-3 s of the template's start; a kernel may still import it
SKIPPED = ("rfc3987_syntax",)


def _libc() -> Any:
    return ctypes.CDLL(None, use_errno=True)


def thread_count() -> int:
    """Threads of this process, as the kernel sees them (``/proc/self/task``)."""
    return len(os.listdir("/proc/self/task"))


def preload(modules: list[str]) -> list[str]:
    """Import ``modules`` (and the base ones); returns those that failed to import."""
    failed = []
    gc.disable()  # a collection every few thousand new objects while importing costs ~25% (measured)
    for name in SKIPPED:  # a None entry makes its import fail fast while preloading
        sys.modules.setdefault(name, None)  # type: ignore[arg-type]
    try:
        for name in [*BASE_MODULES, *modules]:
            try:
                importlib.import_module(name)
            except Exception:
                failed.append(name)
    finally:
        for name in SKIPPED:  # the kernel may still import it itself
            if name in sys.modules and sys.modules[name] is None:
                del sys.modules[name]
        gc.collect()
        gc.enable()
    return failed


def serve(sock_path: str, modules: list[str]) -> None:
    """The template: preload, report, then fork one supervisor per connection."""
    die_with_parent()  # ends with the grader
    # a kernel whose supervisor was killed is reaped here, not by the host's init: its CPU time
    # then counts in the template's children, as a kernel's counts in the runner's on today's path
    become_subreaper()
    _MAIN_PATH[0] = sys.path[0]
    failed = preload(modules)
    # the kernel guard's snapshot of the modules, taken once here and shared by every kernel
    # (each kernel's install only re-takes what changed since; see kernel_snapshot)
    kernel_snapshot.prepare(BASE_PROTECTED + tuple(modules))
    fork_per_connection(sock_path, supervise, failed)


def fork_per_connection(sock_path: str, handle: Callable[[socket.socket], int], failed: list[str]) -> None:
    """Listen on ``sock_path``, report readiness on stdout, then fork ``handle(conn)`` per connection.

    Only a single-threaded process may fork safely: with another thread alive the report says
    ``ready: false`` and nothing is served.
    """
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    listener.bind(sock_path)
    listener.listen(128)
    threads = thread_count()
    sys.stdout.write(json.dumps({"ready": threads == 1, "threads": threads, "failed": failed}) + "\n")
    sys.stdout.flush()
    if threads != 1:
        return
    gc.freeze()  # the preloaded objects: no collection in a child walks them (and copies their pages)
    while True:
        for _ in reap_children():  # supervisors and orphaned kernels that have ended
            pass
        ready, _, _ = select.select([listener], [], [], 0.5)
        if not ready:
            continue
        conn, _ = listener.accept()
        pid = os.fork()
        if pid == 0:
            code = 70
            try:
                listener.close()
                code = handle(conn)
            finally:
                os._exit(code)
        conn.close()


def _read_request(conn: socket.socket) -> dict[str, Any]:
    data = b""
    while not data.endswith(b"\n"):
        chunk = conn.recv(65536)
        if not chunk or len(data) > _MAX_REQUEST:
            raise ValueError("incomplete request")
        data += chunk
    request = json.loads(data)
    if not isinstance(request, dict):
        raise ValueError("bad request")
    return request


def read_answer(client: socket.socket) -> dict[str, Any]:
    """A template's one-line JSON answer to a request (``{}`` when it closed without one)."""
    reply = b""
    while not reply.endswith(b"\n"):
        chunk = client.recv(4096)
        if not chunk:
            break
        reply += chunk
    answer: dict[str, Any] = json.loads(reply or b"{}")
    return answer


def _reply(conn: socket.socket, message: dict[str, Any]) -> None:
    conn.sendall((json.dumps(message) + "\n").encode())


def _enter_namespaces() -> None:
    """What ``unshare --user --map-root-user --mount --pid --fork`` does before its fork."""
    uid, gid = os.getuid(), os.getgid()
    if _libc().unshare(_CLONE_NEWUSER | _CLONE_NEWNS | _CLONE_NEWPID) != 0:
        errno = ctypes.get_errno()
        raise OSError(errno, f"unshare: {os.strerror(errno)}")
    Path("/proc/self/setgroups").write_text("deny")
    Path("/proc/self/uid_map").write_text(f"0 {uid} 1")
    Path("/proc/self/gid_map").write_text(f"0 {gid} 1")
    from mlops_course.grading.sandbox import _MS_PRIVATE_REC, _mount

    _mount("none", "/", None, _MS_PRIVATE_REC, None)


def supervise(conn: socket.socket) -> int:
    """The forked supervisor: read the request, make the kernel, wait for it or the runner."""
    try:
        os.setsid()  # its own process group: kill(0, ...) from below never reaches the template
        request = _read_request(conn)
        watch = os.pidfd_open(int(request["runner_pid"]))
        if request["config"]["mode"] == "namespaces":
            _enter_namespaces()
    except Exception as exc:
        _reply(conn, {"error": f"{type(exc).__name__}: {exc}"})
        return 71
    kernel = os.fork()
    if kernel == 0:
        code = 72
        try:
            conn.close()
            os.close(watch)
            code = run_kernel(request)
        finally:
            os._exit(code)
    _reply(conn, {"pid": os.getpid()})
    conn.close()
    kernel_fd = os.pidfd_open(kernel)
    ready, _, _ = select.select([watch, kernel_fd], [], [])
    if watch in ready:
        os.kill(kernel, signal.SIGKILL)
    _, status = os.waitpid(kernel, 0)
    return os.waitstatus_to_exitcode(status) & 0xFF


def _close_inherited_fds() -> None:
    for name in os.listdir("/proc/self/fd"):
        fd = int(name)
        if fd > 2:
            try:
                os.close(fd)
            except OSError:
                pass


def run_kernel(request: dict[str, Any]) -> int:
    """PID 1 of the new namespaces: sandbox, fresh seeds, then ipykernel (returns at exit)."""
    from mlops_course.grading import sandbox

    die_with_parent()
    # the kernel stays in its supervisor's process group (the supervisor's own, see supervise), as a
    # kernel shares unshare's group on today's path: kill(0, ...) ends this kernel, nothing else
    Path("/proc/self/oom_score_adj").write_text("1000")  # the kernel, not a template, is the OOM victim
    _close_inherited_fds()
    config = sandbox.SandboxConfig(**request["config"])
    if config.mode == "namespaces":
        sandbox._mount("none", "/proc", None, sandbox._MS_PRIVATE_REC, None)
        sandbox._mount("proc", "/proc", "proc", sandbox._MS_NOSUID | sandbox._MS_NODEV | sandbox._MS_NOEXEC, None)
    conn_file = sandbox.enter(config, request["connection"].encode(), request["connection_file"], request["kept"])
    devnull = os.open(os.devnull, os.O_RDWR)
    os.dup2(devnull, 2)
    os.close(devnull)
    env = sandbox.kernel_env(config)  # read before clearing: it keeps the template's MLOPS_COURSE_KFP_FORK
    os.environ.clear()
    os.environ.update(env)
    fresh_seeds()
    sys.path[:] = [config.workdir if p == _MAIN_PATH[0] else p for p in sys.path]
    if config.kfp_server:  # still one thread, no event loop, no learner code: KFP's step server forks from here
        from mlops_course.workflows import kfp_prefork

        kfp_prefork.prefork()
    sys.argv = [sys.executable, "-m", "ipykernel_launcher", "-f", conn_file]
    from ipykernel.kernelapp import IPKernelApp

    app = IPKernelApp.instance()
    app.initialize(["-f", conn_file])
    app.start()
    return 0


def fresh_seeds() -> None:
    """New random state for ``random`` and numpy's global generator (the fork copied the
    template's)."""
    import random

    random.seed(os.urandom(32))
    numpy = sys.modules.get("numpy")
    if numpy is not None:
        numpy.random.seed(int.from_bytes(os.urandom(4), "little"))


def main(argv: list[str]) -> None:
    """``python -m mlops_course.grading.kernel_template SOCKET MODULES_JSON``."""
    serve(argv[0], list(json.loads(argv[1])))


if __name__ == "__main__":
    main(sys.argv[1:])
