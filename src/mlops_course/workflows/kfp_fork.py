"""Run KFP local steps in processes forked from a pre-imported template, not started afresh.

KFP's local runner starts each component as ``sh -c '... python -m kfp.dsl.executor_main ...'``,
which re-imports kfp, pandas, scikit-learn and MLflow: seconds of CPU per step. Here a *template
server* (a fresh ``python -m mlops_course.workflows.kfp_fork serve``, not a fork of the kernel)
imports :data:`PRELOAD` once and waits on a Unix socket in a private 0700 temp folder. KFP runs a
tiny *shim* in place of the interpreter: it sends the server its argv, cwd, environment and fds
0/1/2; a forked child runs the module as ``python -m`` would (same output on KFP's pipe, same exit
status) and the shim exits with it. Whatever is missing (not Linux, no server, refused), the shim
``exec``\\ s the real interpreter instead: a step never fails because of this machinery.

A grading kernel gets its server differently (:mod:`.kfp_prefork`): forked from the kernel before
ipykernel starts, already holding what the kernel template imported; :func:`start` adopts it.
"""

from __future__ import annotations

import atexit
import contextlib
import gc
import importlib
import marshal
import os
import random
import runpy
import select
import shutil
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import threading
import types
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any

from mlops_course.util import die_with_parent, reap_children, single_threaded

ENV_SWITCH = "MLOPS_COURSE_KFP_FORK"
#: Imported by the server before it forks: what the steps of module 2, ex1 and ``workflows`` import
#: (measured), not kfp.dsl.executor_main itself (``-m`` runs it as ``__main__``); skops.io before
#: MLflow (it scans the modules already loaded when imported). Imports that fail are skipped.
_PRELOAD_NAMES = """
    kfp.dsl.executor kfp.dsl.kfp_config numpy pandas pyarrow.parquet pyarrow.dataset pyarrow.pandas_compat
    sklearn.compose sklearn.impute sklearn.linear_model sklearn.metrics sklearn.pipeline sklearn.preprocessing
    skops.io mlflow mlflow.sklearn mlflow.pyfunc mlflow.models.display_utils mlflow.tracing.processor.otel
    mlflow.tracing.export.utils mlflow.store.tracking.sqlalchemy_workspace_store
    mlflow.store.model_registry.sqlalchemy_workspace_store sqlalchemy.dialects.sqlite alembic.command
    alembic.config git IPython mlops_course.data mlops_course.models mlops_course.tracking
    mlops_course.workflows.credit_steps
"""
PRELOAD = tuple(_PRELOAD_NAMES.split())
#: Only these modules run in a forked child; any other ``-m`` (pip, ensurepip) starts afresh.
FORKED_MODULES = ("kfp.dsl.executor_main",)
#: Variables read when modules are imported: a request whose values differ from the server's starts afresh.
_IMPORT_TIME_ENV = ("MLOPS_COURSE_HOME", "LANG", "LC_ALL", "LC_CTYPE", "TZ")
#: Set in the server only, so that no library starts a thread while importing (OpenBLAS, Arrow's jemalloc).
_SERVER_ENV = {"OPENBLAS_NUM_THREADS": "1", "JE_ARROW_MALLOC_CONF": "background_thread:false"}
#: Not preloaded: jsonschema's optional IRI checker (its grammar costs 1.4 s+; a step may import it).
_SKIPPED = ("rfc3987_syntax",)
_ACCEPT_WAIT_S = 90.0  # for the server to finish its imports and take the step

_SHIM = """#!{exe} -IS
import os, signal, socket, struct, sys, time
REAL, SOCK = {exe!r}, {sock!r}
def fallback():
    os.execv(REAL, [REAL, *sys.argv[1:]])
args = sys.argv[1:]
if os.environ.get({switch!r}) == "0" or len(args) < 2 or args[0] != "-m" or args[1] not in {modules!r}:
    fallback()
try:
    conn = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    deadline = time.monotonic() + 10  # for the server (just started) to bind its socket
    while not os.path.exists(SOCK) and time.monotonic() < deadline:
        time.sleep(0.05)
    conn.connect(SOCK)
    env = [(os.fsencode(k), os.fsencode(v)) for k, v in os.environ.items()]
    payload = __import__("marshal").dumps(([os.fsencode(a) for a in args], os.fsencode(os.getcwd()), env))
    socket.send_fds(conn, [struct.pack("!I", len(payload))], [0, 1, 2])
    conn.sendall(payload)
    conn.settimeout({accept_wait})
    if conn.recv(1) != b"A":
        raise OSError("refused")
    conn.sendall(b"G")
except OSError:
    fallback()
signal.signal(signal.SIGINT, signal.SIG_IGN)  # the step (same process group) gets it and decides
conn.settimeout(None)
reply = conn.recv(5, socket.MSG_WAITALL)
if len(reply) < 5:
    sys.stderr.write("kfp_fork: the step's template server ended during the step\\n")
    os._exit(1)
code = os.waitstatus_to_exitcode(struct.unpack("!i", reply[1:])[0])
if code < 0:  # killed by a signal: so is the shim
    signal.signal(-code, signal.SIG_DFL)
    os.kill(os.getpid(), -code)
os._exit(code if code >= 0 else 128 - code)
"""


