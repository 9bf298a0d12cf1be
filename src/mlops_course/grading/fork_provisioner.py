"""The fast path: grading kernels forked from a pre-imported template (:mod:`.kernel_template`).

* :class:`Template` (grader side) starts the template once per grading run with the
  modules the exercises' instructor cells import, and what those import later (:mod:`.preload`).
* :class:`ForkProvisioner` (runner side) is a jupyter_client kernel provisioner, named in
  the job's kernelspec (``metadata.kernel_provisioner``) and registered under the entry
  point group ``jupyter_client.kernel_provisioners`` by :func:`register`: instead of
  ``Popen`` it asks the template for a kernel and tracks it through a pidfd. nbval, the
  kernel guard and the verdicts do not change: the kernel is an ordinary ipykernel.
* :func:`availability` says whether the fast path can run here (Linux, pidfds, user
  namespaces); where it cannot, grading uses today's path and says why, once.
"""

from __future__ import annotations

import json
import os
import select
import signal
import socket
import subprocess
import sys
import tempfile
import time
from importlib.metadata import EntryPoint
from pathlib import Path
from typing import Any

from jupyter_client.provisioning.local_provisioner import LocalProvisioner
from traitlets import Unicode

from mlops_course.grading.kernel_template import read_answer

PROVISIONER_NAME = "mlops-course-fork"
_GROUP = "jupyter_client.kernel_provisioners"
_ENTRY = "mlops_course.grading.fork_provisioner:ForkProvisioner"


def availability() -> tuple[bool, str]:
    """``(True, "")`` where kernels can be forked into namespaces, else ``(False, why)``."""
    if not sys.platform.startswith("linux") or not hasattr(os, "fork"):
        return False, "forking kernels needs Linux"
    if not hasattr(os, "pidfd_open"):
        return False, "this Python has no os.pidfd_open"
    from mlops_course.grading.sandbox import probe_namespaces

    mode, note = probe_namespaces()
    if mode != "namespaces":
        return False, f"no user namespaces for the forked kernels ({note})"
    return True, ""


def template_env(mpl_cache: str | None) -> dict[str, str]:
    """The template imports with the kernel's environment (import-time settings match)."""
    from mlops_course.grading.sandbox import NS_WORKDIR, SandboxConfig, kernel_env

    env = kernel_env(SandboxConfig(mode="namespaces", workdir=NS_WORKDIR))
    if mpl_cache:
        env["MPLCONFIGDIR"] = mpl_cache
    env["JE_ARROW_MALLOC_CONF"] = "background_thread:false"  # pyarrow would start a jemalloc thread
    return env


class Template:
    """A running kernel template (one per grading run); its report (:attr:`info`) is waited for on first use."""

    def __init__(
        self, modules: list[str], folder: Path, mpl_cache: str | None = None, timeout: float = 300, runner: bool = False
    ) -> None:
        """A kernel template importing ``modules``, or (``runner``) a runner template."""
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        self._socket = str(folder / "template.sock")
        self.log = folder / "template.log"
        self.modules = modules
        if runner:
            command = ["-m", "mlops_course.grading.runner_template", self._socket]
            prefixes = ("MLFLOW_", "JUPYTER_", "PYTEST_")
            env = {k: v for k, v in os.environ.items() if not k.startswith(prefixes)}
        else:
            command = ["-Xfrozen_modules=off", "-m", "mlops_course.grading.kernel_template", self._socket]
            command.append(json.dumps(modules))
            env = template_env(mpl_cache)
        with open(self.log, "wb") as log:
            self.process = subprocess.Popen(
                [sys.executable, *command],
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=log,
                env=env,
                cwd=folder,
                start_new_session=True,
            )
        self.deadline = time.monotonic() + timeout
        self._info: dict[str, Any] | None = None

    @property
    def info(self) -> dict[str, Any]:
        """Its report, waited for on first use: templates started one after the other import in parallel."""
        if self._info is None:
            self._info = self._ready(max(0.0, self.deadline - time.monotonic()))
        return self._info

    @property
    def socket(self) -> str:
        """Its socket, once it has reported (it listens from then on)."""
        _ = self.info
        return self._socket

    def _ready(self, timeout: float) -> dict[str, Any]:
        assert self.process.stdout is not None
        ready, _, _ = select.select([self.process.stdout], [], [], timeout)
        line = self.process.stdout.readline() if ready else b""
        try:
            info = json.loads(line)
        except ValueError:
            info = {"ready": False, "error": self.log.read_text(errors="replace")[-500:]}
        if not info.get("ready"):
            self.stop()
        return dict(info)

    @property
    def ready(self) -> bool:
        return bool(self.info.get("ready")) and self.process.poll() is None

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
        self.process.wait(timeout=30)
        if self.process.stdout is not None:
            self.process.stdout.close()


