"""Data versioning with DVC: real ``git`` and ``dvc`` commands in a repository, offline.

DVC keeps large files out of Git: ``dvc add`` moves a file's content into a cache addressed
by its MD5 and writes a small ``.dvc`` pointer file that Git versions; ``dvc push`` copies
the content to a *remote* (here a local folder; in a team an S3 bucket or a shared drive);
``git checkout <commit> && dvc checkout`` brings back the data that commit points to.

:func:`run` runs one command line the way a terminal would (``dvc`` is the course's
``python -m dvc``), with DVC's usage analytics off (``DVC_NO_ANALYTICS``), Git isolated from
the learner's global configuration, and optional fixed commit dates so commit ids repeat.
"""

from __future__ import annotations

import shlex
import subprocess
import sys
from pathlib import Path

from mlops_course.cicd.versioning import _git_env

#: The registry tag that names the commit of the data repository a model was trained from.
DATA_COMMIT_TAG = "data_commit"
_TIMEOUT_S = 180


class CommandError(RuntimeError):
    """A git or dvc command failed; the message holds the command's own explanation."""


def run(repo: str | Path, command: str, fixed_date: str | None = None) -> str:
    """Run one ``git ...`` or ``dvc ...`` command line in ``repo``; return its output, stripped.

    Args:
        repo: the folder to run in (a Git repository, or where one is created).
        command: e.g. ``"dvc add data/applications.parquet"``; quoted as in a shell, no pipes.
        fixed_date: author and committer date for ``git commit`` (``"2024-06-03T09:00:00+00:00"``).

    Raises:
        ValueError: the command is neither ``git`` nor ``dvc``, or ``repo`` is not a folder.
        CommandError: the command exits with an error.
    """
    args = shlex.split(command)
    if not args or args[0] not in ("git", "dvc"):
        raise ValueError(f"command must start with 'git' or 'dvc', got {command!r}.")
    folder = Path(repo)
    if not folder.is_dir():
        raise ValueError(f"repo {folder} is not a folder.")
    if args[0] == "dvc":
        args = [sys.executable, "-m", "dvc", *args[1:]]
    env = {**_git_env(fixed_date), "DVC_NO_ANALYTICS": "1", "NO_COLOR": "1"}
    done = subprocess.run(args, cwd=folder, env=env, capture_output=True, text=True, timeout=_TIMEOUT_S)
    if done.returncode != 0:
        raise CommandError(f"{command} failed: {(done.stderr or done.stdout).strip()}")
    return done.stdout.strip()


def show(repo: str | Path, *commands: str, fixed_date: str | None = None) -> None:
    """Run ``commands`` one after another, printing each as ``$ command`` and then its output."""
    for command in commands:
        output = run(repo, command, fixed_date=fixed_date)
        print(f"$ {command}" + (f"\n{output}" if output else ""))


__all__ = ["DATA_COMMIT_TAG", "CommandError", "run", "show"]
