"""The class services on one machine: PostgreSQL (:mod:`.postgres`), an S3 object store and MLflow with accounts.

Each service is a context manager that starts it on a free port (loopback by default),
waits until it answers, and stops it on exit, even after an error. They need no Docker:
PostgreSQL comes from the Debian ``postgresql`` package, the object store is the local
AWS emulator (moto) unless an S3 bucket is named, and MLflow is the course's own.

>>> with classroom_services(admin_password="choose-a-long-one") as services:
...     print(services.tracking_uri)
"""

from __future__ import annotations

import contextlib
import grp
import os
import pwd
import secrets
import signal
import subprocess
import sys
import tempfile
from collections.abc import Collection, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from mlops_course.classroom.postgres import (
    POSTGRES_BINARIES,
    Postgres,
    ServiceError,
    postgres_bin_dir,
    postgres_cluster,
)
from mlops_course.classroom.service_account import give_to, service_user
from mlops_course.util import free_port, wait_until_healthy

__all__ = [
    "POSTGRES_BINARIES",
    "ClassroomServices",
    "ObjectStore",
    "Postgres",
    "ServiceError",
    "classroom_services",
    "mlflow_server",
    "postgres_bin_dir",
    "postgres_cluster",
    "s3_emulator",
    "write_auth_config",
]

#: MLflow's basic-auth wrapped by the course's guard (:mod:`mlops_course.classroom.guard`).
AUTH_APP = "classroom-auth"
#: SQLAlchemy pool per store and worker. A worker serves at most 40 requests at once (the
#: thread pool that runs MLflow's Flask handlers), so 10 + 30 never makes a request wait
#: for a connection; MLflow's default (5 + 10) did, and failed with "QueuePool limit reached".
POOL_SIZE, POOL_OVERFLOW = 10, 30
#: Engines per worker: the tracking store, the model registry, the accounts store.
STORES_PER_WORKER = 3


def connections_needed(workers: int) -> int:
    """PostgreSQL connections MLflow may open with ``workers`` workers, plus room for the course's own."""
    return workers * STORES_PER_WORKER * (POOL_SIZE + POOL_OVERFLOW) + 20


#: What the server never inherits: learners' logins, storage keys (given only for a bucket),
#: the PostgreSQL superuser's settings (POSTGRES_PASSWORD) and libpq's defaults (PGPASSWORD, ...).
WITHHELD_PREFIXES = ("MLFLOW_TRACKING_", "AWS_", "POSTGRES_", "PG")


def inherited_environment(withheld_secrets: Collection[str] = ()) -> dict[str, str]:
    """This process's environment minus :data:`WITHHELD_PREFIXES` and any variable holding a withheld secret."""
    secrets_ = [secret for secret in withheld_secrets if secret]
    return {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(WITHHELD_PREFIXES) and not any(secret in value for secret in secrets_)
    }


DEFAULT_BUCKET = "mlflow-class-artifacts"


@dataclass(frozen=True)
class ObjectStore:
    """An S3-compatible object store: its endpoint (``None`` for AWS itself), bucket and keys."""

    endpoint_url: str | None
    bucket: str
    credentials: Mapping[str, str] = field(default_factory=dict)

    def client(self):
        """A boto3 S3 client for this store."""
        import boto3

        return boto3.client(
            "s3",
            endpoint_url=self.endpoint_url,
            aws_access_key_id=self.credentials.get("AWS_ACCESS_KEY_ID"),
            aws_secret_access_key=self.credentials.get("AWS_SECRET_ACCESS_KEY"),
            region_name=self.credentials.get("AWS_DEFAULT_REGION", "us-east-1"),
        )

    def keys(self, prefix: str = "") -> list[str]:
        """Every object key in the bucket under ``prefix`` (paginated)."""
        keys: list[str] = []
        for page in self.client().get_paginator("list_objects_v2").paginate(Bucket=self.bucket, Prefix=prefix):
            keys.extend(item["Key"] for item in page.get("Contents", []))
        return keys


@contextlib.contextmanager
def s3_emulator(bucket: str = DEFAULT_BUCKET, host: str = "127.0.0.1") -> Iterator[ObjectStore]:
    """Run the local AWS emulator's S3 on ``host`` (a free port) with ``bucket`` created; stop on exit.

    Objects live in memory: they are gone when the block ends. The emulator accepts any
    credentials, so anything on this machine can read and write them.
    """
    from mlops_course.infra.cloud import AWSEmulator

    with AWSEmulator(host=host) as aws:
        environment = aws.environment()
        credentials = {
            key: environment[key] for key in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_DEFAULT_REGION")
        }
        store = ObjectStore(endpoint_url=aws.endpoint_url, bucket=bucket, credentials=credentials)
        store.client().create_bucket(Bucket=bucket)
        yield store


