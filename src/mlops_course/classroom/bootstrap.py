"""``python -m mlops_course.classroom.bootstrap``: MLflow's database role, for a container deployment.

The class server's container images (``deploy/classroom/``) run this once, as a one-shot
service (compose) or an init container (Kubernetes), before MLflow starts. It logs in as
the PostgreSQL superuser and gives MLflow the same least privilege as ``classroom up``:
a role (``MLFLOW_DB_USER``, default ``mlflow``) that owns MLflow's two databases and nothing
else, with the password ``MLFLOW_DB_PASSWORD``. MLflow's own container then receives only
that role's password, never the superuser's.

Environment: ``POSTGRES_HOST`` (default ``postgres``), ``POSTGRES_PORT`` (5432),
``POSTGRES_USER`` (the superuser, default ``postgres``), ``POSTGRES_PASSWORD``,
``MLFLOW_DB_USER``, ``MLFLOW_DB_PASSWORD``.
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Mapping
from pathlib import Path

from mlops_course.classroom.postgres import Postgres, ServiceError, provision

DATABASES = ("mlflow", "mlflow_auth")
MIN_PASSWORD = 12


def cluster_from_environment(environ: Mapping[str, str]) -> Postgres:
    """The server and the two logins the environment names; SystemExit naming what is missing."""
    missing = [name for name in ("POSTGRES_PASSWORD", "MLFLOW_DB_PASSWORD") if not environ.get(name)]
    if missing:
        raise SystemExit(f"bootstrap: set {' and '.join(missing)} (from the class's secrets) and start it again.")
    if len(environ["MLFLOW_DB_PASSWORD"]) < MIN_PASSWORD:
        raise SystemExit(f"bootstrap: MLFLOW_DB_PASSWORD must have at least {MIN_PASSWORD} characters.")
    host, port = environ.get("POSTGRES_HOST", "postgres"), int(environ.get("POSTGRES_PORT", "5432"))
    return Postgres(
        host=host,
        port=port,
        user=environ.get("POSTGRES_USER", "postgres"),
        password=environ["POSTGRES_PASSWORD"],
        data_dir=Path(f"postgresql://{host}:{port}"),
        owner=environ.get("MLFLOW_DB_USER", "mlflow"),
        owner_password=environ["MLFLOW_DB_PASSWORD"],
    )


def wait_for(cluster: Postgres, seconds: float = 120.0) -> None:
    """Wait until the superuser can log in (the database container may still be starting)."""
    import psycopg2

    deadline = time.monotonic() + seconds
    while True:
        try:
            cluster.connect("postgres", superuser=True).close()
            return
        except psycopg2.OperationalError as exc:
            if time.monotonic() > deadline:
                raise SystemExit(
                    f"bootstrap: PostgreSQL at {cluster.host}:{cluster.port} refused or did not answer within "
                    f"{seconds:.0f} s ({str(exc).strip()}); check POSTGRES_HOST and the superuser's password."
                ) from None
            time.sleep(2)


def main(environ: Mapping[str, str] | None = None) -> int:
    cluster = cluster_from_environment(os.environ if environ is None else environ)
    wait_for(cluster)
    try:
        provision(cluster, DATABASES)
    except (ServiceError, ValueError) as exc:
        print(f"bootstrap: {exc}", file=sys.stderr)
        return 1
    print(f"MLflow's role {cluster.owner!r} owns {', '.join(DATABASES)} and nothing else.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
