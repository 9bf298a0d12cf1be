"""Run a CI file's jobs locally, in order, stopping at the first failure as the CI server would."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mlops_course.cicd.ci_files import ci_jobs

_OUTPUT_LIMIT = 20_000


@dataclass
class JobResult:
    """What happened to one job in a local run: its status and what its commands printed."""

    name: str
    stage: str
    status: str  # passed, failed, allowed_failure, skipped
    returncode: int | None = None
    seconds: float = 0.0
    output: str = ""  # standard output of the job's commands
    errors: str = ""  # standard error (library logs, tracebacks)

    def last_lines(self, n: int = 3) -> str:
        """The last ``n`` non-empty lines of standard output (else of standard error), joined by `` | ``.

        Durations such as ``in 0.57s`` are dropped so that the summary of a run is the same every time.
        """
        text = self.output if self.output.strip() else self.errors
        lines = [re.sub(r"\s+in \d+(\.\d+)?s\b", "", line).strip() for line in text.splitlines()]
        return " | ".join([line for line in lines if line][-n:])


@dataclass
class PipelineRun:
    """The result of :func:`run_ci_locally`: one :class:`JobResult` per job, in order."""

    jobs: list[JobResult]

    @property
    def passed(self) -> bool:
        """True when no job failed (allowed failures do not count)."""
        return all(job.status in ("passed", "allowed_failure") for job in self.jobs)

    def job(self, name: str) -> JobResult:
        """The result of the job called ``name``."""
        for job in self.jobs:
            if job.name == name:
                return job
        raise KeyError(f"no job called {name!r}; jobs: {[j.name for j in self.jobs]}")

    def status(self, name: str) -> str:
        """The status of the job called ``name``."""
        return self.job(name).status

    def table(self, n_lines: int = 1) -> list[dict[str, str]]:
        """One row per job (stage, job, status, last output lines); show it with ``pandas.DataFrame``."""
        return [
            {"stage": j.stage, "job": j.name, "status": j.status, "last output": j.last_lines(n_lines)}
            for j in self.jobs
        ]


def _run_command(command: str, cwd: Path, env: Mapping[str, str], timeout_s: float) -> tuple[str, str, int]:
    """Run one shell command in its own process group; on timeout kill the whole group."""
    process = subprocess.Popen(
        command,
        shell=True,
        cwd=cwd,
        env=dict(env),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    try:
        out, err = process.communicate(timeout=timeout_s)
        return out, err, process.returncode
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        out, err = process.communicate()
        return out, f"{err}\ncommand timed out after {timeout_s} s: {command}", 124


def run_ci_locally(
    source: str | Path | Mapping[str, Any],
    workdir: str | Path,
    kind: str = "gitlab",
    env: Mapping[str, str] | None = None,
    timeout_s: float = 120.0,
) -> PipelineRun:
    """Run a CI file's jobs in order in ``workdir``, stopping at the first failure, like the CI server.

    Each job's ``script`` lines (GitHub: ``run`` steps) run in a shell with the job's
    variables, ``CI=true`` and, if ``workdir`` is a Git repository, ``CI_COMMIT_SHA``. The
    course's Python is first on ``PATH``. Setup lines (``before_script``, ``uses`` steps) and
    ``rules`` are not run: the course environment already has every package. Colours are off
    (``NO_COLOR``) so logs are plain text. Later jobs of a
    failed pipeline are ``skipped``; a job with ``allow_failure: true`` may fail without stopping it.

    Args:
        source: the CI file (path, YAML text or mapping).
        workdir: the project folder the commands run in.
        kind: ``"gitlab"`` or ``"github"``.
        env: extra environment variables (secrets from the runner, e.g. a token).
        timeout_s: limit for each command, in seconds.
    """
    folder = Path(workdir)
    if not folder.is_dir():
        raise ValueError(f"workdir {folder} is not a folder")
    if timeout_s <= 0:
        raise ValueError(f"timeout_s must be positive, got {timeout_s}")
    base_env = {k: v for k, v in os.environ.items() if not k.startswith(("CI_", "GITHUB_"))}
    base_env.update(
        CI="true",
        PYTHONDONTWRITEBYTECODE="1",
        NO_COLOR="1",
        PY_COLORS="0",
        PATH=f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}",
    )
    if (folder / ".git").exists():
        from mlops_course.cicd.versioning import head_commit

        base_env["CI_COMMIT_SHA"] = head_commit(folder)
    base_env.update(env or {})
    results: list[JobResult] = []
    stopped = False
    for job in ci_jobs(source, kind):
        if stopped:
            results.append(JobResult(job.name, job.stage, "skipped"))
            continue
        started, output, errors, code = time.perf_counter(), "", "", 0
        for command in job.commands:
            out, err, code = _run_command(command, folder, {**base_env, **job.variables}, timeout_s)
            output, errors = output + out, errors + err
            if code != 0:
                break
        status = "passed" if code == 0 else ("allowed_failure" if job.allow_failure else "failed")
        stopped = status == "failed"
        seconds = round(time.perf_counter() - started, 2)
        results.append(
            JobResult(job.name, job.stage, status, code, seconds, output[-_OUTPUT_LIMIT:], errors[-_OUTPUT_LIMIT:])
        )
    return PipelineRun(results)


_STATUS_COLOURS = {"passed": "#4caf50", "failed": "#e53935", "allowed_failure": "#ffb300", "skipped": "#bdbdbd"}


def draw_pipeline_runs(runs: Mapping[str, PipelineRun], title: str = "CI/CD pipeline runs") -> Any:
    """Draw each run as a row of stage boxes coloured by status (like a CI server's pipeline view); return the figure."""
    import matplotlib.pyplot as plt
    from matplotlib.patches import FancyBboxPatch

    if not runs:
        raise ValueError("runs must name at least one PipelineRun")
    width = max(len(run.jobs) for run in runs.values())
    fig, ax = plt.subplots(figsize=(1.9 * width + 2.2, 0.9 * len(runs) + 0.9), dpi=80)
    for row, run in enumerate(runs.values()):
        y = len(runs) - 1 - row
        for col, job in enumerate(run.jobs):
            ax.add_patch(
                FancyBboxPatch(
                    (col + 0.05, y - 0.3),
                    0.8,
                    0.6,
                    boxstyle="round,pad=0.02",
                    color=_STATUS_COLOURS.get(job.status, "#90a4ae"),
                )
            )
            ax.text(col + 0.45, y, f"{job.name}\n{job.status}", ha="center", va="center", fontsize=8.5)
            if col:
                ax.annotate("", (col + 0.05, y), (col - 0.15, y), arrowprops={"arrowstyle": "->", "color": "#555"})
    ax.set_xlim(-0.1, width)
    ax.set_ylim(-0.6, len(runs) - 0.4)
    ax.set_xlabel("stage, in the order the CI server runs them")
    ax.set_ylabel("run")
    ax.set_xticks([])
    ax.set_yticks(range(len(runs) - 1, -1, -1), list(runs))
    ax.tick_params(axis="y", length=0)
    ax.set_title(title)
    fig.tight_layout()
    return fig
