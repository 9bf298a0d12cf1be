"""Which MLflow store the course uses, and what kind it is: the low-level part of tracking.

Nothing here imports MLflow, so both :mod:`mlops_course.tracking` and the classroom's
connection check can use it without importing each other.
"""

from __future__ import annotations

import os
from pathlib import Path
from urllib.parse import urlparse

from mlops_course.paths import COURSE_DATA_DIR

DEFAULT_DB_NAME = "mlflow.db"


def tracking_uri() -> str:
    """The MLflow tracking URI the course uses (``MLFLOW_TRACKING_URI`` or the course's SQLite file)."""
    from_env = os.environ.get("MLFLOW_TRACKING_URI", "").strip()
    if from_env:
        return from_env
    return f"sqlite:///{COURSE_DATA_DIR / DEFAULT_DB_NAME}"


def sqlite_path(uri: str) -> Path | None:
    """The database file of a ``sqlite:`` tracking URI, or ``None`` for other stores."""
    if not uri.startswith("sqlite:"):
        return None
    path = urlparse(uri).path
    # sqlite:////abs/path -> path '//abs/path'; sqlite:///rel -> '/rel' (relative to cwd)
    if uri.startswith("sqlite:////"):
        return Path(path[1:])
    return Path(path.lstrip("/")).resolve()


def artifact_root(uri: str | None = None) -> str | None:
    """Where artifacts of new experiments go: beside a SQLite store, else the server decides.

    Args:
        uri: a tracking URI; defaults to :func:`tracking_uri`.

    Returns:
        A ``file://`` URI for SQLite stores, ``None`` for servers (their own artifact root).
    """
    db = sqlite_path(uri or tracking_uri())
    if db is None:
        return None
    return (db.parent / "mlartifacts").resolve().as_uri()


def is_server(uri: str) -> bool:
    """Whether a tracking URI names an MLflow server (http or https) rather than a local store."""
    return urlparse(uri).scheme in ("http", "https")
