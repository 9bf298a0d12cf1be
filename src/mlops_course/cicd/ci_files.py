"""CI files: check them against their schemas (offline) and read their jobs in run order.

- :func:`validate_ci_file` checks a GitHub Actions workflow or a ``.gitlab-ci.yml`` with
  check-jsonschema's bundled schemas (offline).
- :func:`ci_jobs` reads a CI file's jobs in the order the CI server would run them.
- :func:`jenkins_stages` reads the stage names of a declarative Jenkinsfile.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from mlops_course.util import topological_order

CI_KINDS: dict[str, str] = {"github": "vendor.github-workflows", "gitlab": "vendor.gitlab-ci"}
ML_STAGES: tuple[str, ...] = ("lint", "test", "train", "evaluate", "register")
_GITLAB_RESERVED = {
    "default",
    "include",
    "stages",
    "variables",
    "workflow",
    "image",
    "services",
    "cache",
    "before_script",
    "after_script",
    "pages_config",
    "spec",
}


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
        if (
            name in _GITLAB_RESERVED
            or str(name).startswith(".")
            or not isinstance(spec, Mapping)
            or "script" not in spec
        ):
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
    try:  # run order: after the jobs each `needs`, then file order
        ordered = topological_order(list(specs), {name: _as_lines(specs[name].get("needs")) for name in specs})
    except ValueError as exc:
        raise ValueError(f"jobs: {exc}") from None
    jobs = []
    for name in ordered:
        spec = specs[name]
        steps = [s for s in spec.get("steps") or [] if isinstance(s, Mapping) and "run" in s]
        variables = {**global_env, **{str(k): str(v) for k, v in (spec.get("env") or {}).items()}}
        jobs.append(
            CIJob(name, name, tuple(str(s["run"]) for s in steps), variables, spec.get("continue-on-error") is True)
        )
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