def enabled() -> bool:
    """Whether steps may run forked here: Linux, and ``MLOPS_COURSE_KFP_FORK`` is not ``0``."""
    return sys.platform == "linux" and os.environ.get(ENV_SWITCH, "1") != "0" and hasattr(socket, "send_fds")


# -- the kernel's side --------------------------------------------------------------------
def _import_env(env: Mapping[str, str]) -> dict[str, str]:
    """The variables a step's imports read: a server forks only steps whose values are its own."""
    return {k: v for k, v in env.items() if k.startswith("PYTHON") or k in _IMPORT_TIME_ENV}


class TemplateServer:
    """A running template server started by this process: its folder, socket, shim and process.

    ``fork``, if given, makes the process instead of ``Popen`` (:func:`.kfp_prefork.prefork`)."""

    def __init__(
        self, preload: tuple[str, ...], fork: Callable[[TemplateServer, tuple[str, ...]], Any] | None = None
    ) -> None:
        self.folder = Path(tempfile.mkdtemp(prefix="kfp-fork-"))  # mode 0700
        self.socket = self.folder / "server.sock"
        self.shim = self.folder / "python"
        self.owner = os.getpid()
        if os.statvfs(self.folder).f_flag & os.ST_NOEXEC or len(os.fsencode(self.socket)) > 100:
            self.folder.rmdir()
            raise OSError(f"{self.folder}: on a noexec file system, or too long a path for a socket")
        constants = {"switch": ENV_SWITCH, "modules": FORKED_MODULES, "accept_wait": _ACCEPT_WAIT_S}
        self.shim.write_text(_SHIM.format(exe=sys.executable, sock=str(self.socket), **constants))
        self.shim.chmod(0o700)
        self.forked, self.import_env = fork is not None, _import_env(os.environ)
        if fork is not None:
            self.process: Any = fork(self, preload)
            return
        main_thread = threading.current_thread() is threading.main_thread()
        argv = [sys.executable, "-m", __name__, "serve", str(self.socket), str(os.getpid()), str(int(main_thread))]
        argv += preload
        with open(self.folder / "server.log", "wb") as log:
            self.process = subprocess.Popen(
                argv, stdin=subprocess.DEVNULL, stdout=log, stderr=log, env={**os.environ, **_SERVER_ENV}
            )

    def alive(self) -> bool:
        return self.owner == os.getpid() and self.process.poll() is None

    def stop(self) -> None:
        """Ask the server to exit (steps still running end with it) and remove its folder."""
        if self.owner != os.getpid():
            return
        if self.process.poll() is None:
            self.process.terminate()
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.process.wait(timeout=5)
        shutil.rmtree(self.folder, ignore_errors=True)


_state: dict[str, Any] = {"server": None}


def start(fork_steps: bool = True) -> TemplateServer | None:
    """Make KFP's subprocess runner fork steps from this process's template server (started
    once, reused later; returned) or, with ``fork_steps=False``, start fresh interpreters."""
    if not fork_steps:
        stop()
    if not (fork_steps and enabled()):
        return None
    _patch_kfp()
    server = _state["server"]
    if server is not None and server.forked and server.alive() and _import_env(os.environ) != server.import_env:
        server.stop()  # forked before the kernel changed an import-time variable: its steps would start afresh
    if server is None or not server.alive():
        if server is not None:
            server.stop()
        try:
            server = TemplateServer(PRELOAD)
        except OSError:
            return None
        if _state["server"] is None:
            atexit.register(stop)
        _state["server"] = server
    return server


def stop() -> None:
    """Stop this process's template server, if any; steps then start fresh interpreters."""
    server, _state["server"] = _state["server"], None
    if server is not None:
        server.stop()


