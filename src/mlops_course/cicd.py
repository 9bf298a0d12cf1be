"""CI/CD for ML: check CI files against their official schemas, run their stages locally, gate on quality.

- :func:`validate_ci_file` checks a GitHub Actions workflow or a ``.gitlab-ci.yml`` with
  check-jsonschema's bundled copies of the official schemas (offline).
- :func:`ci_jobs` reads a CI file's jobs in the order the CI server would run them;
  :func:`run_ci_locally` runs their ``script`` lines in that order, in a working folder, and
  stops at the first failure, as the server would.
- :func:`quality_gate` decides whether a candidate model may replace the champion.
- :func:`lint_sources` is a small offline linter (syntax errors, unused imports, ``import *``,
  bare ``except:``) so the lint stage needs nothing beyond the course's environment.
- :func:`write_sample_project` writes the module's small credit project (code, tests, config,
  CI files) into a folder; :func:`apply_change` applies a named code change to it.

Run ``python -m mlops_course.cicd lint PATH...`` for the linter's command line.
"""

from __future__ import annotations

import ast
import json
import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

CI_KINDS: dict[str, str] = {"github": "vendor.github-workflows", "gitlab": "vendor.gitlab-ci"}
ML_STAGES: tuple[str, ...] = ("lint", "test", "train", "evaluate", "register")
_GITLAB_RESERVED = {"default", "include", "stages", "variables", "workflow", "image", "services", "cache",
                    "before_script", "after_script", "pages_config", "spec"}
_OUTPUT_LIMIT = 20_000


# --- CI files -------------------------------------------------------------------------------
def _check_kind(kind: str) -> str:
    if kind not in CI_KINDS:
        raise ValueError(f"kind must be one of {', '.join(CI_KINDS)}, got {kind!r}")
    return kind


def validate_ci_file(path: str | Path, kind: str) -> list[str]:
    """Validate a CI file against the official schema of ``kind`` (``"github"`` or ``"gitlab"``), offline.

    Args:
        path: the workflow file (``.github/workflows/*.yml``) or ``.gitlab-ci.yml``.
        kind: which CI system's schema to use.

    Returns:
        The schema errors as ``"<where>: <message>"`` lines; an empty list means valid.
    """
    _check_kind(kind)
    file = Path(path)
    if not file.is_file():
        raise ValueError(f"path {file} is not a file; write the CI file first")
    command = [sys.executable, "-m", "check_jsonschema", "--builtin-schema", CI_KINDS[kind], "-o", "json", str(file)]
    if kind == "gitlab":
        command[-1:-1] = ["--data-transform", "gitlab-ci"]  # understands GitLab's !reference tags
    done = subprocess.run(command, capture_output=True, text=True, timeout=120)
    try:
        report = json.loads(done.stdout)
    except json.JSONDecodeError as exc:
        raise RuntimeError(f"check-jsonschema gave no report: {done.stderr.strip()[-500:]}") from exc
    errors = [f"parse error: {e.get('message', e)}" for e in report.get("parse_errors", [])]
    for error in report.get("errors", []):
        deep = error.get("best_deep_match") or error.get("best_match")
        detail = f" (deepest cause: {deep['path']}: {deep['message']})" if deep else ""
        errors.append(f"{error['path']}: {error['message']}{detail}")
    return errors


@dataclass(frozen=True)
class CIJob:
    """One CI job: its name, stage, shell commands, variables and whether it may fail."""

    name: str
    stage: str
    commands: tuple[str, ...]
    variables: Mapping[str, str] = field(default_factory=dict)
    allow_failure: bool = False


def load_ci(source: str | Path | Mapping[str, Any]) -> dict[str, Any]:
    """A CI configuration as a mapping: from a mapping, a file path, or YAML text."""
    if isinstance(source, Mapping):
        return dict(source)
    is_file = isinstance(source, Path) or ("\n" not in source and Path(source).is_file())
    text = Path(source).read_text(encoding="utf-8") if is_file else str(source)
    loaded = yaml.safe_load(text)
    if not isinstance(loaded, dict):
        raise ValueError(f"a CI configuration must be a YAML mapping, got {type(loaded).__name__}")
    return loaded


def _as_lines(value: Any) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str):
        return (value,)
    return tuple(str(line) for line in value)


