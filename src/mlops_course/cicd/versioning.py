"""Versioning that links code, data and model: a real Git repository, a data fingerprint, registry tags.

Git runs through its command line (``git`` must be installed), with the repository's own
``user.name``/``user.email`` and no global or system configuration, so nothing on the
learner's machine changes and no network is touched. Commit dates can be pinned
(``fixed_date``) so the same files give the same commit ids on every machine.

A registered model version carries :data:`LINEAGE_KEYS` as tags; :func:`trace_model`
reads them back, so any served model leads to the exact commit and data it came from.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Mapping
from pathlib import Path
from typing import Any

#: The tags that tie a model version to its code and data.
COMMIT_TAG = "git_commit"
DATA_TAG = "data_fingerprint"
LINEAGE_KEYS: tuple[str, ...] = (COMMIT_TAG, DATA_TAG)
_GIT_TIMEOUT_S = 30


class GitError(RuntimeError):
    """A git command failed; the message holds git's own explanation."""


def _git_env(fixed_date: str | None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("GIT_")}
    env.update(GIT_CONFIG_NOSYSTEM="1", GIT_CONFIG_GLOBAL=os.devnull, GIT_TERMINAL_PROMPT="0", LC_ALL="C")
    if fixed_date:
        env.update(GIT_AUTHOR_DATE=fixed_date, GIT_COMMITTER_DATE=fixed_date)
    return env


def git(repo: str | Path, *args: str, fixed_date: str | None = None) -> str:
    """Run ``git <args>`` in ``repo`` and return its standard output, stripped.

    Args:
        repo: the working tree.
        args: git's arguments, e.g. ``"status", "--porcelain"``.
        fixed_date: if given (``"2024-06-01T12:00:00+00:00"``), author and committer date.

    Raises:
        GitError: git is missing, the folder does not exist, or git exits with an error.
    """
    if shutil.which("git") is None:
        raise GitError("the git command is not installed; install Git to use versioning")
    folder = Path(repo)
    if not folder.is_dir():
        raise GitError(f"repository folder {folder} does not exist")
    done = subprocess.run(
        ["git", *args], cwd=folder, env=_git_env(fixed_date), capture_output=True, text=True, timeout=_GIT_TIMEOUT_S
    )
    if done.returncode != 0:
        raise GitError(f"git {' '.join(args)} failed: {(done.stderr or done.stdout).strip()}")
    return done.stdout.strip()


def init_repo(path: str | Path, user_name: str = "Course Learner", user_email: str = "learner@example.com") -> Path:
    """Create a Git repository at ``path`` (branch ``main``) with a local user; return its path."""
    if not user_name.strip() or "@" not in user_email:
        raise ValueError(f"user_name must be non-empty and user_email an address, got {user_name!r}, {user_email!r}")
    folder = Path(path)
    folder.mkdir(parents=True, exist_ok=True)
    git(folder, "init", "--quiet", "--initial-branch=main")
    git(folder, "config", "user.name", user_name)
    git(folder, "config", "user.email", user_email)
    git(folder, "config", "commit.gpgsign", "false")
    return folder


def commit_all(repo: str | Path, message: str, fixed_date: str | None = None) -> str:
    """Stage every change in ``repo``, commit it with ``message`` and return the new commit id (40 hex)."""
    if not message.strip():
        raise ValueError("message must describe the change, got an empty string")
    git(repo, "add", "--all")
    git(repo, "commit", "--quiet", "--allow-empty", "-m", message, fixed_date=fixed_date)
    return head_commit(repo)


def head_commit(repo: str | Path) -> str:
    """The full id of the commit checked out in ``repo``."""
    return git(repo, "rev-parse", "HEAD")


def is_clean(repo: str | Path) -> bool:
    """True when ``repo`` has no uncommitted change (tracked or untracked, ignored files aside)."""
    return git(repo, "status", "--porcelain") == ""


def short_log(repo: str | Path, n: int = 5) -> list[str]:
    """The last ``n`` commits as ``"<short id> <subject>"`` lines, newest first."""
    if n < 1:
        raise ValueError(f"n must be at least 1, got {n}")
    out = git(repo, "log", f"-{n}", "--format=%h %s")
    return out.splitlines()


def lineage_tags(commit: str, data_fingerprint: str, **extra: Any) -> dict[str, str]:
    """The tags that tie a model version to its code and data (plus any ``extra`` ones, as strings).

    Raises:
        ValueError: ``commit`` is not a full 40-hex commit id or ``data_fingerprint`` is empty.
    """
    commit = str(commit)
    if len(commit) != 40 or any(ch not in "0123456789abcdef" for ch in commit):
        raise ValueError(f"commit must be a full 40-character git commit id, got {commit!r}")
    if not str(data_fingerprint).strip():
        raise ValueError("data_fingerprint must be a non-empty string, e.g. from mlops_course.data.dataset_fingerprint")
    tags = {COMMIT_TAG: commit, DATA_TAG: str(data_fingerprint)}
    tags.update({str(k): str(v) for k, v in extra.items()})
    return tags


def trace_model(client: Any, name: str, alias: str) -> dict[str, str]:
    """Follow a registry alias back to its version, run, commit and data fingerprint.

    Args:
        client: an ``mlflow.MlflowClient`` (or anything with ``get_model_version_by_alias``).
        name: the registered model's name.
        alias: e.g. ``"champion"``.

    Returns:
        ``version``, ``run_id`` and every lineage tag (missing tags are ``"<missing>"``).
    """
    version = client.get_model_version_by_alias(name, alias)
    tags: Mapping[str, str] = version.tags or {}
    traced = {"model": name, "alias": alias, "version": str(version.version), "run_id": str(version.run_id)}
    traced.update({key: tags.get(key, "<missing>") for key in LINEAGE_KEYS})
    return traced


__all__ = [
    "COMMIT_TAG",
    "DATA_TAG",
    "LINEAGE_KEYS",
    "GitError",
    "commit_all",
    "git",
    "head_commit",
    "init_repo",
    "is_clean",
    "lineage_tags",
    "short_log",
    "trace_model",
]
