#!/bin/sh
# One command for an instructor's server without Docker: start the class services
# (PostgreSQL, object store, MLflow with accounts) in the foreground, listening on the
# network. Needs the course installed (make setup), PostgreSQL (apt-get install -y
# postgresql) and the secrets in the environment, e.g. from a file outside git:
#   set -a; . ~/classroom.env; set +a; deploy/classroom/start.sh
# Extra options go to `mlops-course classroom up` (--port, --bucket, --data-dir, --workers).
set -eu
: "${MLFLOW_AUTH_ADMIN_PASSWORD:?set MLFLOW_AUTH_ADMIN_PASSWORD (the admin account, >= 12 characters)}"
: "${POSTGRES_PASSWORD:?set POSTGRES_PASSWORD (the class database, >= 12 characters)}"
here="$(cd "$(dirname "$0")/../.." && pwd)"
exec "$here/.venv/bin/mlops-course" classroom up --host 0.0.0.0 "$@"