def _gitlab_jobs(ci: Mapping[str, Any]) -> list[CIJob]:
    stages = list(ci.get("stages") or ["build", "test", "deploy"])
    stages = [".pre", *stages, ".post"]
    global_vars = {str(k): str(v) for k, v in (ci.get("variables") or {}).items() if not isinstance(v, Mapping)}
    jobs = []
    for name, spec in ci.items():
        if name in _GITLAB_RESERVED or str(name).startswith(".") or not isinstance(spec, Mapping) or "script" not in spec:
            continue
        stage = str(spec.get("stage", "test"))
        if stage not in stages:
            raise ValueError(f"job {name!r} uses stage {stage!r}, which is not in stages: {stages[1:-1]}")
        variables = {**global_vars, **{str(k): str(v) for k, v in (spec.get("variables") or {}).items()}}
        jobs.append(CIJob(str(name), stage, _as_lines(spec["script"]), variables, spec.get("allow_failure") is True))
    return sorted(jobs, key=lambda job: stages.index(job.stage))


def _github_jobs(ci: Mapping[str, Any]) -> list[CIJob]:
    specs: Mapping[str, Any] = ci.get("jobs") or {}
    global_env = {str(k): str(v) for k, v in (ci.get("env") or {}).items()}
    ordered: list[str] = []
    pending = list(specs)
    while pending:  # topological order by `needs`, stable in file order
        ready = [n for n in pending if all(d in ordered for d in _as_lines(specs[n].get("needs")))]
        if not ready:
            raise ValueError(f"jobs {pending} need each other or a job that does not exist")
        ordered.append(ready[0])
        pending.remove(ready[0])
    jobs = []
    for name in ordered:
        spec = specs[name]
        steps = [s for s in spec.get("steps") or [] if isinstance(s, Mapping) and "run" in s]
        variables = {**global_env, **{str(k): str(v) for k, v in (spec.get("env") or {}).items()}}
        jobs.append(CIJob(name, name, tuple(str(s["run"]) for s in steps), variables, spec.get("continue-on-error") is True))
    return jobs


def ci_jobs(source: str | Path | Mapping[str, Any], kind: str) -> list[CIJob]:
    """The jobs of a CI configuration in the order the CI server runs them.

    GitLab: by the order of ``stages``, then file order. GitHub: by ``needs``, then file order.
    """
    ci = load_ci(source)
    return _gitlab_jobs(ci) if _check_kind(kind) == "gitlab" else _github_jobs(ci)


def jenkins_stages(text: str) -> list[str]:
    """The ``stage('name')`` names of a declarative Jenkinsfile, in order."""
    return re.findall(r"""\bstage\s*\(\s*['"]([^'"]+)['"]\s*\)""", text)


# --- running the stages locally ----------------------------------------------------------------
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
        return [{"stage": j.stage, "job": j.name, "status": j.status, "last output": j.last_lines(n_lines)} for j in self.jobs]


def _run_command(command: str, cwd: Path, env: Mapping[str, str], timeout_s: float) -> tuple[str, str, int]:
    """Run one shell command in its own process group; on timeout kill the whole group."""
    process = subprocess.Popen(command, shell=True, cwd=cwd, env=dict(env), stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True, start_new_session=True)
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
    base_env.update(CI="true", PYTHONDONTWRITEBYTECODE="1", NO_COLOR="1", PY_COLORS="0", PATH=f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}")
    if (folder / ".git").exists():
        from mlops_course.versioning import head_commit

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
        results.append(JobResult(job.name, job.stage, status, code, seconds, output[-_OUTPUT_LIMIT:], errors[-_OUTPUT_LIMIT:]))
    return PipelineRun(results)


# --- the quality gate ----------------------------------------------------------------------------
@dataclass(frozen=True)
class GateDecision:
    """Whether a candidate passed the gate, and why not."""

    passed: bool
    reasons: tuple[str, ...]


def quality_gate(
    candidate: Mapping[str, float], champion: Mapping[str, float] | None, min_roc_auc: float, max_roc_auc_drop: float
) -> GateDecision:
    """Decide whether ``candidate`` may replace ``champion`` (``None`` when there is none yet).

    The candidate fails when its ``roc_auc`` is below ``min_roc_auc`` or more than
    ``max_roc_auc_drop`` below the champion's.
    """
    if not 0.5 <= min_roc_auc <= 1.0 or not 0.0 <= max_roc_auc_drop <= 0.5:
        raise ValueError(f"min_roc_auc must be in [0.5, 1] and max_roc_auc_drop in [0, 0.5], got {min_roc_auc}, {max_roc_auc_drop}")
    if "roc_auc" not in candidate:
        raise ValueError(f"candidate metrics need 'roc_auc', got keys {sorted(candidate)}")
    auc = float(candidate["roc_auc"])
    reasons = []
    if auc < min_roc_auc:
        reasons.append(f"roc_auc {auc:.4f} is below the floor {min_roc_auc:.4f}")
    if champion is not None and auc < float(champion["roc_auc"]) - max_roc_auc_drop:
        reasons.append(f"roc_auc {auc:.4f} is more than {max_roc_auc_drop:.4f} below the champion's {float(champion['roc_auc']):.4f}")
    return GateDecision(not reasons, tuple(reasons))