def current_shim() -> str | None:
    """The shim to run steps with now, or ``None`` (fresh interpreters)."""
    server = _state["server"]
    if enabled() and server is not None and server.alive():
        return str(server.shim)
    return None


def _patch_kfp() -> None:
    """Wrap ``kfp.local.subprocess_task_handler.environment`` (once) so it yields the shim."""
    from kfp.local import subprocess_task_handler as handler

    original = handler.environment
    if getattr(original, "_mlops_course_fork", False):
        return

    @contextlib.contextmanager
    def environment(use_venv: bool, runner_config: Any = None, has_pip_install: bool = False) -> Iterator[str]:
        with original(use_venv, runner_config, has_pip_install) as executable:
            shim = current_shim()
            yield shim if shim is not None and not use_venv and executable == sys.executable else executable

    environment._mlops_course_fork = True  # type: ignore[attr-defined]
    handler.environment = environment


# -- the template server ------------------------------------------------------------------
def _recv_exactly(conn: socket.socket, size: int) -> bytes:
    if len(data := conn.makefile("rb").read(size)) < size:
        raise OSError("the shim closed the connection")
    return data


class _Server:
    def __init__(self, sock_path: str, parent: int) -> None:
        self.parent = parent
        self.handlers = {s: signal.getsignal(s) for s in signal.valid_signals() - {signal.SIGKILL, signal.SIGSTOP}}
        signal.signal(signal.SIGINT, signal.SIG_IGN)  # an interrupt of the kernel's group is for the steps
        self.env = dict(os.environ)
        self.listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.listener.bind(sock_path)  # before importing: shims that come early wait in the backlog
        self.listener.listen(64)
        self.wake_r, self.wake_w = socket.socketpair()
        self.wake_w.setblocking(False)
        self.running: dict[int, socket.socket] = {}

    def preload(self, names: list[str]) -> None:
        gc.disable()  # a collection every few thousand objects while importing costs ~25% (measured)
        for name in _SKIPPED:
            sys.modules.setdefault(name, None)  # type: ignore[arg-type]  # a None entry makes its import fail fast
        for name in names:
            try:
                importlib.import_module(name)
            except Exception as exc:  # a missing optional library only costs its step time
                print(f"kfp_fork: preload {name} failed: {exc!r}", file=sys.stderr, flush=True)
        gc.collect()
        gc.freeze()  # what is loaded now stays out of collections: children do not copy those pages
        gc.enable()

    def serve(self) -> None:
        signal.signal(signal.SIGTERM, lambda *_: self.shutdown())
        signal.signal(signal.SIGCHLD, lambda *_: None)
        signal.set_wakeup_fd(self.wake_w.fileno())
        while True:
            if os.getppid() != self.parent:
                self.shutdown()
            waiting = [self.listener, self.wake_r, *self.running.values()]
            readable, _, _ = select.select(waiting, [], [], 1.0)
            if self.wake_r in readable:
                self.wake_r.recv(4096)  # SIGCHLD: reap below
            self.reap()
            for pid, conn in list(self.running.items()):
                if conn in readable and pid in self.running:  # the shim went away: so does its step
                    with contextlib.suppress(ProcessLookupError):
                        os.kill(pid, signal.SIGKILL)
            if self.listener in readable:
                conn, _ = self.listener.accept()
                try:
                    self.take(conn)
                except OSError as exc:
                    print(f"kfp_fork: request dropped: {exc!r}", file=sys.stderr, flush=True)
                    conn.close()

    def reap(self) -> None:
        for pid, status in reap_children():
            if (conn := self.running.pop(pid, None)) is not None:
                with contextlib.suppress(OSError):
                    conn.sendall(b"X" + struct.pack("!i", status))
                conn.close()

    def take(self, conn: socket.socket) -> None:
        conn.settimeout(10)
        creds = conn.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED, struct.calcsize("3i"))
        if struct.unpack("3i", creds)[1] != os.getuid():
            raise OSError("a shim of another user")
        header, fds, _, _ = socket.recv_fds(conn, 4, 3)
        try:
            if len(fds) != 3 or len(header) != 4:
                raise OSError("a request without its three file descriptors")
            argv, cwd, env_items = marshal.loads(_recv_exactly(conn, struct.unpack("!I", header)[0]))
            env = {os.fsdecode(k): os.fsdecode(v) for k, v in env_items}
            if not self.can_fork(env):
                return conn.sendall(b"F")  # the shim starts a fresh interpreter
            conn.sendall(b"A")
            if _recv_exactly(conn, 1) != b"G":
                raise OSError("the shim did not confirm")
            sys.stdout.flush(), sys.stderr.flush()
            pid = os.fork()
            if pid == 0:
                self.child(fds, [os.fsdecode(a) for a in argv], os.fsdecode(cwd), env, conn)
            conn.settimeout(None)
            self.running[pid] = conn
        finally:
            for fd in fds:
                os.close(fd)

    def can_fork(self, env: dict[str, str]) -> bool:
        if _import_env(env) != _import_env(self.env):
            return False
        if not single_threaded():
            print("kfp_fork: not single-threaded, steps start afresh", file=sys.stderr, flush=True)
            return False
        return True

    def child(self, fds: list[int], argv: list[str], cwd: str, env: dict[str, str], conn: socket.socket) -> None:
        code = 1
        try:
            die_with_parent()
            signal.set_wakeup_fd(-1)
            for sock in (self.listener, self.wake_r, self.wake_w, conn, *self.running.values()):
                sock.close()
            for target, fd in enumerate(fds):
                os.dup2(fd, target)
                os.close(fd)
            for sig, handler in self.handlers.items():
                with contextlib.suppress(OSError, ValueError, TypeError):
                    signal.signal(sig, handler)
            os.chdir(cwd)
            os.environ.clear()
            os.environ.update(env)
            code = run_module(argv)
        finally:
            os._exit(code)

    def shutdown(self) -> None:
        for pid in self.running:  # steps in flight end with the server, as they would with the kernel
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        os._exit(0)


