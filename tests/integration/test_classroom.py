"""Classroom mode for real: PostgreSQL, MLflow with accounts, artifacts in S3, learners' notebooks.

Starts a throwaway PostgreSQL cluster, the local AWS emulator's S3 and an MLflow server with
basic-auth (all on 127.0.0.1, free ports), creates two learner accounts, runs Module 1 and
an exercise solution as learner ``alice`` with nothing but environment variables, then
checks the runs in PostgreSQL, the artifacts in the bucket, and that learner ``bob`` may
read but not change alice's work. Everything is torn down at the end.

Skipped only when PostgreSQL's server binaries are absent (CI installs them).
"""

from __future__ import annotations

import os
import secrets
import time
from pathlib import Path

import pytest

from mlops_course.classroom.services import postgres_bin_dir
from mlops_course.paths import NOTEBOOKS_DIR, SOLUTIONS_DIR

pytestmark = [
    pytest.mark.integration,
    pytest.mark.skipif(postgres_bin_dir() is None, reason="PostgreSQL server binaries (initdb, pg_ctl) not installed"),
]

MODULE_1 = NOTEBOOKS_DIR / "01_introduction_to_mlops.ipynb"
EXERCISE_0 = SOLUTIONS_DIR / "ex0_how_exercises_work.ipynb"
CELL_TIMEOUT = 120
SMOKE_EXPERIMENT = "classroom-smoke"


def _smoke_notebook():
    """A tiny learner notebook (used while Module 1 does not exist): one run with an artifact."""
    import nbformat

    source = f"""
from mlops_course.tracking import configure
import mlflow
configure({SMOKE_EXPERIMENT!r})
with mlflow.start_run(run_name="smoke") as run:
    mlflow.log_param("model", "logistic")
    mlflow.log_metric("roc_auc", 0.81)
    mlflow.log_dict({{"features": ["age", "income"]}}, "feature_list.json")
print("logged", run.info.run_id)
"""
    notebook = nbformat.v4.new_notebook()
    notebook.cells = [nbformat.v4.new_code_cell(source.strip())]
    notebook.metadata["kernelspec"] = {
        "name": "mlops-course",
        "display_name": "Python 3 (MLOps course)",
        "language": "python",
    }
    return notebook


def _exercise_solution() -> tuple[Path, bool]:
    """The exercise solution to run: the first that logs to MLflow, else the warm-up (no runs expected)."""
    for stem in ("ex2_model_management", "ex3_ci_cd", "ex1_automated_pipeline"):  # quickest first
        path = SOLUTIONS_DIR / f"{stem}.ipynb"
        if path.exists() and "mlflow" in path.read_text(encoding="utf-8"):
            return path, True
    return EXERCISE_0, False


EXERCISE, EXERCISE_LOGS_RUNS = _exercise_solution()
LEARNER_NOTEBOOKS = [
    pytest.param(
        MODULE_1 if MODULE_1.exists() else None, True, id="module1" if MODULE_1.exists() else "smoke-notebook"
    ),
    pytest.param(
        EXERCISE,
        EXERCISE_LOGS_RUNS,
        id=EXERCISE.stem,
        marks=pytest.mark.skipif(not EXERCISE.exists(), reason=f"{EXERCISE.name} not written yet"),
    ),
]


@pytest.fixture(scope="module")
def classroom():
    """The class services with accounts ``alice`` and ``bob``; stopped after the module's tests."""
    from mlops_course.classroom.learners import Learner, add_learners
    from mlops_course.classroom.services import classroom_services

    admin_password = secrets.token_urlsafe(16)
    learners = {name: Learner(name, secrets.token_urlsafe(16)) for name in ("alice", "bob")}
    with classroom_services(admin_password=admin_password, workers=1) as services:
        report = add_learners(
            services.tracking_uri, list(learners.values()), admin_username="admin", admin_password=admin_password
        )
        assert sorted(report.created) == ["alice", "bob"], f"accounts not created: {report}"
        yield services, learners


def _env_for(services, learner) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("MLFLOW_", "AWS_"))}
    env |= {
        "MLFLOW_TRACKING_URI": services.tracking_uri,
        "MLFLOW_TRACKING_USERNAME": learner.username,
        "MLFLOW_TRACKING_PASSWORD": learner.password,
        "PYTHONHASHSEED": "0",
        "MPLBACKEND": "Agg",
    }
    return env


def _run_as(notebook_path: Path | None, env: dict[str, str], workdir: Path) -> None:
    import nbformat
    from nbclient import NotebookClient

    notebook = nbformat.read(notebook_path, as_version=4) if notebook_path else _smoke_notebook()
    folder = notebook_path.parent if notebook_path and notebook_path.parent == NOTEBOOKS_DIR else workdir
    client = NotebookClient(
        notebook, timeout=CELL_TIMEOUT, kernel_name="mlops-course", resources={"metadata": {"path": str(folder)}}
    )
    client.execute(env=env)


