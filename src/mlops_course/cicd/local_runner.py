"""Run a CI file's jobs locally, deciding what runs (stages, needs, rules, when) as the CI server would."""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mlops_course.cicd.ci_files import CIJob, ci_jobs
from mlops_course.cicd.gitlab_rules import evaluate_rules

# The rehearsal project lives in rehearsal.py; its names stay importable from here.
from mlops_course.cicd.rehearsal import REHEARSAL_COMMANDS, rehearsal_log, write_rehearsal_project
from mlops_course.util import topological_order

_OUTPUT_LIMIT = 20_000


@dataclass
class JobResult:
    """What happened to one job in a local run: its status and what its commands printed."""

    name: str
    stage: str
    status: str  # passed, failed, allowed_failure, skipped, manual
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
    """The result of :func:`run_ci_locally`: one :class:`JobResult` per job in the pipeline, in run order."""

    jobs: list[JobResult]

    @property
    def passed(self) -> bool:
        """True when no job failed (allowed failures do not count)."""
        return not any(job.status == "failed" for job in self.jobs)

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


def _run_script(lines: tuple[str, ...], cwd: Path, env: Mapping[str, str], timeout_s: float) -> tuple[str, str, int]:
    """Run script lines in one shell that stops at the first failing line; on timeout kill its process group."""
    shell = shutil.which("bash") or "/bin/sh"
    script = "set -e\n" + "\n".join(lines) + "\n"
    process = subprocess.Popen(
        [shell, "-c", script],
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
        return out, f"{err}\ncommand timed out after {timeout_s} s: {lines[-1] if lines else ''}", 124


#: Setup lines that install packages: the runner leaves them out (offline; the course environment has every package).
INSTALL_LINE = re.compile(
    r"^\s*(sudo\s+)?((python[0-9.]*\s+-m\s+)?pip[0-9.]*\s+install|uv\s+(pip\s+install|sync)|"
    r"apt(-get)?\s+(update|install)|apk\s+add|conda\s+install)\b"
)
_VARIABLE = re.compile(r"\$\$|\$\{([A-Za-z_][A-Za-z0-9_]*)\}|\$([A-Za-z_][A-Za-z0-9_]*)")


def _expand(value: str, known: Mapping[str, str]) -> str:
    """Expand ``$NAME`` and ``${NAME}`` in a variable's value as GitLab does (``$$`` is a literal ``$``)."""

    def one(match: re.Match[str]) -> str:
        if match.group(0) == "$$":
            return "$"
        return known.get(match.group(1) or match.group(2), "")

    return _VARIABLE.sub(one, value)


def _upstream(job: CIJob, jobs: list[CIJob], stages: list[str]) -> list[str]:
    if job.needs is not None:
        names = {j.name for j in jobs}
        missing = [n for n in job.needs if n not in names and n not in job.optional_needs]
        if missing:
            raise ValueError(
                f"job {job.name!r} needs {missing}, which {'is' if len(missing) == 1 else 'are'} not in the pipeline"
            )
        return [n for n in job.needs if n in names]
    return [j.name for j in jobs if stages.index(j.stage) < stages.index(job.stage)]


def run_ci_locally(
    source: str | Path | Mapping[str, Any],
    workdir: str | Path,
    kind: str = "gitlab",
    env: Mapping[str, str] | None = None,
    timeout_s: float = 120.0,
) -> PipelineRun:
    """Run a CI file's jobs one after another in ``workdir``, deciding what runs as GitLab (or GitHub) does.

    GitLab keywords honoured:

    - ``stages`` (default ``build, test, deploy``; ``.pre`` first, ``.post`` last), ``stage``
      (default ``test``), ``script``, ``variables`` (global and per job; ``$NAME`` in a value is
      expanded), ``allow_failure: true``;
    - ``extends`` (one or more jobs or hidden ``.jobs``, nested: mappings such as ``variables``
      merge key by key, lists such as ``script`` or ``rules`` are replaced, the last parent and
      then the job itself win; ``null`` removes a key), ``default`` and ``inherit``;
    - ``before_script`` (``default``, global or per job; the job's own replaces the default):
      it runs with ``script`` in one shell, and a failing line fails the job. Lines that
      install packages (``pip install``, ``python -m pip install``, ``uv pip install``,
      ``uv sync``, ``apt-get install``, ``apk add``, ``conda install``) are left out: the course
      environment already has every package and there is no network;
    - ``after_script``: runs after ``script`` in its own shell, even when the job failed; its
      exit code does not change the job's status;
    - ``needs`` (names or ``{job:, optional:}``): the job waits for exactly those jobs (``[]``:
      none) instead of every job of the earlier stages;
    - ``when`` and ``rules`` with ``if``, ``when``, ``allow_failure`` and ``variables``: the first
      rule whose ``if`` is true decides; none true means the job is not in the pipeline.
      ``if`` understands ``$VAR`` (set and not empty), ``==``, ``!=``, ``=~``/``!~`` against
      ``/regex/``, ``null``, ``&&``, ``||`` and parentheses.

    A job's status: ``on_success`` (the default) runs when every job it waits for passed or
    was allowed to fail, else it is ``skipped``; ``on_failure`` runs only when one of them
    failed; ``always`` runs regardless; ``manual`` is not run (status ``manual``); ``never``
    (or no matching rule) leaves the job out of the run. Any other keyword (``image``,
    ``services``, ``artifacts``, ``cache``, ``environment``, ``tags``, ...) is accepted and
    ignored; ``only``, ``except``, ``trigger``, ``parallel``, ``rules:changes`` and
    ``rules:exists`` raise ``ValueError``. GitHub Actions: ``run`` steps only (``uses`` steps
    are left out), ``env``, ``needs``, ``continue-on-error``.

    Every job runs in ``workdir`` with ``CI=true``, ``CI_PIPELINE_SOURCE=push``,
    ``CI_DEFAULT_BRANCH=main`` and, if ``workdir`` is a Git repository, ``CI_COMMIT_SHA`` and
    ``CI_COMMIT_BRANCH`` (the checked-out branch). Variables from ``env`` (the CI server's
    project variables and secrets) win over the file's, as on GitLab. The course's Python is
    first on ``PATH``; colours are off (``NO_COLOR``) so logs are plain text.

    Args:
        source: the CI file (path, YAML text or mapping).
        workdir: the project folder the commands run in.
        kind: ``"gitlab"`` or ``"github"``.
        env: extra environment variables (secrets from the runner, e.g. a token; or
            ``CI_COMMIT_BRANCH`` to play a pipeline on another branch).
        timeout_s: limit for each job's script, in seconds.
    """
    folder = Path(workdir)
    if not folder.is_dir():
        raise ValueError(f"workdir {folder} is not a folder")
    if timeout_s <= 0:
        raise ValueError(f"timeout_s must be positive, got {timeout_s}")
    base_env = {k: v for k, v in os.environ.items() if not k.startswith(("CI_", "GITHUB_"))}
    base_env.update(
        CI="true",
        CI_PIPELINE_SOURCE="push",
        CI_DEFAULT_BRANCH="main",
        PYTHONDONTWRITEBYTECODE="1",
        NO_COLOR="1",
        PY_COLORS="0",
        PATH=f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}",
    )
    if (folder / ".git").exists():
        from mlops_course.cicd.versioning import git, head_commit

        base_env["CI_COMMIT_SHA"] = head_commit(folder)
        branch = git(folder, "rev-parse", "--abbrev-ref", "HEAD").strip()
        if branch and branch != "HEAD":
            base_env["CI_COMMIT_BRANCH"] = branch
    base_env.update(env or {})
    jobs = ci_jobs(source, kind)
    stages = list(dict.fromkeys(job.stage for job in jobs))
    # which jobs are in the pipeline, with which variables, as their rules say
    planned: list[tuple[CIJob, dict[str, str], str, bool]] = []
    for job in jobs:
        variables = dict(base_env)
        for key, value in job.variables.items():
            variables[key] = _expand(value, variables)
        variables.update(env or {})
        rule = evaluate_rules(job.rules, variables, job.name)
        when = str(rule.get("when", job.when))
        if when not in ("on_success", "on_failure", "always", "never", "manual"):
            raise ValueError(f"job {job.name!r}: rules when must be on_success, on_failure, always, never or manual")
        if when == "never":
            continue
        for key, value in (rule.get("variables") or {}).items():
            variables[str(key)] = _expand(str(value), variables)
        variables.update(env or {})
        allow = rule["allow_failure"] is True if "allow_failure" in rule else job.allow_failure
        planned.append((job, variables, when, allow))
    in_pipeline = [job for job, *_ in planned]
    upstream = {job.name: _upstream(job, in_pipeline, stages) for job in in_pipeline}
    try:
        order = topological_order([job.name for job in in_pipeline], upstream)
    except ValueError as exc:
        raise ValueError(f"needs: {exc}") from None
    by_name = {job.name: (job, variables, when, allow) for job, variables, when, allow in planned}
    done: dict[str, JobResult] = {}
    for name in order:
        job, variables, when, allow = by_name[name]
        before = [done[n].status for n in upstream[name]]
        failed_before = "failed" in before
        if when == "manual":
            done[name] = JobResult(job.name, job.stage, "manual")
            continue
        ok_before = all(s in ("passed", "allowed_failure") or (s == "manual" and job.needs is None) for s in before)
        runs = when == "always" or (when == "on_failure" and failed_before) or (when == "on_success" and ok_before)
        if not runs:
            done[name] = JobResult(job.name, job.stage, "skipped")
            continue
        started = time.perf_counter()
        setup = tuple(line for line in job.before_script if not INSTALL_LINE.match(line))
        output, errors, code = _run_script((*setup, *job.commands), folder, variables, timeout_s)
        if job.after_script:
            after_env = {**variables, "CI_JOB_STATUS": "success" if code == 0 else "failed"}
            out, err, _ = _run_script(job.after_script, folder, after_env, timeout_s)
            output, errors = output + out, errors + err
        status = "passed" if code == 0 else ("allowed_failure" if allow else "failed")
        seconds = round(time.perf_counter() - started, 2)
        done[name] = JobResult(
            job.name, job.stage, status, code, seconds, output[-_OUTPUT_LIMIT:], errors[-_OUTPUT_LIMIT:]
        )
    return PipelineRun([done[name] for name in order])


_STATUS_COLOURS = {
    "passed": "#4caf50",
    "failed": "#e53935",
    "allowed_failure": "#ffb300",
    "skipped": "#bdbdbd",
    "manual": "#90caf9",
}


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


__all__ = [
    "INSTALL_LINE",
    "REHEARSAL_COMMANDS",
    "JobResult",
    "PipelineRun",
    "draw_pipeline_runs",
    "evaluate_rules",
    "rehearsal_log",
    "run_ci_locally",
    "write_rehearsal_project",
]
