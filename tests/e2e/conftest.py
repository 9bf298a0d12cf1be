"""End-to-end fixtures: JupyterLab started exactly as the README's first command does."""

from __future__ import annotations

import json
import os
import secrets
import signal
import socket
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest
import requests

from mlops_course.paths import PROJECT_ROOT

ROOT = PROJECT_ROOT


@dataclass(frozen=True)
class RunningLab:
    """A JupyterLab server started by ``make course``."""

    url: str
    token: str
    log: Path

    def api(self, path: str, method: str = "GET", **kwargs: object) -> requests.Response:
        """Call the server's REST API with the token."""
        headers = {"Authorization": f"token {self.token}"}
        return requests.request(method, f"{self.url}{path}", headers=headers, timeout=30, **kwargs)


def free_port() -> int:
    """A free TCP port on the loopback interface."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def running_lab(
    log_dir: Path, startup_timeout: float = 90.0, extra_args: str = "", make_vars: tuple[str, ...] = ()
) -> Iterator[RunningLab]:
    """Run ``make course`` (headless, loopback, a token) and stop it afterwards.

    Args:
        log_dir: where the server's log goes.
        startup_timeout: seconds to wait for the API to answer.
        extra_args: more JupyterLab options appended to the headless ones.
        make_vars: more ``make`` variables, e.g. ``("LANG=pt-BR",)``.

    Yields:
        The running server.
    """
    port, token = free_port(), secrets.token_hex(16)
    log = log_dir / "jupyterlab.log"
    lab_args = f"--no-browser --ip=127.0.0.1 --port={port} --IdentityProvider.token={token} {extra_args}".strip()
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST")}
    with log.open("w") as out:
        process = subprocess.Popen(
            ["make", "course", f"LAB_ARGS={lab_args}", *make_vars],
            cwd=ROOT,
            stdout=out,
            stderr=subprocess.STDOUT,
            env=env,
            start_new_session=True,
        )
    lab = RunningLab(url=f"http://127.0.0.1:{port}", token=token, log=log)
    try:
        deadline = time.monotonic() + startup_timeout
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"make course exited with {process.returncode}; log:\n{log.read_text()[-3000:]}")
            try:
                if lab.api("/api/status").ok:
                    break
            except requests.ConnectionError:
                pass
            if time.monotonic() > deadline:
                raise TimeoutError(
                    f"JupyterLab did not answer within {startup_timeout} s; log:\n{log.read_text()[-3000:]}"
                )
            time.sleep(0.5)
        yield lab
    finally:
        try:
            os.killpg(process.pid, signal.SIGTERM)
            process.wait(timeout=20)
        except (ProcessLookupError, subprocess.TimeoutExpired):
            os.killpg(process.pid, signal.SIGKILL)


@pytest.fixture()
def lab(tmp_path: Path) -> Iterator[RunningLab]:
    """A JupyterLab server started by ``make course``, stopped after the test."""
    with running_lab(tmp_path) as server:
        yield server


@pytest.fixture(scope="module")
def course_lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningLab]:
    """One JupyterLab for the whole journey, with autosave off so the course files stay untouched."""
    with _journey_lab(tmp_path_factory) as lab:
        yield lab


@pytest.fixture(scope="module")
def course_lab_pt(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningLab]:
    """The same, started as a Portuguese-speaking learner does: ``make course LANG=pt-BR``."""
    with _journey_lab(tmp_path_factory, ("LANG=pt-BR",)) as lab:
        yield lab


@contextmanager
def _journey_lab(tmp_path_factory: pytest.TempPathFactory, make_vars: tuple[str, ...] = ()) -> Iterator[RunningLab]:
    state = tmp_path_factory.mktemp("lab-state")
    settings = state / "settings" / "@jupyterlab" / "docmanager-extension"
    settings.mkdir(parents=True)
    (settings / "plugin.jupyterlab-settings").write_text(json.dumps({"autosave": False}))
    # Every cell in the DOM (no virtual scrolling), so the test can reach and read them all.
    notebook_settings = state / "settings" / "@jupyterlab" / "notebook-extension"
    notebook_settings.mkdir(parents=True)
    (notebook_settings / "tracker.jupyterlab-settings").write_text(json.dumps({"windowingMode": "none"}))
    extra = f"--LabApp.user_settings_dir={state / 'settings'} --LabApp.workspaces_dir={state / 'workspaces'}"
    with running_lab(state, extra_args=extra, make_vars=make_vars) as lab:
        yield lab
