"""Small plumbing shared by the course's content and tooling: ports, health waits, hashes, atomic writes.

Each idea lives here once; modules import it rather than keeping their own copy.
"""

from __future__ import annotations

import contextlib
import graphlib
import hashlib
import json
import os
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any


def free_port(host: str = "127.0.0.1") -> int:
    """A TCP port on ``host`` that the operating system says is free right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


def wait_until_healthy(
    url: str,
    process: subprocess.Popen | None = None,
    *,
    timeout: float = 90.0,
    log_path: str | Path | None = None,
    what: str = "the server",
    error: type[Exception] = RuntimeError,
) -> None:
    """Block until ``GET url`` answers 200, bounded by ``timeout`` seconds.

    Args:
        url: the health endpoint, e.g. ``http://127.0.0.1:5000/health``.
        process: the server's process; its exit stops the wait at once.
        timeout: seconds to wait in all.
        log_path: the server's log; its tail goes into the error message.
        what: how the message names the server.
        error: the exception type to raise.

    Raises:
        error: the process exited, or no 200 came within ``timeout``; the message shows the log's tail.
    """
    import requests

    deadline = time.monotonic() + timeout
    exited = False
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            exited = True
            break
        with contextlib.suppress(requests.RequestException):
            if requests.get(url, timeout=2.0).status_code == 200:
                return
        time.sleep(0.2)
    tail = ""
    if log_path is not None and Path(log_path).exists():
        tail = "; its log ends with:\n" + Path(log_path).read_text(encoding="utf-8", errors="replace")[-2000:]
    if exited:
        raise error(f"{what} exited (code {process.returncode if process else '?'}) while starting{tail}")
    raise error(f"{what} did not answer {url} within {timeout:.0f} s{tail}")


def sha256_hex(data: bytes | str) -> str:
    """The SHA-256 of ``data`` (text is encoded as UTF-8) as 64 hex digits."""
    return hashlib.sha256(data.encode("utf-8") if isinstance(data, str) else data).hexdigest()


def atomic_write_bytes(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` so readers see the old file or the new one, never half.

    Args:
        path: the target file; its folder is created if missing.
        data: the complete new content.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def atomic_write_text(path: Path, text: str) -> None:
    """Atomically write UTF-8 text."""
    atomic_write_bytes(path, text.encode("utf-8"))


def atomic_write_json(path: Path, payload: Any) -> None:
    """Atomically write JSON (sorted keys, indented, trailing newline)."""
    atomic_write_text(path, json.dumps(payload, indent=2, sort_keys=True, ensure_ascii=False) + "\n")


def topological_order(names: Sequence[str], depends_on: Mapping[str, Iterable[str]]) -> list[str]:
    """Order ``names`` so each comes after what it depends on; the earliest ready name goes first.

    Args:
        names: every node, in declaration order (which breaks ties).
        depends_on: node to the nodes it needs; each must be in ``names``.

    Returns:
        The names in an order that respects every dependency.

    Raises:
        ValueError: a dependency is unknown, or the dependencies form a cycle (the message names it).
    """
    position = {name: index for index, name in enumerate(names)}
    sorter: graphlib.TopologicalSorter[str] = graphlib.TopologicalSorter()
    for name in names:
        needs = list(depends_on.get(name, ()))
        unknown = [need for need in needs if need not in position]
        if unknown:
            raise ValueError(
                f"{name!r} depends on {unknown}, which {'is' if len(unknown) == 1 else 'are'} not defined."
            )
        sorter.add(name, *needs)
    try:
        sorter.prepare()
    except graphlib.CycleError as exc:
        raise ValueError(f"{' -> '.join(exc.args[1])} depend on each other in a cycle.") from None
    ready: list[str] = []
    ordered: list[str] = []
    while sorter.is_active():
        ready.extend(sorter.get_ready())
        ready.sort(key=position.__getitem__)
        ordered.append(ready.pop(0))
        sorter.done(ordered[-1])
    return ordered


_PR_SET_PDEATHSIG, _PR_SET_CHILD_SUBREAPER = 1, 36


def _prctl(option: int, value: int) -> None:
    """Linux's ``prctl(option, value)``; elsewhere (no ``prctl`` in libc) nothing happens."""
    import ctypes

    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL(None, use_errno=True).prctl(option, value, 0, 0, 0)


def die_with_parent(sig: int = signal.SIGKILL) -> None:
    """Have the kernel send this process ``sig`` when its parent ends (``PR_SET_PDEATHSIG``)."""
    _prctl(_PR_SET_PDEATHSIG, int(sig))


def become_subreaper() -> None:
    """Adopt orphaned descendants (``PR_SET_CHILD_SUBREAPER``): they are reaped, and their CPU
    time counted, here rather than by the host's init."""
    _prctl(_PR_SET_CHILD_SUBREAPER, 1)


def single_threaded() -> bool:
    """Whether this process has one thread, seen from Python and from ``/proc`` (only then may it fork)."""
    import threading

    return threading.active_count() == 1 and len(os.listdir("/proc/self/task")) == 1


def reap_children() -> Iterator[tuple[int, int]]:
    """``(pid, wait status)`` of each child that has ended, without waiting for the others."""
    while True:
        try:
            pid, status = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return
        yield pid, status
