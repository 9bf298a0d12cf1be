"""``mlops-course classroom …`` and ``mlops-course merge-gradebooks``: the instructor's and learners' commands.

- ``classroom up``: start PostgreSQL, the object store and MLflow with accounts, in the
  foreground, until Ctrl-C or ``classroom down``.
- ``classroom down`` / ``classroom status``: stop / inspect the services ``up`` started.
- ``classroom add-learners CLASS.csv``: create learner accounts.
- ``classroom doctor``: what a learner runs to check their settings.
- ``merge-gradebooks``: merge shard gradebooks into one.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import sys
import time
from pathlib import Path

STATE_FILE = "classroom.json"
SECRETS_HELP = (
    "Secrets come from the environment, never from files in the repository: "
    "MLFLOW_AUTH_ADMIN_PASSWORD (the 'admin' account, >= 12 characters), POSTGRES_PASSWORD "
    "(the database superuser; MLflow gets its own role), MLFLOW_FLASK_SERVER_SECRET_KEY (optional; random if unset)."
)


def _default_data_dir() -> Path:
    from mlops_course.paths import COURSE_DATA_DIR

    return COURSE_DATA_DIR / "classroom"


def _fail(message: str) -> int:
    print(f"error: {message}", file=sys.stderr)
    return 1


def _read_state(data_dir: Path) -> dict | None:
    path = data_dir / STATE_FILE
    if not path.is_file():
        return None
    return json.loads(path.read_text())


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


class _Stop(Exception):
    """Raised in the main thread when ``up`` receives SIGTERM."""


def _raise_stop(signum: int, frame: object) -> None:
    raise _Stop()


def cmd_up(args: argparse.Namespace) -> int:
    """Start the class services and keep them up until stopped."""
    from mlops_course.classroom.services import ObjectStore, ServiceError, classroom_services

    admin_password = os.environ.get("MLFLOW_AUTH_ADMIN_PASSWORD", "")
    db_password = os.environ.get("POSTGRES_PASSWORD", "")
    if len(admin_password) < 12:
        return _fail(
            "set MLFLOW_AUTH_ADMIN_PASSWORD to the instructor's admin password (at least 12 characters). "
            + SECRETS_HELP
        )
    if len(db_password) < 12:
        return _fail(
            "set POSTGRES_PASSWORD to the database superuser's password (at least 12 characters). " + SECRETS_HELP
        )
    data_dir = Path(args.data_dir).resolve()
    state = _read_state(data_dir)
    if state and _pid_alive(int(state["pid"])):
        return _fail(
            f"the class services already run (pid {state['pid']}) at {state['tracking_uri']}; `mlops-course classroom down` first."
        )
    artifacts = None
    if args.bucket:
        artifacts = ObjectStore(
            endpoint_url=os.environ.get("MLFLOW_S3_ENDPOINT_URL") or None,
            bucket=args.bucket,
            credentials={k: v for k, v in os.environ.items() if k.startswith("AWS_")},
        )
    signal.signal(signal.SIGTERM, _raise_stop)
    try:
        with classroom_services(
            admin_password=admin_password,
            data_dir=data_dir,
            db_password=db_password,
            artifacts=artifacts,
            s3_emulator_for_artifacts=args.s3_emulator,
            host=args.host,
            port=args.port,
            workers=args.workers,
            secret_key=os.environ.get("MLFLOW_FLASK_SERVER_SECRET_KEY") or None,
        ) as services:
            state_path = data_dir / STATE_FILE
            state_path.write_text(
                json.dumps({"pid": os.getpid(), "tracking_uri": services.tracking_uri, "host": args.host})
            )
            if artifacts is not None:
                where = f"s3://{args.bucket}"
            elif args.s3_emulator:
                where = "the local S3 emulator (in memory, no credentials checked: a demonstration only)"
            else:
                where = f"{services.artifacts_dir} (on this server's disk, behind MLflow's proxy)"
            print(f"Class MLflow server: {services.tracking_uri} (listening on {args.host})")
            print(f"  runs and models: PostgreSQL in {data_dir}; artifacts: {where}")
            print("  instructor login: admin / $MLFLOW_AUTH_ADMIN_PASSWORD")
            print("  add learners:     mlops-course classroom add-learners class.csv")
            print("  stop:             Ctrl-C, or mlops-course classroom down", flush=True)
            try:
                deadline = time.monotonic() + args.for_seconds if args.for_seconds else None
                while deadline is None or time.monotonic() < deadline:
                    time.sleep(0.5)
            finally:
                state_path.unlink(missing_ok=True)
    except (KeyboardInterrupt, _Stop):
        pass
    except (ServiceError, ValueError) as exc:
        return _fail(str(exc))
    finally:
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
    print("Class services stopped.")
    return 0


def cmd_down(args: argparse.Namespace) -> int:
    """Stop the services that ``classroom up`` started (bounded wait)."""
    data_dir = Path(args.data_dir).resolve()
    state = _read_state(data_dir)
    if not state or not _pid_alive(int(state["pid"])):
        print(f"No class services are running from {data_dir}.")
        (data_dir / STATE_FILE).unlink(missing_ok=True)
        return 0
    pid = int(state["pid"])
    os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + args.timeout
    while time.monotonic() < deadline and _pid_alive(pid):
        time.sleep(0.3)
    if _pid_alive(pid):
        return _fail(f"the class services (pid {pid}) did not stop within {args.timeout:g} s.")
    print("Class services stopped.")
    return 0


def cmd_status(args: argparse.Namespace) -> int:
    """Say whether the class services run and answer."""
    import requests

    data_dir = Path(args.data_dir).resolve()
    state = _read_state(data_dir)
    if not state or not _pid_alive(int(state["pid"])):
        print(f"Class services: not running (data folder {data_dir}). Start them with `mlops-course classroom up`.")
        return 1
    uri = state["tracking_uri"]
    try:
        healthy = requests.get(f"{uri}/health", timeout=5).status_code == 200
    except requests.RequestException:
        healthy = False
    print(
        f"Class services: running (pid {state['pid']}), MLflow at {uri} {'answers' if healthy else 'does NOT answer'}."
    )
    return 0 if healthy else 1


def cmd_add_learners(args: argparse.Namespace) -> int:
    """Create the accounts of a class list."""
    from mlops_course.classroom.learners import add_learners, read_learners, write_credentials

    server = args.server or os.environ.get("MLFLOW_TRACKING_URI", "")
    if not server:
        state = _read_state(Path(args.data_dir).resolve())
        server = state["tracking_uri"] if state else ""
    if not server.startswith(("http://", "https://")):
        return _fail("name the class server: --server http://HOST:PORT (or set MLFLOW_TRACKING_URI).")
    admin_password = os.environ.get("MLFLOW_AUTH_ADMIN_PASSWORD", "")
    if not admin_password:
        return _fail("set MLFLOW_AUTH_ADMIN_PASSWORD to the admin password of the class server.")
    try:
        learners = read_learners(args.class_list)
        report = add_learners(server, learners, admin_username=args.admin_user, admin_password=admin_password)
    except (OSError, ValueError, PermissionError, RuntimeError) as exc:
        return _fail(str(exc))
    print(f"Accounts created: {len(report.created)}; already there (unchanged): {len(report.existing)}.")
    if args.credentials_out:
        path = write_credentials(
            [learner for learner in learners if learner.username in report.created], args.credentials_out
        )
        print(f"Logins of the new accounts written to {path} (owner-only); hand them out, keep it out of git.")
    return 0


def cmd_hide_experiment(args: argparse.Namespace) -> int:
    """Hide an experiment from every learner (DENY)."""
    from mlops_course.classroom.learners import hide_experiment

    server = args.server or os.environ.get("MLFLOW_TRACKING_URI", "")
    if not server:
        state = _read_state(Path(args.data_dir).resolve())
        server = state["tracking_uri"] if state else ""
    admin_password = os.environ.get("MLFLOW_AUTH_ADMIN_PASSWORD", "")
    if not admin_password:
        return _fail("set MLFLOW_AUTH_ADMIN_PASSWORD to the admin password of the class server.")
    try:
        hidden = hide_experiment(
            server, args.experiment_id, admin_username=args.admin_user, admin_password=admin_password
        )
    except (OSError, ValueError, PermissionError, RuntimeError) as exc:
        return _fail(str(exc))
    print(f"Experiment {args.experiment_id} is hidden from {len(hidden)} learner(s); admins still see it.")
    return 0


def cmd_doctor(args: argparse.Namespace) -> int:
    """Check the learner's MLflow settings; one line either way."""
    from mlops_course.classroom.connection import ClassroomConnectionError, check_connection

    try:
        status = check_connection(require_auth=False if args.no_auth else None, timeout=args.timeout)
    except ClassroomConnectionError as exc:
        print(f"Problem: {exc}", file=sys.stderr)
        return 1
    print(f"OK. {status.describe()}")
    return 0