# --- a small offline linter ----------------------------------------------------------------------
def _lint_tree(tree: ast.Module, name: str) -> list[str]:
    problems = []
    imported: dict[str, int] = {}
    for node in ast.walk(tree):
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            for alias in node.names:
                if alias.name == "*":
                    problems.append(f"{name}:{node.lineno}: 'import *' hides where names come from")
                elif not (isinstance(node, ast.ImportFrom) and node.module == "__future__"):
                    imported[(alias.asname or alias.name).split(".")[0]] = node.lineno
        elif isinstance(node, ast.ExceptHandler) and node.type is None:
            problems.append(f"{name}:{node.lineno}: bare 'except:' also swallows KeyboardInterrupt; name the exception")
    used = {n.id for n in ast.walk(tree) if isinstance(n, ast.Name)}
    used |= {n.value.id for n in ast.walk(tree) if isinstance(n, ast.Attribute) and isinstance(n.value, ast.Name)}
    exported = set()
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(isinstance(t, ast.Name) and t.id == "__all__" for t in node.targets):
            exported = {e.value for e in ast.walk(node.value) if isinstance(e, ast.Constant)}
    for alias, line in sorted(imported.items(), key=lambda item: item[1]):
        if alias not in used and alias not in exported and not name.endswith("__init__.py"):
            problems.append(f"{name}:{line}: '{alias}' imported but unused")
    return problems


def lint_sources(paths: Sequence[str | Path]) -> list[str]:
    """Lint every ``.py`` file under ``paths``; return ``"file:line: problem"`` lines (empty when clean)."""
    problems: list[str] = []
    for root in map(Path, paths):
        if not root.exists():
            raise ValueError(f"path {root} does not exist")
        for file in sorted([root] if root.is_file() else root.rglob("*.py")):
            try:
                tree = ast.parse(file.read_text(encoding="utf-8"), filename=str(file))
            except SyntaxError as exc:
                problems.append(f"{file}:{exc.lineno}: syntax error: {exc.msg}")
                continue
            problems.extend(_lint_tree(tree, str(file)))
    return problems


# --- the module's sample project -----------------------------------------------------------------
_RENAMED = {"gitignore": ".gitignore", "gitlab-ci.yml": ".gitlab-ci.yml", "github-ci.yml": ".github/workflows/ci.yml"}
_CI_FILES = {"gitlab-ci.yml", "github-ci.yml", "Jenkinsfile"}

#: Named changes to the sample project: file, text to find, replacement, commit message.
CHANGES: dict[str, tuple[str, str, str, str]] = {
    "drop_risk_features": (
        "credit_project/features.py",
        '    "interest_rate",\n    "debt_to_income",\n',
        "",
        "Simplify features: drop interest_rate and debt_to_income (slow to compute)",
    ),
    "wrong_probability_column": (
        "credit_project/model.py",
        "[:, 1]",
        "[:, 0]",
        "Refactor scoring (planted bug: column 0 is the probability of *no* default)",
    ),
}


def write_sample_project(dest: str | Path, *, include_ci: bool = True, model_name: str = "module4-credit-model") -> Path:
    """Write the module's credit project (code, tests, config, CI files) into ``dest``; return it.

    Args:
        dest: an empty or new folder.
        include_ci: also write ``.gitlab-ci.yml``, ``.github/workflows/ci.yml`` and ``Jenkinsfile``.
        model_name: the registered model name written into ``config/base.yaml``.
    """
    folder = Path(dest)
    if folder.exists() and any(folder.iterdir()):
        raise ValueError(f"dest {folder} is not empty; choose a new folder")
    if not re.fullmatch(r"[A-Za-z0-9_.-]+", model_name):
        raise ValueError(f"model_name may hold letters, digits, '_', '.', '-' only, got {model_name!r}")
    template = resources.files("mlops_course") / "resources" / "module4" / "credit_project"
    with resources.as_file(template) as source:
        for file in sorted(source.rglob("*")):
            relative = file.relative_to(source)
            if file.is_dir() or "__pycache__" in relative.parts or (not include_ci and relative.name in _CI_FILES):
                continue
            target = folder / _RENAMED.get(str(relative), str(relative))
            target.parent.mkdir(parents=True, exist_ok=True)
            text = file.read_text(encoding="utf-8")
            target.write_text(text.replace("module4-credit-model", model_name), encoding="utf-8")
    return folder


