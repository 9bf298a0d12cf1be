"""Classroom mode for real: PostgreSQL, MLflow with accounts and the course's guard, artifacts behind its proxy.

Starts a throwaway PostgreSQL cluster and an MLflow server with basic-auth and the course's
guard (all on 127.0.0.1, free ports; artifacts in a folder behind the server's proxy),
creates two learner accounts, runs Module 1 and an exercise solution as learner ``alice``
with nothing but environment variables, then checks the runs in PostgreSQL and the
artifacts on disk; that learner ``bob`` may read but not change alice's work; that two
learners running the same notebook get their own experiments; and that the holes a curious
learner could use are closed (artifact locations, model-version sources, passwords in ``ps``);
that MLflow logs in as its own unprivileged database role, never the superuser; and that a
kept cluster reopens (one made when the superuser was MLflow's login is adopted).
Everything is torn down at the end.

Skipped only when PostgreSQL's server binaries are absent (CI installs them).
"""

from __future__ import annotations

import contextlib
import os
import secrets
import shutil
import subprocess
import tempfile
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


def _exercise_solution() -> tuple[Path, bool]:
    """The exercise solution to run: the first that logs to MLflow, else the warm-up (no runs expected)."""
    for stem in ("ex2_model_management", "ex3_ci_cd", "ex1_automated_pipeline"):  # quickest first
        path = SOLUTIONS_DIR / f"{stem}.ipynb"
        if path.exists() and "mlflow" in path.read_text(encoding="utf-8"):
            return path, True
    return EXERCISE_0, False


