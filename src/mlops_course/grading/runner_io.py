"""The runner's plumbing: the per-cell record, the verdict pipe, killing a process tree."""

from __future__ import annotations

import json
import os
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