def apply_change(project: str | Path, name: str) -> str:
    """Apply the named change from :data:`CHANGES` to a sample project; return its commit message."""
    if name not in CHANGES:
        raise ValueError(f"change {name!r} is unknown; choose from: {', '.join(CHANGES)}")
    relative, old, new, message = CHANGES[name]
    file = Path(project) / relative
    text = file.read_text(encoding="utf-8")
    if old not in text:
        raise ValueError(f"change {name!r} does not apply: {relative} no longer contains {old.strip()!r}")
    file.write_text(text.replace(old, new), encoding="utf-8")
    return message


# --- the ML Test Score and pictures ---------------------------------------------------------------
_SCORE_BANDS = ((0.0, "a research project, not yet a production system"), (1.0, "some tests, but probably serious holes"),
                (2.0, "a first pass at production; more investment needed"), (3.0, "reasonably tested; automate more"),
                (5.0, "strong automated testing and monitoring"), (float("inf"), "exceptional automated testing and monitoring"))


def ml_test_score_rubric() -> list[dict[str, str]]:
    """The 28 tests of Breck et al.'s ML Test Score as rows: ``id`` (e.g. ``data-1``), ``section``, ``test``."""
    text = (resources.files("mlops_course") / "resources" / "module4" / "ml_test_score.yaml").read_text(encoding="utf-8")
    sections = yaml.safe_load(text)
    return [{"id": f"{section}-{i}", "section": section, "test": test}
            for section, tests in sections.items() for i, test in enumerate(tests, start=1)]


def ml_test_score(scores: Mapping[str, float]) -> dict[str, Any]:
    """Score the rubric: each test 0, 0.5 (manual) or 1 (automated); final score = the weakest section's sum.

    Args:
        scores: test id (``"data-1"`` ... ``"monitoring-7"``) to 0, 0.5 or 1; missing ids count 0.

    Returns:
        ``sections`` (section to sum), ``final`` (the minimum) and ``meaning`` (how to read it).
    """
    rubric = ml_test_score_rubric()
    known = {row["id"] for row in rubric}
    unknown = sorted(set(scores) - known)
    if unknown:
        raise ValueError(f"unknown test ids {unknown}; ids look like 'data-1' ... 'monitoring-7'")
    bad = {k: v for k, v in scores.items() if float(v) not in (0.0, 0.5, 1.0)}
    if bad:
        raise ValueError(f"each score must be 0, 0.5 (manual) or 1 (automated), got {bad}")
    sections: dict[str, float] = {}
    for row in rubric:
        sections[row["section"]] = sections.get(row["section"], 0.0) + float(scores.get(row["id"], 0.0))
    final = min(sections.values())
    meaning = next(text for limit, text in _SCORE_BANDS if final <= limit)
    return {"sections": sections, "final": final, "meaning": meaning}


_STATUS_COLOURS = {"passed": "#4caf50", "failed": "#e53935", "allowed_failure": "#ffb300", "skipped": "#bdbdbd"}


def draw_pipeline_runs(runs: Mapping[str, PipelineRun], title: str = "CI/CD pipeline runs") -> Any:
    """Draw each run as a row of stage boxes coloured by status (like a CI server's pipeline view); return the figure."""
    import matplotlib.pyplot as plt
    from matplotlib.patches import FancyBboxPatch

    if not runs:
        raise ValueError("runs must name at least one PipelineRun")
    width = max(len(run.jobs) for run in runs.values())
    fig, ax = plt.subplots(figsize=(1.9 * width + 2.2, 0.9 * len(runs) + 0.9), dpi=80)
    for row, (label, run) in enumerate(runs.items()):
        y = len(runs) - 1 - row
        for col, job in enumerate(run.jobs):
            ax.add_patch(FancyBboxPatch((col + 0.05, y - 0.3), 0.8, 0.6, boxstyle="round,pad=0.02",
                                        color=_STATUS_COLOURS.get(job.status, "#90a4ae")))
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