def write_auth_config(
    path: Path, database_uri: str, *, admin_username: str = "admin", auth_cache_ttl_seconds: int = 300
) -> Path:
    """Write MLflow's basic-auth configuration: default permission READ, accounts in ``database_uri``.

    The admin password is not written: MLflow reads it from ``MLFLOW_AUTH_ADMIN_PASSWORD``.
    Creators of an experiment or registered model get MANAGE on it (MLflow does that itself).
    Checking a password costs a million PBKDF2 rounds (about half a CPU-second), so a
    successful login is cached per worker for ``auth_cache_ttl_seconds``; without the cache
    a class of 30 logging metrics saturates the server's CPU.
    """
    if auth_cache_ttl_seconds < 0:
        raise ValueError(f"auth_cache_ttl_seconds must be 0 (off) or more, got {auth_cache_ttl_seconds}.")
    path.write_text(
        "[mlflow]\n"
        "default_permission = READ\n"
        f"database_uri = {database_uri}\n"
        f"admin_username = {admin_username}\n"
        "authorization_function = mlflow.server.auth:authenticate_request_basic_auth\n"
        "grant_default_workspace_access = false\n"
        f"auth_cache_ttl_seconds = {auth_cache_ttl_seconds}\n"
    )
    path.chmod(0o600)
    return path


def _stop_process_group(process: subprocess.Popen, timeout: float = 5.0) -> None:
    if process.poll() is not None:
        return
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=5)


@contextlib.contextmanager
def mlflow_server(
    backend_store_uri: str,
    *,
    artifacts: ObjectStore | Path | None,
    auth_database_uri: str | None,
    admin_password: str | None = None,
    secret_key: str | None = None,
    host: str = "127.0.0.1",
    port: int | None = None,
    workers: int = 2,
    work_dir: Path | None = None,
    timeout: float = 120.0,
    withheld_secrets: Collection[str] = (),
) -> Iterator[str]:
    """Run ``mlflow server`` (PostgreSQL backend, proxied S3 artifacts, accounts on) until the block ends.

    Args:
        backend_store_uri: the tracking and registry store, e.g. ``postgresql://...``.
        artifacts: where artifacts go, served through MLflow's proxy (learners need no keys):
            a folder on the server's disk, or an S3 bucket; ``None``: a folder in ``work_dir``.
        auth_database_uri: where accounts and permissions live; ``None``: no authentication.
        admin_password: the admin account's password (at least 12 characters).
        secret_key: the Flask secret key; ``None``: a random one.
        host: the address to listen on (``0.0.0.0`` to serve a class network).
        port: the TCP port; ``None``: a free one.
        workers: server worker processes.
        work_dir: where the log and auth configuration go; ``None``: a throwaway folder.
        timeout: seconds to wait for the server to answer.
        withheld_secrets: values that must not reach the server (the database superuser's
            password): a variable of this environment holding one is not passed on.

    Yields:
        The tracking URI, ``http://host:port``.
    """
    if auth_database_uri and (not admin_password or len(admin_password) < 12):
        raise ValueError("admin_password: MLflow needs an admin password of at least 12 characters.")
    if workers < 1:
        raise ValueError(f"workers must be at least 1, got {workers}.")
    port = port or free_port(host if host != "0.0.0.0" else "127.0.0.1")
    with contextlib.ExitStack() as stack:
        folder = (
            Path(work_dir)
            if work_dir
            else Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="mlops-classroom-mlflow-")))
        )
        folder.mkdir(parents=True, exist_ok=True)
        env = inherited_environment(withheld_secrets)
        env["MLFLOW_FLASK_SERVER_SECRET_KEY"] = secret_key or secrets.token_hex(16)
        # The store's URI holds the password of MLflow's own database role: it goes through the
        # environment, which other users cannot read, never the command line, which `ps` shows to everyone.
        env["MLFLOW_BACKEND_STORE_URI"] = backend_store_uri
        # A class uses no MLflow jobs; their runner process costs memory in every server.
        env["MLFLOW_SERVER_ENABLE_JOB_EXECUTION"] = "false"
        # Connections: each worker holds a pool per store; classroom_services starts PostgreSQL
        # with max_connections = connections_needed(workers), so the database never refuses.
        env.setdefault("MLFLOW_SQLALCHEMYSTORE_POOL_SIZE", str(POOL_SIZE))
        env.setdefault("MLFLOW_SQLALCHEMYSTORE_MAX_OVERFLOW", str(POOL_OVERFLOW))
        command = [
            sys.executable,
            "-m",
            "mlflow",
            "server",
            "--host",
            host,
            "--port",
            str(port),
            "--workers",
            str(workers),
        ]
        if isinstance(artifacts, Path):
            artifacts.mkdir(parents=True, exist_ok=True)
            command += ["--serve-artifacts", "--artifacts-destination", str(artifacts.resolve())]
        elif artifacts is not None:
            command += ["--serve-artifacts", "--artifacts-destination", f"s3://{artifacts.bucket}"]
            env.update(artifacts.credentials)
            if artifacts.endpoint_url:
                env["MLFLOW_S3_ENDPOINT_URL"] = artifacts.endpoint_url
        else:
            command += ["--serve-artifacts", "--artifacts-destination", str(folder / "artifacts")]
        if auth_database_uri:
            env["MLFLOW_AUTH_CONFIG_PATH"] = str(write_auth_config(folder / "basic_auth.ini", auth_database_uri))
            env["MLFLOW_AUTH_ADMIN_PASSWORD"] = admin_password or ""
            command += ["--app-name", AUTH_APP]
        log_file = folder / "mlflow-server.log"
        group: str | None = None
        runner = service_user()
        if runner is not None:
            # The server owns its folder (logs, auth configuration) and the artifacts folder; nothing else.
            if isinstance(artifacts, Path):
                give_to(runner, artifacts)
            give_to(runner, folder)
            group = grp.getgrgid(pwd.getpwnam(runner).pw_gid).gr_name
            env["HOME"] = str(folder)
        with open(log_file, "wb") as log:
            process = subprocess.Popen(
                command,
                stdout=log,
                stderr=subprocess.STDOUT,
                env=env,
                cwd=folder,
                start_new_session=True,
                user=runner,
                group=group,
                extra_groups=[] if runner else None,
            )
        try:
            url = f"http://{'127.0.0.1' if host == '0.0.0.0' else host}:{port}"
            wait_until_healthy(
                f"{url}/health",
                process,
                timeout=timeout,
                log_path=log_file,
                what="the MLflow server",
                error=ServiceError,
            )
            yield url
        finally:
            _stop_process_group(process)