def cmd_merge_gradebooks(args: argparse.Namespace) -> int:
    """Merge shard gradebooks into one."""
    from mlops_course.grading.shard_merge import merge_gradebooks

    try:
        report = merge_gradebooks(args.gradebooks, args.out)
    except (OSError, ValueError) as exc:
        return _fail(str(exc))
    print(
        f"{report.rows} rows written to {report.out}; {report.duplicates} identical copies merged; {len(report.conflicts)} conflicts."
    )
    for conflict in report.conflicts:
        print(f"  conflict: {conflict.describe()}")
    return 0


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add ``classroom`` (up, down, status, add-learners, doctor) and ``merge-gradebooks``."""
    classroom = subparsers.add_parser(
        "classroom", help="a shared MLflow server for a class", description=__doc__.splitlines()[0]
    )
    actions = classroom.add_subparsers(dest="classroom_command", metavar="ACTION")
    classroom.set_defaults(func=lambda _args: (classroom.print_help(), 2)[1])
    data_dir = {
        "default": str(_default_data_dir()),
        "help": "folder of the database and logs (default: .course-data/classroom)",
    }

    up = actions.add_parser(
        "up", help="start PostgreSQL and MLflow with accounts (artifacts on disk behind its proxy)", epilog=SECRETS_HELP
    )
    up.add_argument("--host", default="127.0.0.1", help="address to listen on; 0.0.0.0 to serve the class network")
    up.add_argument("--port", type=int, default=5000, help="MLflow's port (default 5000)")
    up.add_argument(
        "--workers", type=int, default=2, help="MLflow worker processes (default 2; see docs/classroom.md for sizing)"
    )
    up.add_argument(
        "--bucket",
        default=os.environ.get("CLASSROOM_S3_BUCKET"),
        help="an S3 bucket for artifacts (AWS_* and MLFLOW_S3_ENDPOINT_URL from the environment); "
        "default: a folder on this server's disk, behind MLflow's proxy",
    )
    up.add_argument(
        "--s3-emulator",
        action="store_true",
        help="keep artifacts in the local AWS emulator instead (in memory, accepts any keys: for demonstrations)",
    )
    up.add_argument("--data-dir", **data_dir)
    up.add_argument("--for-seconds", type=float, default=None, help=argparse.SUPPRESS)
    up.set_defaults(func=cmd_up)

    down = actions.add_parser("down", help="stop the services `classroom up` started")
    down.add_argument("--data-dir", **data_dir)
    down.add_argument("--timeout", type=float, default=60.0, help="seconds to wait (default 60)")
    down.set_defaults(func=cmd_down)

    status = actions.add_parser("status", help="are the class services up and answering?")
    status.add_argument("--data-dir", **data_dir)
    status.set_defaults(func=cmd_status)

    add = actions.add_parser("add-learners", help="create learner accounts from a CSV (username[,password])")
    add.add_argument("class_list", type=Path, help="CSV with a 'username' column and optionally 'password'")
    add.add_argument(
        "--server", default=None, help="the class server (default: MLFLOW_TRACKING_URI or the running `up`)"
    )
    add.add_argument("--admin-user", default="admin", help="admin account (password from MLFLOW_AUTH_ADMIN_PASSWORD)")
    add.add_argument(
        "--credentials-out", type=Path, default=None, help="write the new accounts' logins here (owner-only)"
    )
    add.add_argument("--data-dir", **data_dir)
    add.set_defaults(func=cmd_add_learners)

    hide = actions.add_parser("hide-experiment", help="hide an experiment from every learner (DENY on it)")
    hide.add_argument("experiment_id", help="the experiment's id (a number, as in the MLflow UI)")
    hide.add_argument(
        "--server", default=None, help="the class server (default: MLFLOW_TRACKING_URI or the running `up`)"
    )
    hide.add_argument("--admin-user", default="admin", help="admin account (password from MLFLOW_AUTH_ADMIN_PASSWORD)")
    hide.add_argument("--data-dir", **data_dir)
    hide.set_defaults(func=cmd_hide_experiment)

    doctor = actions.add_parser("doctor", help="learners: check that MLflow settings reach the class server")
    doctor.add_argument(
        "--no-auth", action="store_true", help="accept a server without accounts (a private practice server)"
    )
    doctor.add_argument("--timeout", type=float, default=5.0, help="seconds per request (default 5)")
    doctor.set_defaults(func=cmd_doctor)

    merge = subparsers.add_parser(
        "merge-gradebooks", help="merge shard gradebooks into one (no lost or duplicated rows)"
    )
    merge.add_argument("gradebooks", nargs="+", type=Path, help="each shard's gradebook.csv")
    merge.add_argument(
        "--out", type=Path, default=Path("grades/gradebook.csv"), help="merged gradebook (default grades/gradebook.csv)"
    )
    merge.set_defaults(func=cmd_merge_gradebooks)
