"""PostgreSQL for the class server: a throwaway or persistent cluster on loopback, started and stopped here.

PostgreSQL comes from the Debian ``postgresql`` package; when the course runs as root, the
server runs as PostgreSQL's own unprivileged user.

Two logins: the superuser (``postgres``, its password chosen by the instructor), which only
the course uses, to create and start the cluster; and MLflow's own role (``mlflow``), which
owns MLflow's databases and nothing else: no superuser, no creating databases or roles, no
connecting to other databases. The role's password is new at every start (see
:func:`postgres_cluster`).
"""

from __future__ import annotations

import contextlib
import os
import secrets
import shutil
import subprocess
import tempfile
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path

from mlops_course.util import free_port

POSTGRES_BINARIES = ("initdb", "pg_ctl", "postgres")
#: PostgreSQL's default is 100; MLflow's workers each hold a pool per store (see services.connections_needed)
MAX_CONNECTIONS = 300
#: Clusters created before MLflow had its own role: their superuser was called ``mlflow``.
LEGACY_SUPERUSER = "mlflow"


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
    """A running PostgreSQL cluster: where it listens and its two logins.

    ``user``/``password`` is the superuser; ``owner``/``owner_password`` the unprivileged
    role that owns MLflow's databases, the one MLflow logs in as.
    """

    host: str
    port: int
    user: str
    password: str = field(repr=False)
    data_dir: Path
    owner: str
    owner_password: str = field(repr=False)

    def uri(self, database: str) -> str:
        """The SQLAlchemy URI of ``database`` as the owner role (what MLflow takes; never the superuser)."""
        return f"postgresql+psycopg2://{self.owner}:{self.owner_password}@{self.host}:{self.port}/{database}"

    def connect(self, database: str, *, superuser: bool = False):
        """Open a psycopg2 connection to ``database`` as the owner role, or the superuser (autocommit on)."""
        import psycopg2

        user, password = (self.user, self.password) if superuser else (self.owner, self.owner_password)
        connection = psycopg2.connect(
            host=self.host, port=self.port, user=user, password=password, dbname=database, connect_timeout=10
        )
        connection.autocommit = True
        return connection


def _check_name(what: str, name: str) -> str:
    if not name.isascii() or not name.replace("_", "").isalnum() or not name[0].isalpha():
        raise ValueError(f"{what} {name!r}: start with a letter; use letters, digits and underscores only.")
    return name


def _superuser_login(cluster: Postgres) -> None:
    """Check the superuser's password; adopt a cluster whose superuser is still :data:`LEGACY_SUPERUSER`.

    Such a cluster (made before MLflow had its own role) has its superuser renamed to
    ``cluster.user`` (its password unchanged), through a throwaway superuser: a session cannot
    rename its own role. The name ``mlflow`` is then free for the owner role.
    """
    import psycopg2
    from psycopg2.extensions import encrypt_password

    try:
        cluster.connect("postgres", superuser=True).close()
        return
    except psycopg2.OperationalError as exc:
        first_error = str(exc).strip()
    refused = ServiceError(
        f"the cluster in {cluster.data_dir} refused the superuser {cluster.user!r} ({first_error}). Set "
        f"POSTGRES_PASSWORD to the password the cluster was created with, or choose another --data-dir."
    )
    if cluster.user == LEGACY_SUPERUSER:
        raise refused
    try:
        connection = replace(cluster, user=LEGACY_SUPERUSER).connect("postgres", superuser=True)
    except psycopg2.OperationalError as exc:
        raise refused from exc
    helper = replace(cluster, user="classroom_rename", password=secrets.token_urlsafe(24))
    try:
        with connection.cursor() as cursor:
            verifier = encrypt_password(helper.password, helper.user, connection, "scram-sha-256")
            cursor.execute(f'CREATE ROLE "{helper.user}" LOGIN SUPERUSER PASSWORD %s', (verifier,))
    finally:
        connection.close()
    with contextlib.closing(helper.connect("postgres", superuser=True)) as connection, connection.cursor() as cursor:
        cursor.execute(f'ALTER ROLE "{LEGACY_SUPERUSER}" RENAME TO "{cluster.user}"')
    with contextlib.closing(cluster.connect("postgres", superuser=True)) as connection, connection.cursor() as cursor:
        cursor.execute(f'DROP ROLE "{helper.user}"')


