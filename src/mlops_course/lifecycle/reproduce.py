"""Record which code trained a model, and reproduce a run from what MLflow logged."""

from __future__ import annotations

import inspect
from collections.abc import Callable, Mapping
from pathlib import Path

import pandas as pd

from mlops_course.checks import BadType, check_number, describe
from mlops_course.cicd.versioning import GitError, git
from mlops_course.util import sha256_hex


def source_hash(func: Callable[..., object]) -> str:
    """The first 16 hex digits of the SHA-256 of a function's source code."""
    try:
        source = inspect.getsource(func)
    except (OSError, TypeError) as exc:
        raise ValueError(
            f"cannot read the source of {func!r}; pass a function defined in a file or notebook cell."
        ) from exc
    return sha256_hex(source)[:16]


def git_commit(folder: str | Path = ".") -> str | None:
    """The commit checked out in the git repository around ``folder``, or ``None`` (no git, no repo)."""
    try:
        commit = git(folder, "rev-parse", "HEAD")
    except GitError:
        return None
    return commit if len(commit) == 40 else None


def code_version(func: Callable[..., object], folder: str | Path = ".") -> dict[str, str]:
    """Tags that say which code trained a model: the git commit when there is one, and always
    the hash of the training function's source (a notebook cell can change without a commit).

    Returns:
        ``code.version_kind`` (``"git commit"`` or ``"source hash"``), ``code.source_sha256``
        and, when available, ``code.git_commit``.
    """
    tags = {"code.source_sha256": source_hash(func)}
    commit = git_commit(folder)
    if commit:
        tags["code.git_commit"] = commit
    tags["code.version_kind"] = "git commit" if commit else "source hash"
    return tags


def parse_logged_params(logged: Mapping[str, str], template: Mapping[str, object]) -> dict[str, object]:
    """Turn MLflow's logged parameters (always strings) back into typed values.

    Args:
        logged: ``run.data.params`` of an MLflow run.
        template: the recipe's keys with example values whose types to restore (int, float, bool, str).

    Returns:
        A dict with the template's keys and typed values from ``logged``.

    Raises:
        ValueError: a key is missing from the run or its value does not convert.
    """
    for name, value in (("logged", logged), ("template", template)):
        if not isinstance(value, Mapping):
            raise BadType(f"{name} must be a dict of parameters, got {describe(value)}.")
    missing = [k for k in template if k not in logged]
    if missing:
        raise ValueError(f"the run did not log parameter(s) {missing}; cannot reproduce it from its parameters.")
    typed: dict[str, object] = {}
    for key, example in template.items():
        text = str(logged[key])
        try:
            if isinstance(example, bool):
                if text not in ("True", "False"):
                    raise ValueError(text)
                typed[key] = text == "True"
            else:
                typed[key] = type(example)(text) if isinstance(example, (int, float, str)) else text
        except ValueError as exc:
            raise ValueError(f"logged parameter {key}={text!r} is not a {type(example).__name__}.") from exc
    return typed


def compare_metrics(
    original: Mapping[str, float], reproduced: Mapping[str, float], tolerance: float = 1e-9
) -> pd.DataFrame:
    """Put the logged and the reproduced metrics side by side, with whether each matches within ``tolerance``."""
    tolerance = check_number("tolerance", tolerance, low=0)
    for name, value in (("original", original), ("reproduced", reproduced)):
        if not isinstance(value, Mapping):
            raise BadType(f"{name} must be a dict of metric -> value, got {describe(value)}.")
    missing = [k for k in original if k not in reproduced]
    if missing:
        raise ValueError(f"reproduced metrics lack {missing}; evaluate the same metrics as the original run.")
    rows = [
        {
            "metric": k,
            "logged": float(v),
            "reproduced": float(reproduced[k]),
            "match": abs(float(v) - float(reproduced[k])) <= tolerance,
        }
        for k, v in original.items()
    ]
    return pd.DataFrame(rows)