# --- planted bugs: test the tests -----------------------------------------------------------------
#: Model bugs a behavioural test should catch, and what each does to the predictions.
MODEL_BUGS: dict[str, str] = {
    "source_leak": "adds risk to applications from broker_beta (the partner, not the applicant)",
    "channel_leak": "multiplies the risk of branch applications by 1.5",
    "credit_score_flipped": "reads credit_score upside down (a better score raises risk)",
    "debt_to_income_flipped": "reads debt_to_income upside down (more debt lowers risk)",
    "constant": "predicts the same risk for everyone",
    "inverted": "returns 1 - p (a sign error: the riskiest look safest)",
    "ignores_features": "scores from the application id only (random-looking, useless)",
}
#: Data bugs a data test should catch.
DATA_BUGS: dict[str, str] = {
    "out_of_range": "impossible values (age 999, credit score 9999)",
    "nulls": "annual_income missing in some rows",
    "duplicates": "some applications sent twice",
    "renamed_column": "annual_income renamed to yearly_income",
    "unknown_category": "a loan_purpose the contract does not know",
    "bad_label": "a label other than 0 or 1",
}


class BuggedModel:
    """A fitted model with a planted bug (see :data:`MODEL_BUGS`); ``predict_proba`` as sklearn's."""

    def __init__(self, model: Any, bug: str) -> None:
        if bug not in MODEL_BUGS:
            raise ValueError(f"bug {bug!r} is unknown; choose from: {', '.join(MODEL_BUGS)}")
        self.model, self.bug = model, bug

    def predict_proba(self, frame: Any) -> Any:
        import numpy as np

        data = frame.copy()
        if self.bug == "credit_score_flipped":
            data["credit_score"] = 1150 - data["credit_score"]
        elif self.bug == "debt_to_income_flipped":
            data["debt_to_income"] = 1.2 - data["debt_to_income"]
        risk = np.asarray(self.model.predict_proba(data)[:, 1], dtype=float)
        if self.bug == "source_leak":
            risk = risk + 0.2 * (data["source"] == "broker_beta").to_numpy()
        elif self.bug == "channel_leak":
            risk = risk * np.where(data["channel"] == "branch", 1.5, 1.0)
        elif self.bug == "constant":
            risk = np.full(len(data), 0.1)
        elif self.bug == "inverted":
            risk = 1.0 - risk
        elif self.bug == "ignores_features":
            ids = data["application_id"].str.slice(4).astype(int).to_numpy()
            risk = (ids * 2_654_435_761 % 1_000_003) / 1_000_003
        risk = np.clip(risk, 0.0, 1.0)
        return np.column_stack([1.0 - risk, risk])


def planted_bug_data(frame: Any, bug: str, seed: int = 0) -> Any:
    """A copy of a clean applications frame with the data bug ``bug`` (see :data:`DATA_BUGS`) planted."""
    import numpy as np

    if bug not in DATA_BUGS:
        raise ValueError(f"bug {bug!r} is unknown; choose from: {', '.join(DATA_BUGS)}")
    if len(frame) < 20:
        raise ValueError(f"frame needs at least 20 rows to plant a bug, got {len(frame)}")
    data = frame.copy().reset_index(drop=True)
    rows = np.random.default_rng(seed).choice(len(data), size=max(2, len(data) // 50), replace=False)
    if bug == "out_of_range":
        data["age"] = data["age"].astype(int)
        data.loc[rows[::2], "age"] = 999
        data.loc[rows[1::2], "credit_score"] = 9_999
    elif bug == "nulls":
        data.loc[rows, "annual_income"] = np.nan
    elif bug == "duplicates":
        import pandas as pd

        data = pd.concat([data, data.iloc[rows]], ignore_index=True)
    elif bug == "renamed_column":
        data = data.rename(columns={"annual_income": "yearly_income"})
    elif bug == "unknown_category":
        data.loc[rows, "loan_purpose"] = "crypto"
    elif bug == "bad_label":
        data.loc[rows, "defaulted"] = 2
    return data


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m mlops_course.cicd lint PATH...``: print problems, exit 1 if any."""
    args = list(sys.argv[1:] if argv is None else argv)
    if len(args) < 2 or args[0] != "lint":
        print("usage: python -m mlops_course.cicd lint PATH [PATH...]", file=sys.stderr)
        return 2
    problems = lint_sources(args[1:])
    for problem in problems:
        print(problem)
    print(f"lint: {len(problems)} problem(s) in {', '.join(args[1:])}")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
