"""CI files: check them against their schemas (offline) and read their jobs in run order.

- :func:`validate_ci_file` checks a GitHub Actions workflow or a ``.gitlab-ci.yml`` with
  check-jsonschema's bundled schemas (offline).
- :func:`ci_jobs` reads a CI file's jobs in the order the CI server would run them.
- :func:`jenkins_stages` reads the stage names of a declarative Jenkinsfile.
"""

from __future__ import annotations

import contextlib
import io
import json
import re
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


def _check_jsonschema(arguments: list[str]) -> tuple[str, str]:
    """Run the ``check-jsonschema`` command with ``arguments`` in this process; return what it printed.

    The same command as ``python -m check_jsonschema ARGUMENTS``, without starting a Python for
    each file (its imports cost about two seconds of CPU every time).
    """
    from check_jsonschema import main as command

    stdout, stderr = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(stdout), contextlib.redirect_stderr(stderr):
        command.main(args=arguments, prog_name="check-jsonschema", standalone_mode=False)
    return stdout.getvalue(), stderr.getvalue()


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
    arguments = ["--builtin-schema", CI_KINDS[kind], "-o", "json", str(file)]
    if kind == "gitlab":
        arguments[-1:-1] = ["--data-transform", "gitlab-ci"]  # understands GitLab's !reference tags
    stdout, stderr = _check_jsonschema(arguments)
    try:
        report = json.loads(stdout)
    except json.JSONDecodeError as exc:
        raise RuntimeError(f"check-jsonschema gave no report: {stderr.strip()[-500:]}") from exc
    errors = [f"parse error: {e.get('message', e)}" for e in report.get("parse_errors", [])]
    for error in report.get("errors", []):
        deep = error.get("best_deep_match") or error.get("best_match")
        detail = f" (deepest cause: {deep['path']}: {deep['message']})" if deep else ""
        errors.append(f"{error['path']}: {error['message']}{detail}")
    return errors


@dataclass(frozen=True)
class CIJob:
    """One CI job, with ``extends`` and ``default`` already applied.

    ``commands`` are the ``script`` lines (GitHub: ``run`` steps); ``variables`` the file's
    global variables merged with the job's; ``needs`` is ``None`` when the job has no ``needs``
    (it then waits for every job of the earlier stages) and a tuple of job names otherwise;
    ``spec`` is the job's whole resolved mapping (``artifacts``, ``environment``, ...).
    """

    name: str
    stage: str
    commands: tuple[str, ...]
    variables: Mapping[str, str] = field(default_factory=dict)
    allow_failure: bool = False
    before_script: tuple[str, ...] = ()
    after_script: tuple[str, ...] = ()
    needs: tuple[str, ...] | None = None
    optional_needs: tuple[str, ...] = ()
    when: str = "on_success"
    rules: tuple[Mapping[str, Any], ...] = ()
    spec: Mapping[str, Any] = field(default_factory=dict)


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
    lines: list[str] = []
    for line in value:  # GitLab flattens nested lists (from !reference or anchors)
        lines.extend(_as_lines(line) if isinstance(line, list) else (str(line),))
    return tuple(lines)


def _variables(mapping: Any, where: str) -> dict[str, str]:
    """``KEY: value`` or ``KEY: {value: ..., description: ...}`` pairs as strings."""
    if mapping is None:
        return {}
    if not isinstance(mapping, Mapping):
        raise ValueError(f"{where}: variables must be a mapping of NAME: value, got {type(mapping).__name__}")
    result = {}
    for key, value in mapping.items():
        if isinstance(value, Mapping):
            value = value.get("value", "")
        result[str(key)] = "true" if value is True else "false" if value is False else str(value)
    return result


def _merge_job(base: Mapping[str, Any], override: Mapping[str, Any]) -> dict[str, Any]:
    """GitLab's ``extends`` merge: mappings merge key by key, anything else (lists too) is replaced; ``null`` removes."""
    merged: dict[str, Any] = dict(base)
    for key, value in override.items():
        if value is None:
            merged.pop(key, None)
        elif isinstance(value, Mapping) and isinstance(merged.get(key), Mapping):
            merged[key] = _merge_job(merged[key], value)
        else:
            merged[key] = value
    return merged