EXERCISE, EXERCISE_LOGS_RUNS = _exercise_solution()
LEARNER_NOTEBOOKS = [
    pytest.param(MODULE_1, True, id="module1"),
    pytest.param(EXERCISE, EXERCISE_LOGS_RUNS, id=EXERCISE.stem),
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


def _run_as(notebook_path: Path, env: dict[str, str], workdir: Path) -> None:
    import nbformat
    from nbclient import NotebookClient

    notebook = nbformat.read(notebook_path, as_version=4)
    folder = notebook_path.parent if notebook_path.parent == NOTEBOOKS_DIR else workdir
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
def test_learner_notebook_logs_runs_to_postgres_and_artifacts_through_the_proxy(
    classroom, notebook_path, logs_runs, tmp_path
) -> None:
    services, learners = classroom
    before = _runs(services)
    started = time.perf_counter()
    _run_as(notebook_path, _env_for(services, learners["alice"]), tmp_path)
    print(f"{notebook_path.name} ran against the class server in {time.perf_counter() - started:.1f} s")

    new_runs = {run_id: info for run_id, info in _runs(services).items() if run_id not in before}
    if not logs_runs:
        return  # the warm-up exercise does not use MLflow: running cleanly as a learner is the check
    assert new_runs, "the notebook logged no run into the class server's PostgreSQL store"
    assert all(uri.startswith("mlflow-artifacts:") for _, uri in new_runs.values()), (
        f"artifacts must go through the server's proxy (mlflow-artifacts:), got {sorted({u for _, u in new_runs.values()})}"
    )
    assert services.artifacts is None and services.artifacts_dir is not None, "by default artifacts stay on disk"
    keys = [str(p.relative_to(services.artifacts_dir)) for p in services.artifacts_dir.rglob("*") if p.is_file()]
    experiments = {experiment for experiment, _ in new_runs.values()}
    assert any(key.split("/", 1)[0] in experiments for key in keys), (
        f"no artifact of experiments {sorted(experiments)} in {services.artifacts_dir}; files: {keys[:10]}"
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


def test_two_learners_run_the_same_notebook(classroom, tmp_path, monkeypatch) -> None:
    """Both learners run Module 1 against the class server; each gets their own experiments and runs."""
    from mlflow import MlflowClient

    services, learners = classroom
    for name in ("bob", "alice"):
        _run_as(MODULE_1, _env_for(services, learners[name]), tmp_path)
    monkeypatch.setenv("MLFLOW_TRACKING_USERNAME", "alice")  # default READ: alice may read bob's work
    monkeypatch.setenv("MLFLOW_TRACKING_PASSWORD", learners["alice"].password)
    client = MlflowClient(tracking_uri=services.tracking_uri)
    experiments = {e.name: e.experiment_id for e in client.search_experiments()}
    own = {}
    for name in ("alice", "bob"):
        own[name] = {i for title, i in experiments.items() if title.startswith(f"{name}-module1")}
        assert own[name], f"{name} has no experiment of Module 1 on the server; experiments: {sorted(experiments)}"
        assert client.search_runs(sorted(own[name])), f"{name}'s Module 1 experiments hold no runs"
    assert own["alice"].isdisjoint(own["bob"]), "the two learners must not share an experiment"


def _api(services, learner, method: str, path: str, payload: dict | None = None):
    import requests

    return requests.request(
        method,
        f"{services.tracking_uri}{path}",
        json=payload,
        auth=(learner.username, learner.password),
        timeout=60,
    )


def test_a_learner_cannot_choose_where_the_server_writes(classroom) -> None:
    """experiments/create with an artifact_location is refused by the server, whatever the client."""
    services, learners = classroom
    alice = learners["alice"]
    for location in ("file:///tmp/any-folder", "/root/on-the-server", "s3://mlflow-class-artifacts/1/bob-run"):
        answer = _api(
            services,
            alice,
            "POST",
            "/api/2.0/mlflow/experiments/create",
            {"name": f"alice-elsewhere-{secrets.token_hex(3)}", "artifact_location": location},
        )
        assert answer.status_code == 400, f"{location}: {answer.status_code} {answer.text[:200]}"
        assert "artifact_location" in answer.json()["message"]
    answer = _api(
        services, alice, "POST", "/api/2.0/mlflow/experiments/create", {"name": f"alice-ok-{secrets.token_hex(3)}"}
    )
    assert answer.status_code == 200, answer.text[:300]


def test_a_model_version_source_must_be_the_servers_own_and_readable(classroom, monkeypatch) -> None:
    """A version whose source is outside the proxy (400), or in an experiment the learner may not read (403)."""
    from mlflow import MlflowClient

    services, learners = classroom
    alice = learners["alice"]
    monkeypatch.setenv("MLFLOW_TRACKING_USERNAME", services.admin_username)
    monkeypatch.setenv("MLFLOW_TRACKING_PASSWORD", services.admin_password)
    admin = MlflowClient(tracking_uri=services.tracking_uri)
    hidden = admin.create_experiment(f"instructor-answers-{secrets.token_hex(3)}")
    run = admin.create_run(hidden)
    admin.log_dict(run.info.run_id, {"answer": 42}, "key/answers.json")
    granted = _api(
        services,
        type(alice)(services.admin_username, services.admin_password),
        "POST",
        "/api/3.0/mlflow/users/permissions/grant",
        {"username": "alice", "resource_type": "experiment", "resource_id": hidden, "permission": "DENY"},
    )
    assert granted.status_code == 200, granted.text[:300]

    model = f"alice-model-{secrets.token_hex(3)}"
    assert _api(services, alice, "POST", "/api/2.0/mlflow/registered-models/create", {"name": model}).status_code == 200
    for source in ("s3://mlflow-class-artifacts/1/x/artifacts", "file:///etc", "/root"):
        answer = _api(
            services, alice, "POST", "/api/2.0/mlflow/model-versions/create", {"name": model, "source": source}
        )
        assert answer.status_code == 400, f"{source}: {answer.status_code} {answer.text[:200]}"
    stolen = _api(
        services,
        alice,
        "POST",
        "/api/2.0/mlflow/model-versions/create",
        {"name": model, "source": f"runs:/{run.info.run_id}/key"},
    )
    assert stolen.status_code == 403, f"a DENY'd run became a model source: {stolen.status_code} {stolen.text[:200]}"
    own_experiment = _api(
        services, alice, "POST", "/api/2.0/mlflow/experiments/create", {"name": f"alice-own-{secrets.token_hex(3)}"}
    )
    own_run = _api(
        services,
        alice,
        "POST",
        "/api/2.0/mlflow/runs/create",
        {"experiment_id": own_experiment.json()["experiment_id"]},
    )
    own_id = own_run.json()["run"]["info"]["run_id"]
    allowed = _api(
        services,
        alice,
        "POST",
        "/api/2.0/mlflow/model-versions/create",
        {"name": model, "source": f"runs:/{own_id}/model", "run_id": own_id},
    )
    assert allowed.status_code == 200, allowed.text[:300]


def _mlflow_server_environments(services) -> dict[int, str]:
    """pid -> environment of each process of this class's MLflow server (its store URI names the port)."""
    marker = f"MLFLOW_BACKEND_STORE_URI=postgresql+psycopg2://{services.postgres.owner}:"
    port = f"@{services.postgres.host}:{services.postgres.port}/"
    found = {}
    for folder in Path("/proc").iterdir():
        if not folder.name.isdigit():
            continue
        try:
            environment = (folder / "environ").read_bytes().decode(errors="replace").replace("\0", "\n")
        except OSError:  # gone, or not ours to read
            continue
        if marker in environment and port in environment:
            found[int(folder.name)] = environment
    return found


def test_no_password_in_the_process_list(classroom) -> None:
    """`ps`, which every user of the machine can run, shows no database or admin password."""
    services, _ = classroom
    listing = subprocess.run(["ps", "-eo", "args"], capture_output=True, text=True, check=True).stdout
    assert services.postgres.password not in listing, "the database superuser's password is on a command line"
    assert services.postgres.owner_password not in listing, "the MLflow role's password is on a command line"
    assert services.admin_password not in listing, "the admin password is on a command line"


def test_the_superusers_password_never_reaches_the_mlflow_server(classroom) -> None:
    services, _ = classroom
    environments = _mlflow_server_environments(services)
    assert environments, "found no process of the MLflow server (by its MLFLOW_BACKEND_STORE_URI)"
    for pid, environment in environments.items():
        assert services.postgres.password not in environment, f"process {pid} holds the superuser's password"
        assert services.postgres.owner_password in environment, f"process {pid} lacks its own role's login"


def test_mlflow_logs_in_as_its_own_role_that_owns_its_databases_and_nothing_more(classroom) -> None:
    import psycopg2
    from psycopg2 import errors

    services, learners = classroom
    postgres = services.postgres
    assert _answers_a_login(services, learners["alice"]), "the server must have answered a login"
    superuser = postgres.connect("postgres", superuser=True)
    try:
        with superuser.cursor() as cursor:
            cursor.execute(
                "SELECT DISTINCT usename FROM pg_stat_activity WHERE datname IN ('mlflow', 'mlflow_auth') "
                "AND pid <> pg_backend_pid()"
            )
            logins = {name for (name,) in cursor.fetchall()}
            cursor.execute("SELECT datname, pg_get_userbyid(datdba) FROM pg_database WHERE datname LIKE 'mlflow%'")
            owners = dict(cursor.fetchall())
    finally:
        superuser.close()
    assert logins == {postgres.owner}, f"MLflow's connections must all be {postgres.owner!r}'s, got {logins}"
    assert postgres.owner != postgres.user
    assert owners == {"mlflow": postgres.owner, "mlflow_auth": postgres.owner}, owners

    for database in ("mlflow", "mlflow_auth"):
        connection = postgres.connect(database)
        try:
            with connection.cursor() as cursor:
                cursor.execute(
                    "SELECT rolsuper, rolcreatedb, rolcreaterole, rolreplication, rolbypassrls FROM pg_roles "
                    "WHERE rolname = current_user"
                )
                assert cursor.fetchone() == (False, False, False, False, False), "MLflow's role must be unprivileged"
                cursor.execute(
                    "SELECT relname, pg_get_userbyid(relowner) FROM pg_class "
                    "WHERE relnamespace = 'public'::regnamespace AND relkind = 'r'"
                )
                tables = dict(cursor.fetchall())
                assert tables and set(tables.values()) == {postgres.owner}, f"{database}: owners {tables}"
                for statement in ("CREATE DATABASE learner_made", "CREATE ROLE learner_made LOGIN"):
                    with pytest.raises(errors.InsufficientPrivilege):
                        cursor.execute(statement)
        finally:
            connection.close()
    for database in ("postgres", "template1"):
        with pytest.raises(psycopg2.OperationalError, match="CONNECT privilege|permission denied"):
            postgres.connect(database).close()


def _answers_a_login(services, learner) -> bool:
    """One authenticated request through the server, so that its workers hold database connections."""
    return _api(services, learner, "GET", "/api/2.0/mlflow/users/current").status_code == 200


@pytest.fixture
def kept_data_dir():
    """A data folder outside private folders (PostgreSQL runs as its own user when we are root)."""
    folder = Path(tempfile.mkdtemp(prefix="mlops-classroom-kept-"))
    yield folder
    shutil.rmtree(folder, ignore_errors=True)


def test_a_kept_cluster_reopens_with_a_new_role_password_and_adopts_a_superuser_named_mlflow(
    kept_data_dir,
) -> None:
    """A cluster made when MLflow logged in as the superuser ``mlflow`` reopens: the superuser is
    renamed, ``mlflow`` becomes the unprivileged owner of the databases and of what is in them,
    and its password changes at every start."""
    import psycopg2

    from mlops_course.classroom.postgres import ServiceError, postgres_cluster

    password = secrets.token_urlsafe(16)
    with (
        postgres_cluster(kept_data_dir, user="mlflow", owner="earlier_owner", password=password) as old,
        contextlib.closing(old.connect("mlflow", superuser=True)) as connection,
        connection.cursor() as cursor,
    ):
        cursor.execute(  # what MLflow made when it was the superuser
            "CREATE TYPE status AS ENUM ('RUNNING', 'FINISHED'); "
            "CREATE TABLE runs (id serial PRIMARY KEY, status status); INSERT INTO runs (status) VALUES ('FINISHED')"
        )
    with pytest.raises(ServiceError, match="POSTGRES_PASSWORD"), postgres_cluster(kept_data_dir, password="x" * 16):
        pass
    passwords = []
    for _ in range(2):
        with postgres_cluster(kept_data_dir, password=password) as cluster:
            assert (cluster.user, cluster.owner) == ("postgres", "mlflow")
            passwords.append(cluster.owner_password)
            with contextlib.closing(cluster.connect("mlflow")) as connection, connection.cursor() as cursor:
                cursor.execute(
                    "INSERT INTO runs (status) VALUES ('RUNNING'); ALTER TABLE runs ADD COLUMN IF NOT EXISTS note text"
                )
                cursor.execute("SELECT rolsuper FROM pg_roles WHERE rolname = current_user")
                assert cursor.fetchone() == (False,)
                cursor.execute("SELECT count(*) FROM runs")
                count = cursor.fetchone()[0]
    assert count == 3, "the runs made before and at each start are all there"
    assert passwords[0] != passwords[1], "MLflow's role gets a new password at every start"
    with (
        postgres_cluster(kept_data_dir, password=password) as cluster,
        pytest.raises(psycopg2.OperationalError, match="password authentication failed"),
    ):
        psycopg2.connect(
            host=cluster.host, port=cluster.port, user="mlflow", password=passwords[1], dbname="mlflow"
        ).close()


def test_the_container_bootstrap_gives_mlflow_its_role_on_a_running_server() -> None:
    """What the compose one-shot service and the Kubernetes init container run, on a real PostgreSQL."""
    import psycopg2

    from mlops_course.classroom.bootstrap import main as bootstrap
    from mlops_course.classroom.postgres import postgres_cluster

    with postgres_cluster(owner="mlflow") as cluster:
        environ = {
            "POSTGRES_HOST": cluster.host,
            "POSTGRES_PORT": str(cluster.port),
            "POSTGRES_USER": cluster.user,
            "POSTGRES_PASSWORD": cluster.password,
            "MLFLOW_DB_USER": "class_mlflow",
            "MLFLOW_DB_PASSWORD": "a-role-password-for-the-test",
        }
        assert bootstrap(environ) == 0
        assert bootstrap(environ) == 0, "running it again (a restarted pod) changes nothing"

        def as_role(database: str):
            return psycopg2.connect(
                host=cluster.host,
                port=cluster.port,
                user="class_mlflow",
                password=environ["MLFLOW_DB_PASSWORD"],
                dbname=database,
                connect_timeout=10,
            )

        connection = as_role("mlflow")
        with connection, connection.cursor() as cursor:
            cursor.execute("SELECT rolsuper, rolcreatedb, rolcreaterole FROM pg_roles WHERE rolname = current_user")
            assert cursor.fetchone() == (False, False, False)
            cursor.execute("SELECT datname FROM pg_database WHERE pg_get_userbyid(datdba) = current_user ORDER BY 1")
            assert [row[0] for row in cursor.fetchall()] == ["mlflow", "mlflow_auth"]
        connection.close()
        with pytest.raises(psycopg2.OperationalError):
            as_role("postgres").close()
