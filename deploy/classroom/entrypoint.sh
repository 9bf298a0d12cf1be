#!/bin/sh
# Start the class MLflow server: render the auth configuration from the environment, then
# exec `mlflow server` (PostgreSQL backend as an unprivileged role, artifacts proxied to S3,
# accounts on, the course's guard app in front).
# Used by the container image (compose.yaml, Kubernetes); secrets only from the environment.
set -eu
: "${MLFLOW_DB_PASSWORD:?set MLFLOW_DB_PASSWORD (the password of MLflow's database role; see bootstrap)}"
: "${MLFLOW_AUTH_ADMIN_PASSWORD:?set MLFLOW_AUTH_ADMIN_PASSWORD (>= 12 characters)}"
: "${MLFLOW_FLASK_SERVER_SECRET_KEY:?set MLFLOW_FLASK_SERVER_SECRET_KEY (the same on every replica)}"
: "${MLFLOW_ARTIFACTS_BUCKET:?set MLFLOW_ARTIFACTS_BUCKET (an S3 bucket name)}"
# An empty endpoint means AWS S3 itself.
if [ -z "${MLFLOW_S3_ENDPOINT_URL:-}" ]; then unset MLFLOW_S3_ENDPOINT_URL; fi
POSTGRES_HOST="${POSTGRES_HOST:-postgres}"
POSTGRES_PORT="${POSTGRES_PORT:-5432}"
# MLflow logs in as its own role, which owns its two databases and nothing else; the role and
# the databases are made by `python -m mlops_course.classroom.bootstrap`, run before this with
# the superuser's password (a one-shot service in compose.yaml, an init container in k8s/).
# This container never sees the superuser's password.
MLFLOW_DB_USER="${MLFLOW_DB_USER:-mlflow}"
DB="postgresql+psycopg2://${MLFLOW_DB_USER}:${MLFLOW_DB_PASSWORD}@${POSTGRES_HOST}:${POSTGRES_PORT}"
export MLFLOW_AUTH_DATABASE_URI="${DB}/mlflow_auth"
export MLFLOW_AUTH_CONFIG_PATH="${MLFLOW_AUTH_CONFIG_PATH:-/tmp/basic_auth.ini}"
python - "$(dirname "$0")/basic_auth.ini.template" "$MLFLOW_AUTH_CONFIG_PATH" <<'PY'
import os, string, sys
text = string.Template(open(sys.argv[1]).read()).substitute(os.environ)
fd = os.open(sys.argv[2], os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
os.write(fd, text.encode())
os.close(fd)
PY
# The store URI holds the database password: pass it in the environment, never on the command line.
export MLFLOW_BACKEND_STORE_URI="${DB}/mlflow"
# A class uses no MLflow jobs; their runner costs memory in every server.
export MLFLOW_SERVER_ENABLE_JOB_EXECUTION=false
# classroom-auth: basic-auth plus the course's guard (no learner-chosen artifact locations or model sources).
exec mlflow server \
  --serve-artifacts --artifacts-destination "s3://${MLFLOW_ARTIFACTS_BUCKET}" \
  --app-name classroom-auth \
  --host 0.0.0.0 --port "${MLFLOW_PORT:-5000}" --workers "${MLFLOW_WORKERS:-2}" \
  --allowed-hosts "${MLFLOW_ALLOWED_HOSTS:-*}"