@dataclass(frozen=True)
class ClassroomServices:
    """Everything a class needs, running: the tracking URI, the admin login, the stores behind it."""

    tracking_uri: str
    admin_username: str
    admin_password: str
    postgres: Postgres
    #: the S3 store behind the proxy, or ``None`` when artifacts stay on the server's disk
    artifacts: ObjectStore | None
    #: the folder behind the proxy when artifacts stay on the server's disk
    artifacts_dir: Path | None = None


@contextlib.contextmanager
def classroom_services(
    *,
    admin_password: str,
    data_dir: Path | None = None,
    db_password: str | None = None,
    artifacts: ObjectStore | None = None,
    s3_emulator_for_artifacts: bool = False,
    host: str = "127.0.0.1",
    port: int | None = None,
    workers: int = 2,
    secret_key: str | None = None,
) -> Iterator[ClassroomServices]:
    """Start PostgreSQL and MLflow with accounts; artifacts go through MLflow's proxy.

    Args:
        admin_password: the instructor's ``admin`` password (at least 12 characters).
        data_dir: where the database cluster, artifacts and logs persist; ``None``: throwaway.
        db_password: the database superuser's password (required to reopen an existing
            ``data_dir``). MLflow never sees it: it logs in as its own role (:func:`postgres_cluster`).
        artifacts: a real S3 bucket. ``None`` (the default): a folder on the server's disk
            (``data_dir/artifacts``), which only the server touches and which survives a restart.
        s3_emulator_for_artifacts: use the local AWS emulator's S3 instead (in memory, for
            demonstrations). It accepts any credentials: anything on this machine can read it.
        host, port, workers, secret_key: passed to :func:`mlflow_server`.
    """
    with contextlib.ExitStack() as stack:
        cluster = stack.enter_context(
            postgres_cluster(data_dir, password=db_password, max_connections=max(100, connections_needed(workers)))
        )
        store: ObjectStore | None = artifacts
        if store is None and s3_emulator_for_artifacts:
            store = stack.enter_context(s3_emulator())
        folder: Path | None = None
        if store is None:
            if data_dir:
                base = Path(data_dir)
            else:
                base = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="mlops-classroom-")))
                base.chmod(0o711)  # the server's account may pass through to its artifacts, not list them
            folder = base / "artifacts"
        url = stack.enter_context(
            mlflow_server(
                cluster.uri("mlflow"),
                artifacts=store if store is not None else folder,
                auth_database_uri=cluster.uri("mlflow_auth"),
                admin_password=admin_password,
                secret_key=secret_key,
                host=host,
                port=port,
                workers=workers,
                work_dir=Path(data_dir) / "mlflow" if data_dir else None,
                withheld_secrets=(cluster.password,),
            )
        )
        yield ClassroomServices(url, "admin", admin_password, cluster, store, folder)