_EXTENDS_DEPTH = 11  # GitLab's limit on levels of inheritance


def _resolve_extends(ci: Mapping[str, Any], name: str, chain: tuple[str, ...] = ()) -> dict[str, Any]:
    spec = ci[name]
    if not isinstance(spec, Mapping):
        raise ValueError(f"job {name!r} must be a mapping of keywords, got {type(spec).__name__}")
    parents = _as_lines(spec.get("extends"))
    if not parents:
        return dict(spec)
    if len(chain) >= _EXTENDS_DEPTH:
        raise ValueError(f"job {name!r}: extends is nested more than {_EXTENDS_DEPTH} levels deep")
    merged: dict[str, Any] = {}
    for parent in parents:  # the last parent wins, the job itself wins over all
        if parent == name or parent in chain:
            raise ValueError(f"job {name!r}: extends forms a cycle through {parent!r}")
        if parent not in ci or parent in _GITLAB_RESERVED:
            raise ValueError(f"job {name!r} extends {parent!r}, which is not a job or hidden job (.name) in the file")
        merged = _merge_job(merged, _resolve_extends(ci, parent, (*chain, name)))
    own = {key: value for key, value in spec.items() if key != "extends"}
    return _merge_job(merged, own)


_WHEN = {"on_success", "on_failure", "always", "never", "manual"}
_UNSUPPORTED = ("only", "except", "trigger", "parallel")


def _inherits(spec: Mapping[str, Any], what: str, key: str) -> bool:
    """Whether a job inherits ``key`` of ``what`` (``default`` or ``variables``), per its ``inherit`` keyword."""
    setting = (spec.get("inherit") or {}).get(what, True)
    return key in setting if isinstance(setting, list) else bool(setting)


def _gitlab_jobs(ci: Mapping[str, Any]) -> list[CIJob]:
    stages = list(ci.get("stages") or ["build", "test", "deploy"])
    stages = [".pre", *stages, ".post"]
    default = ci.get("default") or {}
    global_vars = _variables(ci.get("variables"), "variables")
    jobs = []
    for name in ci:
        if name in _GITLAB_RESERVED or str(name).startswith(".") or not isinstance(ci[name], Mapping):
            continue
        spec = _resolve_extends(ci, name)
        if "script" not in spec:
            if "trigger" in spec:
                raise ValueError(f"job {name!r}: trigger jobs are not supported by the local runner")
            raise ValueError(f"job {name!r} has no script (after extends)")
        unsupported = [key for key in _UNSUPPORTED if key in spec]
        if unsupported:
            raise ValueError(f"job {name!r}: {', '.join(unsupported)} is not supported by the local runner; use rules")
        stage = str(spec.get("stage", "test"))
        if stage not in stages:
            raise ValueError(f"job {name!r} uses stage {stage!r}, which is not in stages: {stages[1:-1]}")
        inherited = {k: v for k, v in global_vars.items() if _inherits(spec, "variables", k)}
        variables = {**inherited, **_variables(spec.get("variables"), f"job {name!r}")}
        scripts = {}
        for key in ("before_script", "after_script"):
            fallback = default.get(key, ci.get(key)) if _inherits(spec, "default", key) else None
            scripts[key] = _as_lines(spec.get(key, fallback))
        needs, optional = None, []
        if "needs" in spec:
            needs = []
            for need in spec["needs"] or []:
                if isinstance(need, Mapping):
                    if "job" not in need:
                        raise ValueError(f"job {name!r}: needs {need!r} names no job (only job needs are supported)")
                    needs.append(str(need["job"]))
                    if need.get("optional") is True:
                        optional.append(str(need["job"]))
                else:
                    needs.append(str(need))
        when = str(spec.get("when", "on_success"))
        if when not in _WHEN:
            raise ValueError(f"job {name!r}: when must be one of {sorted(_WHEN)} for the local runner, got {when!r}")
        rules = spec.get("rules") or []
        if not isinstance(rules, list) or not all(isinstance(rule, Mapping) for rule in rules):
            raise ValueError(f"job {name!r}: rules must be a list of mappings (- if: ...)")
        jobs.append(
            CIJob(
                str(name),
                stage,
                _as_lines(spec["script"]),
                variables,
                spec.get("allow_failure") is True,
                scripts["before_script"],
                scripts["after_script"],
                None if needs is None else tuple(needs),
                tuple(optional),
                when,
                tuple(rules),
                spec,
            )
        )
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
        needs = _as_lines(spec.get("needs"))
        allowed = spec.get("continue-on-error") is True
        commands = tuple(str(s["run"]) for s in steps)
        jobs.append(CIJob(name, name, commands, variables, allowed, needs=needs, spec=dict(spec)))
    return jobs