#: ALTER statements handing the owner what another role owns in a database's ``public`` schema:
#: tables, views and free-standing sequences (indexes and a table's own sequences follow the
#: table), enum and domain types.
_FOREIGN_OBJECTS = """
SELECT format('ALTER %%s %%s OWNER TO %%I',
              CASE c.relkind WHEN 'S' THEN 'SEQUENCE' WHEN 'v' THEN 'VIEW'
                             WHEN 'm' THEN 'MATERIALIZED VIEW' ELSE 'TABLE' END,
              c.oid::regclass, %(owner)s)
FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p', 'v', 'm', 'S')
  AND pg_get_userbyid(c.relowner) <> %(owner)s
  AND NOT (c.relkind = 'S' AND EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_class'::regclass
                                       AND d.objid = c.oid AND d.deptype IN ('a', 'i')))
UNION ALL
SELECT format('ALTER %%s %%s OWNER TO %%I', CASE t.typtype WHEN 'e' THEN 'TYPE' ELSE 'DOMAIN' END,
              t.oid::regtype, %(owner)s)
FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace
WHERE n.nspname = 'public' AND t.typtype IN ('e', 'd') AND pg_get_userbyid(t.typowner) <> %(owner)s
"""


def _hand_objects_to_owner(cluster: Postgres, database: str) -> None:
    """The owner role owns every table, sequence and type in ``database`` (those a superuser made too)."""
    with contextlib.closing(cluster.connect(database, superuser=True)) as connection, connection.cursor() as cursor:
        cursor.execute(_FOREIGN_OBJECTS, {"owner": cluster.owner})
        for (statement,) in cursor.fetchall():
            cursor.execute(statement)


def provision(cluster: Postgres, databases: tuple[str, ...]) -> None:
    """As the superuser (``classroom up``, or a container deployment through
    :mod:`mlops_course.classroom.bootstrap`): the owner role (created if missing) with its limits and this start's password,
    ``databases`` created or handed to it, and no database open to everyone.

    PostgreSQL lets every role (``PUBLIC``) connect to any database; here only the owner (and
    superusers) may connect to MLflow's databases, and only superusers to ``postgres`` and
    ``template1`` (``template0`` takes no connections at all).
    """
    from psycopg2.extensions import encrypt_password

    owner = _check_name("role name", cluster.owner)
    connection = cluster.connect("postgres", superuser=True)
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT rolsuper FROM pg_roles WHERE rolname = %s", (owner,))
            found = cursor.fetchone()
            if found is None:
                cursor.execute(f'CREATE ROLE "{owner}"')
            elif found[0]:
                raise ServiceError(
                    f"the role {owner!r} of the cluster in {cluster.data_dir} is a superuser; MLflow must not log "
                    f"in as one. Choose another role name for MLflow, or another --data-dir."
                )
            # The password travels as a SCRAM verifier: the plain text never reaches the server or its log.
            verifier = encrypt_password(cluster.owner_password, owner, connection, "scram-sha-256")
            cursor.execute(
                f'ALTER ROLE "{owner}" WITH LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS '
                "INHERIT PASSWORD %s",
                (verifier,),
            )
            for name in databases:
                _check_name("database name", name)
                cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,))
                if cursor.fetchone() is None:
                    cursor.execute(f'CREATE DATABASE "{name}" OWNER "{owner}"')
                else:
                    cursor.execute(f'ALTER DATABASE "{name}" OWNER TO "{owner}"')
                cursor.execute(f'REVOKE ALL ON DATABASE "{name}" FROM PUBLIC')
            cursor.execute("REVOKE CONNECT, TEMPORARY ON DATABASE postgres, template1 FROM PUBLIC")
    finally:
        connection.close()
    for name in databases:
        _hand_objects_to_owner(cluster, name)


@contextlib.contextmanager
def postgres_cluster(
    data_dir: Path | None = None,
    *,
    user: str = "postgres",
    password: str | None = None,
    owner: str = "mlflow",
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
        user: the database superuser (the course's own login; MLflow never sees it).
        password: that user's password; required when ``data_dir`` already holds a cluster.
            ``None`` for a new cluster: a random one.
        owner: the unprivileged role that owns ``databases`` and that MLflow logs in as. Its
            password is random and new at every start (set by the superuser, as a SCRAM
            verifier), so it is stored nowhere and never derived from the superuser's.
        host: the address PostgreSQL listens on.
        port: the TCP port; ``None``: a free one.
        databases: databases to create if missing (tracking store, accounts store), owned by ``owner``.
        timeout: seconds allowed for start and stop.
        max_connections: PostgreSQL's connection limit (its default is 100).

    Yields:
        The running cluster.
    """
    if _check_name("superuser name", user) == _check_name("role name", owner):
        raise ValueError(f"owner: MLflow's role must not be the superuser ({user!r}); choose another name.")
    for name in databases:
        _check_name("database name", name)
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
    cluster = Postgres(
        host=host,
        port=port,
        user=user,
        password=password,
        data_dir=cluster_dir,
        owner=owner,
        owner_password=secrets.token_urlsafe(24),
    )
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
        _superuser_login(cluster)
        provision(cluster, databases)
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