def _runs(services) -> dict[str, tuple[str, str]]:
    """run id -> (experiment id, artifact URI), read straight from PostgreSQL."""
    connection = services.postgres.connect("mlflow")
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT run_uuid, experiment_id, artifact_uri FROM runs")
            return {run_id: (str(experiment), uri) for run_id, experiment, uri in cursor.fetchall()}
    finally:
        connection.close()


@pytest.mark.parametrize(("notebook_path", "logs_runs"), LEARNER_NOTEBOOKS)
def test_learner_notebook_logs_runs_to_postgres_and_artifacts_to_s3(
    classroom, notebook_path, logs_runs, tmp_path
) -> None:
    services, learners = classroom
    before = _runs(services)
    started = time.perf_counter()
    _run_as(notebook_path, _env_for(services, learners["alice"]), tmp_path)
    print(
        f"{notebook_path.name if notebook_path else 'smoke notebook'} ran against the class server in {time.perf_counter() - started:.1f} s"
    )

    new_runs = {run_id: info for run_id, info in _runs(services).items() if run_id not in before}
    if not logs_runs:
        return  # the warm-up exercise does not use MLflow: running cleanly as a learner is the check
    assert new_runs, "the notebook logged no run into the class server's PostgreSQL store"
    assert all(uri.startswith("mlflow-artifacts:") for _, uri in new_runs.values()), (
        f"artifacts must go through the server's proxy (mlflow-artifacts:), got {sorted({u for _, u in new_runs.values()})}"
    )
    keys = services.artifacts.keys()
    experiments = {experiment for experiment, _ in new_runs.values()}
    assert any(key.split("/", 1)[0] in experiments for key in keys), (
        f"no artifact of experiments {sorted(experiments)} in s3://{services.artifacts.bucket}; keys: {keys[:10]}"
    )


def test_second_learner_reads_but_cannot_change_first_learners_work(classroom, monkeypatch) -> None:
    from mlflow import MlflowClient
    from mlflow.exceptions import MlflowException

    services, learners = classroom
    monkeypatch.setenv("MLFLOW_TRACKING_URI", services.tracking_uri)
    monkeypatch.setenv("MLFLOW_TRACKING_USERNAME", "alice")
    monkeypatch.setenv("MLFLOW_TRACKING_PASSWORD", learners["alice"].password)
    client = MlflowClient(tracking_uri=services.tracking_uri)
    experiment_id = client.create_experiment(f"alice-private-{secrets.token_hex(4)}")
    run = client.create_run(experiment_id)
    client.log_metric(run.info.run_id, "accuracy", 0.9)

    monkeypatch.setenv("MLFLOW_TRACKING_USERNAME", "bob")
    monkeypatch.setenv("MLFLOW_TRACKING_PASSWORD", learners["bob"].password)
    assert client.get_experiment(experiment_id).experiment_id == experiment_id, (
        "bob must be able to read (default READ)"
    )
    for attempt in (
        lambda: client.create_run(experiment_id),
        lambda: client.log_metric(run.info.run_id, "accuracy", 0.1),
        lambda: client.delete_experiment(experiment_id),
    ):
        with pytest.raises(MlflowException) as denied:  # HTTP 403, error code PERMISSION_DENIED
            attempt()
        assert denied.value.error_code == "PERMISSION_DENIED", (
            f"expected PERMISSION_DENIED, got {denied.value.error_code}"
        )
    bob_experiment = client.create_experiment(f"bob-own-{secrets.token_hex(4)}")
    client.create_run(bob_experiment)  # bob may still work in his own experiment


def test_learner_connection_check_against_the_real_server(classroom) -> None:
    from mlops_course.classroom.connection import ClassroomConnectionError, check_connection

    services, learners = classroom
    status = check_connection(services.tracking_uri, "alice", learners["alice"].password)
    assert (status.username, status.authenticated, status.is_admin) == ("alice", True, False)
    with pytest.raises(ClassroomConnectionError, match="rejected the login"):
        check_connection(services.tracking_uri, "alice", "not-the-right-password")
    with pytest.raises(ClassroomConnectionError, match="needs a login"):
        check_connection(services.tracking_uri, "", "")


def test_two_learners_run_the_same_notebook(classroom, tmp_path) -> None:
    services, learners = classroom
    for name in ("alice", "bob"):
        _run_as(None, _env_for(services, learners[name]), tmp_path)
