"""The runner's plumbing that replaced library calls: reading kernel messages, finding children."""

from __future__ import annotations

import subprocess
import sys
from typing import Any

import pytest

from mlops_course.grading.runner_io import children, read_message


class _Client:
    def get_iopub_msg(self, timeout: float | None = None) -> Any:
        return ("iopub", timeout)

    def get_shell_msg(self, timeout: float | None = None) -> Any:
        return ("shell", timeout)


class _Kernel:
    kc = _Client()


def test_read_message_reads_the_stream_asked_for() -> None:
    assert read_message(_Kernel(), "iopub", timeout=0.5) == ("iopub", 0.5)
    assert read_message(_Kernel(), "shell") == ("shell", None)
    with pytest.raises(ValueError, match="stdin"):
        read_message(_Kernel(), "stdin")


def test_children_lists_this_processs_children() -> None:
    child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"])
    try:
        assert child.pid in children()
    finally:
        child.kill()
        child.wait()
    assert child.pid not in children()
