"""The runner's plumbing: the per-cell record, the verdict pipe, killing a process tree."""

from __future__ import annotations

import json
import os
import time
from dataclasses import dataclass, field
from typing import Any


@dataclass
class CellRecord:
    """What the kernel reported for one executed cell."""

    msg_id: str = ""
    deadline: float = 0.0
    reply_status: str | None = None
    errors: list[dict[str, Any]] = field(default_factory=list)
    stdout_tail: str = ""


class Channel:
    """One JSON object per line on a file descriptor (unbuffered, one writer)."""

    def __init__(self, fd: int | None) -> None:
        self.fd = fd

    def send(self, event: dict[str, Any]) -> None:
        if self.fd is None:
            return
        data = (json.dumps(event) + "\n").encode()
        while data:
            written = os.write(self.fd, data)
            data = data[written:]


def start_kernel(startup_timeout: float = 60, kernel_name: str = "python", **kwargs: Any) -> tuple[Any, Any]:
    """nbval's ``start_new_kernel``, waiting for the kernel's ``kernel_info_reply`` only.

    jupyter_client's ``wait_for_ready`` then also waits for 0.2 s of silence on iopub; nbval's
    ``RunningKernel`` checks iopub itself right after (``_ensure_iopub_up``: another
    ``kernel_info``, read on iopub up to its ``idle``), so that wait only delays every kernel.
    """
    from queue import Empty

    from nbval.kernel import KernelManager, NbvalKernelspecManager

    km = KernelManager(kernel_name=kernel_name, kernel_spec_manager=NbvalKernelspecManager())
    km.start_kernel(**kwargs)
    kc = km.client()
    kc.start_channels()
    deadline = time.monotonic() + startup_timeout
    try:
        while True:
            kc.kernel_info()
            try:
                if kc.get_shell_msg(timeout=1)["msg_type"] == "kernel_info_reply":
                    return km, kc
            except Empty:
                pass
            if not kc.is_alive():
                raise RuntimeError("Kernel died before replying to kernel_info")
            if time.monotonic() > deadline:
                raise RuntimeError(f"Kernel didn't respond in {startup_timeout:g} seconds")
    except RuntimeError:
        kc.stop_channels()
        km.shutdown_kernel()
        raise


def read_message(kernel: Any, stream: str, timeout: float | None = None) -> Any:
    """nbval's ``RunningKernel.get_message`` without its debug log line, which pretty-prints
    every message (``pformat``) whether or not anything logs it."""
    if stream == "iopub":
        return kernel.kc.get_iopub_msg(timeout=timeout)
    if stream == "shell":
        return kernel.kc.get_shell_msg(timeout=timeout)
    raise ValueError(f"Invalid stream specified: {stream!r}")


def children() -> list[int]:
    """This process's children (each ``kill_tree`` takes its descendants along), from
    ``/proc/self/task/*/children`` rather than psutil, which reads every process of the host."""
    try:
        return [int(pid) for task in os.listdir("/proc/self/task") for pid in _read(f"/proc/self/task/{task}/children")]
    except (OSError, ValueError):
        import psutil

        return [child.pid for child in psutil.Process().children()]


def _read(path: str) -> list[str]:
    with open(path, encoding="ascii") as handle:
        return handle.read().split()


def kill_tree(pid: int) -> None:
    """SIGKILL a process and all its descendants (namespace init takes its namespace along)."""
    import psutil

    try:
        root = psutil.Process(pid)
        procs = [root, *root.children(recursive=True)]
    except psutil.Error:
        return
    for proc in reversed(procs):
        try:
            proc.kill()
        except psutil.Error:
            pass


def _ansi_free(text: str) -> str:
    import re

    return re.sub(r"\x1b\[[0-9;]*[A-Za-z]", "", text)
