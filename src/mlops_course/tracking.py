"""Experiment tracking in one place: which MLflow store the course uses, and how.

- ``MLFLOW_TRACKING_URI`` wins when it is set (a class server, or a test's throwaway store).
- Otherwise every notebook shares one SQLite file in the course-local folder
  ``.course-data/`` (ignored by git), so ``mlflow ui`` shows the learner's whole history.
- A SQLite store that does not exist yet starts as a copy of an empty, already migrated
  one (:mod:`mlops_course.store_template`), which saves MLflow's ~2 s of migrations.

MLflow 3 refuses a plain file store by default, so the default is always SQLite.
Artifacts of experiments created here go next to the SQLite file, never into the
notebook's working folder.
"""

from __future__ import annotations

import logging
import os
import warnings

from mlops_course.store_template import seed_store
from mlops_course.tracking_store import DEFAULT_DB_NAME, artifact_root, is_server, sqlite_path, tracking_uri

__all__ = [
    "DEFAULT_DB_NAME",
    "artifact_root",
    "configure",
    "ensure_experiment",
    "is_server",
    "learner_scoped_name",
    "quiet_logs",
    "tracking_uri",
]

_QUIET_LOGGERS = ("mlflow", "alembic", "urllib3", "git", "databricks")


def quiet_logs() -> None:
    """Silence library chatter (MLflow's INFO lines, alembic migrations) so outputs show what teaches."""
    for name in _QUIET_LOGGERS:
        logging.getLogger(name).setLevel(logging.WARNING)
    os.environ.setdefault("GIT_PYTHON_REFRESH", "quiet")
    os.environ.setdefault("MLFLOW_ENABLE_ASYNC_LOGGING", "false")
    # The course is offline: no telemetry calls, no artifact-download progress bars on stderr.
    os.environ.setdefault("MLFLOW_DISABLE_TELEMETRY", "true")
    os.environ.setdefault("MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR", "false")
    warnings.filterwarnings("ignore", module=r"mlflow(\..*)?")


def learner_scoped_name(name: str, uri: str | None = None) -> str:
    """The name of an experiment or registered model as this learner should use it.

    On a class server names are shared by everyone, and a learner may not write into a
    classmate's experiment or model; so there, with ``MLFLOW_TRACKING_USERNAME`` set, the
    name gets the learner's username in front (``alice-module1-credit-model``). On the
    learner's own store the name is unchanged.

    Args:
        name: the course's name for it, e.g. ``"module3-credit-model"``.
        uri: the tracking URI; defaults to :func:`tracking_uri`.

    Returns:
        The name to use.
    """
    if not isinstance(name, str) or not name.strip():
        raise TypeError(f"name must be a non-empty name such as 'module3-credit-model', got {name!r}.")
    user = os.environ.get("MLFLOW_TRACKING_USERNAME", "").strip()
    if user and is_server(uri or tracking_uri()) and not name.startswith(f"{user}-"):
        return f"{user}-{name}"
    return name


def configure(experiment: str | None = None) -> str:
    """Point MLflow at the course's store and (optionally) select an experiment.

    On a class server (an http(s) ``MLFLOW_TRACKING_URI``) the connection and login are
    checked first, so a wrong address or password gives one clear message, and the
    experiment name is scoped to the learner (:func:`learner_scoped_name`).

    Args:
        experiment: the experiment name to use; created if it does not exist, with its
            artifacts beside the SQLite store.

    Returns:
        The tracking URI in use.

    Raises:
        mlops_course.classroom.ClassroomConnectionError: the class server cannot be used
            as configured; the message says what to set.
    """
    import mlflow

    quiet_logs()
    uri = tracking_uri()
    db = sqlite_path(uri)
    if db is not None:
        db.parent.mkdir(parents=True, exist_ok=True)
        # a new store starts as a copy of a pre-migrated empty one (no ~2 s of migrations)
        seed_store(uri)
    if is_server(uri):
        from mlops_course.classroom.connection import check_connection

        check_connection(uri)
    mlflow.set_tracking_uri(uri)
    mlflow.set_registry_uri(uri)
    if experiment:
        experiment = learner_scoped_name(experiment, uri)
        ensure_experiment(experiment)
        mlflow.set_experiment(experiment)
    return uri


def ensure_experiment(name: str) -> str:
    """Create the experiment ``name`` if needed (artifacts beside the store); return its id."""
    import mlflow

    if not name or not name.strip():
        raise ValueError("experiment name must be a non-empty string, e.g. 'module1-credit-model'.")
    client = mlflow.MlflowClient()
    existing = client.get_experiment_by_name(name)
    if existing is not None:
        return existing.experiment_id
    root = artifact_root(mlflow.get_tracking_uri())
    location = f"{root}/{name}" if root else None
    return client.create_experiment(name, artifact_location=location)
