"""The unprivileged account the MLflow server runs as when the course runs as root.

Running as root, the server drops to an account that owns nothing but the server's own
folders (:func:`service_user`, :func:`give_to`).
"""

from __future__ import annotations

import functools
import grp
import os
import pwd
import shutil
import subprocess
import sys
from pathlib import Path

#: the unprivileged account the MLflow server runs as when the course runs as root
SERVICE_USER = "nobody"


@functools.lru_cache(maxsize=1)
def service_user() -> str | None:
    """Whom to run the MLflow server as: :data:`SERVICE_USER` when running as root, else ``None`` (as we are).

    Running as root, the server drops to an account that owns nothing but the server's own
    folders. That account must be able to read the Python environment; when it cannot (a
    virtual environment inside a private home folder), the server runs as root and says so once.
    """
    if os.geteuid() != 0:
        return None
    try:
        pwd.getpwnam(SERVICE_USER)
    except KeyError:
        return None
    try:
        probe = subprocess.run(
            [sys.executable, "-c", "import mlflow.server, mlops_course.classroom.guard"],
            user=SERVICE_USER,
            group=grp.getgrgid(pwd.getpwnam(SERVICE_USER).pw_gid).gr_name,
            extra_groups=[],
            env={"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": "/"},
            cwd="/",
            capture_output=True,
            text=True,
            timeout=180,
            check=False,
        )
        readable = probe.returncode == 0
    except OSError:  # the interpreter itself lies in a folder the account cannot enter
        readable = False
    if not readable:
        print(
            f"Note: the MLflow server runs as root: the account {SERVICE_USER!r} cannot read this Python "
            f"environment ({sys.prefix}). Install the course outside private folders to run it unprivileged.",
            file=sys.stderr,
        )
        return None
    return SERVICE_USER


def give_to(user: str, *paths: Path) -> None:
    """Hand folders (recursively) and files to ``user`` so the server can write there and nowhere else."""
    for path in paths:
        for item in [path, *path.rglob("*")] if path.is_dir() else [path]:
            shutil.chown(item, user=user, group=grp.getgrgid(pwd.getpwnam(user).pw_gid).gr_name)