def _exit_code(exc: SystemExit) -> int:  # as CPython for an uncaught SystemExit
    if exc.code is None or isinstance(exc.code, int):
        return (exc.code or 0) & 0xFF
    with contextlib.suppress(Exception):
        print(exc.code, file=sys.stderr)
    return 1


def run_module(argv: list[str]) -> int:
    """Run ``["-m", module, *args]`` as ``python -m`` would in a new process (fresh ``__main__`` and
    random seeds, excepthook, threads joined, atexit, flush); returns the exit status."""
    sys.argv = list(argv)
    sys.path[0] = os.getcwd()
    random.seed()
    if "numpy.random" in sys.modules:
        sys.modules["numpy.random"].seed()
    for name in _SKIPPED:
        if name in sys.modules and sys.modules[name] is None:
            del sys.modules[name]
    package, _, leaf = argv[1].rpartition(".")
    if sys.modules.pop(argv[1], None) is not None and package in sys.modules:  # not imported by python -m
        with contextlib.suppress(AttributeError):
            delattr(sys.modules[package], leaf)
    main = types.ModuleType("__main__")
    main.__dict__["__builtins__"] = __builtins__
    sys.modules["__main__"] = main
    code, interrupted = 0, False
    try:
        runpy._run_module_as_main(argv[1], True)  # type: ignore[attr-defined]  # what python -m calls
    except SystemExit as exc:
        code = _exit_code(exc)
    except BaseException as exc:  # as the interpreter: print it, exit 1
        interrupted = isinstance(exc, KeyboardInterrupt)
        tb = exc.__traceback__.tb_next if exc.__traceback__ else None  # from runpy's frame, as python -m
        with contextlib.suppress(Exception):
            sys.excepthook(type(exc), exc.with_traceback(tb), tb)
        code = 1
    for finish in (threading._shutdown, atexit._run_exitfuncs):  # type: ignore[attr-defined]
        with contextlib.suppress(BaseException):
            finish()
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(Exception):
            stream.flush()
    if interrupted:  # CPython ends by SIGINT after an uncaught KeyboardInterrupt
        signal.signal(signal.SIGINT, signal.SIG_DFL)
        os.kill(os.getpid(), signal.SIGINT)
    return code


def serve(sock_path: str, parent: int, deathsig: bool, preload: list[str]) -> None:
    """The template server's main: bind, import ``preload``, fork one child per step."""
    if deathsig:  # the parent's thread that started us is its main thread: it ends with the parent
        die_with_parent()
    if os.getppid() != parent:
        return
    (server := _Server(sock_path, parent)).preload(preload)
    server.serve()


if __name__ == "__main__":
    if sys.argv[1:2] != ["serve"] or len(sys.argv) < 5:
        sys.exit("usage: python -m mlops_course.workflows.kfp_fork serve SOCKET PARENT_PID DEATHSIG [MODULE...]")
    serve(sys.argv[2], int(sys.argv[3]), sys.argv[4] == "1", sys.argv[5:])