def register() -> None:
    """Make ``mlops-course-fork`` known to jupyter_client (as its entry point would)."""
    from jupyter_client.provisioning.factory import KernelProvisionerFactory

    factory = KernelProvisionerFactory.instance()
    if PROVISIONER_NAME not in factory.provisioners:
        factory.provisioners[PROVISIONER_NAME] = EntryPoint(name=PROVISIONER_NAME, value=_ENTRY, group=_GROUP)


def provisioner_stanza(template_socket: str, sandbox_config: str) -> dict[str, Any]:
    """The kernelspec's ``metadata.kernel_provisioner``."""
    return {
        "provisioner_name": PROVISIONER_NAME,
        "config": {"template_socket": template_socket, "sandbox_config": sandbox_config},
    }


class ForkedProcess:
    """What jupyter_client needs of a ``Popen``, for a kernel that is not our child."""

    stdin = stdout = stderr = None

    def __init__(self, pid: int) -> None:
        self.pid = pid
        self.fd = os.pidfd_open(pid)
        self.returncode: int | None = None

    def poll(self) -> int | None:
        if self.returncode is None and select.select([self.fd], [], [], 0)[0]:
            self.returncode = -signal.SIGKILL
            os.close(self.fd)
        return self.returncode

    def wait(self, timeout: float | None = None) -> int:
        deadline = None if timeout is None else time.monotonic() + timeout
        while self.poll() is None:
            if deadline is not None and time.monotonic() > deadline:
                raise subprocess.TimeoutExpired("forked kernel", timeout or 0)
            select.select([self.fd], [], [], 0.1)
        assert self.returncode is not None
        return self.returncode

    def send_signal(self, signum: int) -> None:
        if self.poll() is None:
            signal.pidfd_send_signal(self.fd, signum)

    def kill(self) -> None:
        self.send_signal(signal.SIGKILL)

    def terminate(self) -> None:
        self.send_signal(signal.SIGTERM)


class ForkProvisioner(LocalProvisioner):
    """A kernel provisioner that forks the kernel from the template instead of starting it."""

    template_socket = Unicode("", config=True)
    sandbox_config = Unicode("", config=True)

    async def launch_kernel(self, cmd: list[str], **kwargs: Any) -> Any:
        from mlops_course.grading.sandbox import paths_to_keep

        conn_file = cmd[cmd.index("-f") + 1]
        request = {
            "config": json.loads(Path(self.sandbox_config).read_text()),
            "connection": Path(conn_file).read_text(),
            "connection_file": conn_file,
            "kept": paths_to_keep(),
            "runner_pid": os.getpid(),
        }
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as client:
            client.settimeout(60)
            client.connect(self.template_socket)
            client.sendall((json.dumps(request) + "\n").encode())
            answer = read_answer(client)
        if "pid" not in answer:
            raise RuntimeError(f"the kernel template could not start a kernel: {answer.get('error', 'no answer')}")
        process = ForkedProcess(int(answer["pid"]))
        self.process = process  # type: ignore[assignment]  # Popen-like
        self.pid = process.pid
        self.pgid = None
        self.cwd = kwargs.get("cwd", Path.cwd())
        return self.connection_info

    async def kill(self, restart: bool = False) -> None:
        """SIGKILL, then wait on the pidfd (jupyter_client would poll ``is_alive`` every 0.1 s)."""
        await super().kill(restart)
        if isinstance(self.process, ForkedProcess):
            try:
                self.process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                pass  # jupyter_client's own wait (5 s) then gives up as it would


def template_folder(work_root: Path) -> Path:
    """A private folder for the template's socket, inside the (hidden) job root."""
    return Path(tempfile.mkdtemp(prefix="template-", dir=work_root))