def ci_jobs(source: str | Path | Mapping[str, Any], kind: str) -> list[CIJob]:
    """The jobs of a CI configuration in the order the CI server runs them.

    GitLab: by the order of ``stages``, then file order, with ``extends`` (GitLab's reverse deep
    merge: mappings such as ``variables`` merge key by key, lists such as ``script`` are replaced,
    the last parent wins and the job wins over its parents), ``default``/global ``before_script``
    and ``after_script``, and ``inherit`` applied. GitHub: by ``needs``, then file order.

    Raises:
        ValueError: a job extends a missing job or forms a cycle, uses an unknown stage, or uses
            a keyword the local runner does not support (``only``, ``except``, ``trigger``, ``parallel``).
    """
    if not isinstance(source, (str, Path, Mapping)):
        raise TypeError(
            f"source must be a CI file's path, its text or its parsed mapping, got {type(source).__name__}."
        )
    ci = load_ci(source)
    return _gitlab_jobs(ci) if _check_kind(kind) == "gitlab" else _github_jobs(ci)


_SECRET_NAME = re.compile(r"(password|passwd|secret|token|api_key|access_key|private_key)$", re.IGNORECASE)
_REFERENCE = re.compile(r"^\$\{?[A-Za-z_][A-Za-z0-9_]*\}?$")
_SECRET_IN_SCRIPT = re.compile(
    r"\b([A-Za-z_]*(?:PASSWORD|PASSWD|SECRET|TOKEN|API_KEY|ACCESS_KEY)[A-Za-z0-9_]*)=(?![\"']?\$)(\S+)", re.IGNORECASE
)


def ci_secrets(source: str | Path | Mapping[str, Any], kind: str = "gitlab") -> list[str]:
    """Where a CI file writes a secret value: secret-named variables holding a literal, or ``NAME=value`` in scripts.

    A value that only refers to a variable (``CREDIT_API_TOKEN: $CREDIT_API_TOKEN``) is not a
    secret: the CI server fills it from its masked variables. Returns ``"<job>: <NAME>"`` lines.
    """
    found = []
    if not isinstance(source, (str, Path, Mapping)):
        raise TypeError(
            f"source must be a CI file's path, its text or its parsed mapping, got {type(source).__name__}."
        )
    ci = load_ci(source)
    scopes: list[tuple[str, Mapping[str, Any], tuple[str, ...]]] = []
    for job in ci_jobs(ci, kind):
        scopes.append((job.name, job.variables, (*job.before_script, *job.commands, *job.after_script)))
    top = ci.get("variables") if kind == "gitlab" else ci.get("env")
    scopes.append(("variables", _variables(top, "variables"), ()))
    for where, variables, lines in scopes:
        for key, value in variables.items():
            if _SECRET_NAME.search(key) and value.strip() and not _REFERENCE.match(value.strip()):
                found.append(f"{where}: {key}")
        for line in lines:
            found += [f"{where}: {match.group(1)}" for match in _SECRET_IN_SCRIPT.finditer(line)]
    return sorted(set(found))


def jenkins_stages(text: str) -> list[str]:
    """The ``stage('name')`` names of a declarative Jenkinsfile, in order."""
    if not isinstance(text, str):
        raise TypeError(f"text must be a Jenkinsfile's text, got {type(text).__name__}.")
    return re.findall(r"""\bstage\s*\(\s*['"]([^'"]+)['"]\s*\)""", text)
