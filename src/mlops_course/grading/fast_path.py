"""The grader's fast path for one run: a kernel template and a runner template, kept alive.

:meth:`FastPath.start` starts both (or says once why grading uses today's path);
:meth:`FastPath.sockets` gives each submission the templates' sockets, restarting a
template that died (a few times at most; then that submission uses today's path), so
that nothing a submission does stops the others from being graded.
"""

from __future__ import annotations

import sys
import threading
from pathlib import Path
from typing import Any

from mlops_course.grading.fork_provisioner import Template, availability, template_folder
from mlops_course.grading.preload import modules_for

MAX_RESTARTS = 3


class FastPath:
    """Kernel and runner templates shared by a grading run's workers."""

    def __init__(self, modules: list[str], work_root: Path, mpl_cache: str | None) -> None:
        self.modules = modules
        self.work_root = work_root
        self.mpl_cache = mpl_cache
        self.lock = threading.Lock()
        self.restarts = 0
        self.kernels = self._kernels()
        self.runners = self._runners()

    def _kernels(self) -> Template:
        return Template(self.modules, template_folder(self.work_root), self.mpl_cache)

    def _runners(self) -> Template:
        return Template([], template_folder(self.work_root), runner=True)

    @classmethod
    def start(cls, notebooks: list[Any], work_root: Path, mpl_cache: str | None) -> FastPath | None:
        """Both templates, or None with one line on stderr saying why."""
        ok, why = availability()
        if ok:
            unique = list({id(nb): nb for nb in notebooks}.values())
            fast = cls(modules_for(unique), work_root, mpl_cache)
            if fast.kernels.ready and fast.runners.ready:
                return fast
            why = f"a template did not start: {fast.kernels.info} {fast.runners.info}"
            fast.stop()
        print(f"grade: fast path unavailable, each submission starts a fresh kernel ({why})", file=sys.stderr)
        return None

    def sockets(self) -> tuple[str, str] | None:
        """The (kernel, runner) template sockets; None: use today's path for this one."""
        with self.lock:
            for name, make in (("kernels", self._kernels), ("runners", self._runners)):
                template: Template = getattr(self, name)
                if template.ready:
                    continue
                if self.restarts >= MAX_RESTARTS:
                    return None
                self.restarts += 1
                template.stop()
                setattr(self, name, make())
            if not (self.kernels.ready and self.runners.ready):
                return None
            return self.kernels.socket, self.runners.socket

    def stop(self) -> None:
        for template in (self.kernels, self.runners):
            template.stop()
