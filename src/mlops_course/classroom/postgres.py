"""PostgreSQL for the class server: a throwaway or persistent cluster on loopback, started and stopped here.

PostgreSQL comes from the Debian ``postgresql`` package; when the course runs as root, the
server runs as PostgreSQL's own unprivileged user.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import shutil
import subprocess
import tempfile
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

from mlops_course.util import free_port

POSTGRES_BINARIES = ("initdb", "pg_ctl", "postgres")
#: PostgreSQL's default is 100; MLflow's workers each hold a pool per store (see services.connections_needed)
MAX_CONNECTIONS = 300


class ServiceError(RuntimeError):
    """A class service failed to start or stop; the message says which and why."""


def postgres_bin_dir() -> Path | None:
    """The folder holding ``initdb``/``pg_ctl``/``postgres``, or ``None`` if PostgreSQL is absent."""
    found = [shutil.which(name) for name in POSTGRES_BINARIES]
    if all(found):
        return Path(found[0]).resolve().parent  # type: ignore[arg-type]
    candidates = sorted(Path("/usr/lib/postgresql").glob("*/bin"), reverse=True)
    for folder in candidates:
        if all((folder / name).exists() for name in POSTGRES_BINARIES):
            return folder
    return None


def _as_service_user(command: list[str]) -> list[str]:
    """PostgreSQL refuses to run as root: as root, run ``command`` as the ``postgres`` user."""
    if os.geteuid() != 0:
        return command
    runuser = shutil.which("runuser")
    if runuser is None:
        raise ServiceError("Running as root without `runuser`: run as a normal user, or install util-linux.")
    return [runuser, "-u", "postgres", "--", *command]


def _hand_to_service_user(path: Path) -> None:
    if os.geteuid() == 0:
        shutil.chown(path, user="postgres", group="postgres")


def _run(command: list[str], what: str, timeout: float, env: Mapping[str, str] | None = None) -> None:
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=timeout, env=env, check=False)
    except subprocess.TimeoutExpired as exc:
        raise ServiceError(f"{what} did not finish within {timeout:.0f} s.") from exc
    if done.returncode != 0:
        raise ServiceError(f"{what} failed (exit {done.returncode}): {(done.stderr or done.stdout).strip()[-800:]}")


@dataclass(frozen=True)
class Postgres:
    """A running PostgreSQL cluster: where it listens and how to log in."""

    host: str
    port: int
    user: str
    password: str
    data_dir: Path

    def uri(self, database: str) -> str:
        """The SQLAlchemy URI of ``database`` on this cluster (what MLflow takes)."""
        return f"postgresql+psycopg2://{self.user}:{self.password}@{self.host}:{self.port}/{database}"

    def connect(self, database: str = "postgres"):
        """Open a psycopg2 connection to ``database`` (autocommit on)."""
        import psycopg2

        connection = psycopg2.connect(
            host=self.host, port=self.port, user=self.user, password=self.password, dbname=database, connect_timeout=10
        )
        connection.autocommit = True
        return connection


def _create_databases(cluster: Postgres, databases: tuple[str, ...]) -> None:
    connection = cluster.connect()
    try:
        with connection.cursor() as cursor:
            for name in databases:
                if not name.replace("_", "").isalnum():
                    raise ValueError(f"database name {name!r}: use letters, digits and underscores only.")
                cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,))
                if cursor.fetchone() is None:
                    cursor.execute(f'CREATE DATABASE "{name}"')
    finally:
        connection.close()


@contextlib.contextmanager
def postgres_cluster(
    data_dir: Path | None = None,
    *,
    user: str = "mlflow",
    password: str | None = None,
    host: str = "127.0.0.1",
    port: int | None = None,
    databases: tuple[str, ...] = ("mlflow", "mlflow_auth"),
    timeout: float = 60.0,
    max_connections: int = MAX_CONNECTIONS,
) -> Iterator[Postgres]:
    """Start a PostgreSQL cluster (created on first use) and stop it on exit.

    Args:
        data_dir: the cluster's folder; kept between runs. ``None``: a throwaway folder,
            removed on exit.
        user: the database superuser MLflow logs in as.
        password: that user's password; required when ``data_dir`` already holds a cluster.
            ``None`` for a new cluster: a random one.
        host: the address PostgreSQL listens on.
        port: the TCP port; ``None``: a free one.
        databases: databases to create if missing (tracking store, accounts store).
        timeout: seconds allowed for start and stop.
        max_connections: PostgreSQL's connection limit (its default is 100).

    Yields:
        The running cluster.
    """
    bin_dir = postgres_bin_dir()
    if bin_dir is None:
        raise ServiceError("PostgreSQL is not installed: `apt-get install -y postgresql` (Debian/Ubuntu).")
    throwaway = data_dir is None
    if data_dir is not None:
        check_reachable_by_services(Path(data_dir))
    parent = Path(tempfile.mkdtemp(prefix="mlops-classroom-pg-")) if throwaway else Path(data_dir).resolve()  # type: ignore[arg-type]  # not None here
    parent.mkdir(parents=True, exist_ok=True)
    cluster_dir, socket_dir = parent / "cluster", parent / "socket"
    fresh = not (cluster_dir / "PG_VERSION").exists()
    if not fresh and not password:
        raise ValueError(f"password: the cluster in {cluster_dir} exists; pass the password it was created with.")
    password = password or secrets.token_urlsafe(18)
    port = port or free_port(host)
    for folder in (parent, socket_dir):
        folder.mkdir(exist_ok=True)
        _hand_to_service_user(folder)
    log_file = parent / "postgres.log"
    log_file.touch()
    _hand_to_service_user(log_file)
    cluster = Postgres(host=host, port=port, user=user, password=password, data_dir=cluster_dir)
    started = False
    try:
        if fresh:
            pwfile = parent / "pwfile"
            pwfile.write_text(password + "\n")
            pwfile.chmod(0o600)
            _hand_to_service_user(pwfile)
            try:
                _run(
                    _as_service_user(
                        [
                            str(bin_dir / "initdb"),
                            "-D",
                            str(cluster_dir),
                            "-U",
                            user,
                            f"--pwfile={pwfile}",
                            "--auth=scram-sha-256",
                            "-E",
                            "UTF8",
                            "--no-instructions",
                        ]
                    ),
                    "initdb",
                    timeout,
                )
            finally:
                pwfile.unlink(missing_ok=True)
        options = (
            f"-c listen_addresses={host} -p {port} -c unix_socket_directories={socket_dir} "
            f"-c max_connections={max_connections}"
        )
        _run(
            _as_service_user(
                [
                    str(bin_dir / "pg_ctl"),
                    "-D",
                    str(cluster_dir),
                    "-l",
                    str(log_file),
                    "-o",
                    options,
                    "-w",
                    "-t",
                    str(int(timeout)),
                    "start",
                ]
            ),
            f"PostgreSQL start (log: {log_file})",
            timeout + 5,
        )
        started = True
        _create_databases(cluster, databases)
        yield cluster
    finally:
        if started:
            stop = _as_service_user(
                [str(bin_dir / "pg_ctl"), "-D", str(cluster_dir), "-m", "fast", "-w", "-t", str(int(timeout)), "stop"]
            )
            with contextlib.suppress(ServiceError):
                _run(stop, "PostgreSQL stop", timeout + 5)
        if throwaway:
            shutil.rmtree(parent, ignore_errors=True)


def private_ancestor(path: Path) -> Path | None:
    """The first folder above ``path`` that other users cannot enter (no ``o+x``), or ``None``.

    PostgreSQL and the MLflow server run as their own unprivileged users when the course
    runs as root; they can only reach a data folder whose every ancestor others may enter.
    """
    for folder in reversed(Path(path).resolve().parents):
        if not folder.exists():
            break
        if not folder.stat().st_mode & 0o001:
            return folder
    return None


def check_reachable_by_services(path: Path) -> None:
    """Refuse, with what to do, a data folder the service users could not reach (only as root)."""
    if os.geteuid() != 0:
        return
    blocked = private_ancestor(path)
    if blocked is not None:
        raise ServiceError(
            f"the data folder {path} sits inside {blocked}, which other users cannot enter (mode "
            f"{blocked.stat().st_mode & 0o777:o}); PostgreSQL and MLflow run as their own unprivileged users "
            f"and could not reach it. Choose a folder outside private folders (e.g. --data-dir /srv/mlops-classroom) "
            f"or allow entry with `chmod o+x {blocked}`."
        )
