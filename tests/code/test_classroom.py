"""Unit tests of classroom mode: sharding, gradebook merge, accounts, the learner's connection check.

The connection check runs against small HTTP servers on 127.0.0.1 that answer like an
MLflow server with accounts, without accounts, or not at all.
"""

from __future__ import annotations

import argparse
import base64
import csv
import json
import os
import stat
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from mlops_course.classroom import ClassroomConnectionError, check_connection
from mlops_course.classroom.commands import register
from mlops_course.classroom.learners import Learner, add_learners, read_learners, write_credentials
from mlops_course.classroom.services import write_auth_config
from mlops_course.grading.shard_merge import merge_gradebooks
from mlops_course.grading.sharding import parse_shard, select_shard, shard_of
from mlops_course.paths import PROJECT_ROOT
from mlops_course.util import free_port

STUDENTS = [f"student-{number:03d}" for number in range(300)]


# --- sharding -------------------------------------------------------------------------------


def test_shards_partition_the_class_without_overlap() -> None:
    n_shards = 4
    shards = [select_shard(STUDENTS, index, n_shards) for index in range(n_shards)]
    actual_all = sorted(student for shard in shards for student in shard)
    assert actual_all == sorted(STUDENTS), "every student must be in exactly one shard"
    assert all(len(shard) > 300 / n_shards / 2 for shard in shards), (
        f"shards badly unbalanced: {[len(s) for s in shards]}"
    )


def test_shard_of_is_in_range_and_keeps_order_in_select() -> None:
    assert {shard_of(student, 7) for student in STUDENTS} <= set(range(7))
    selected = select_shard(STUDENTS, 2, 5)
    assert selected == [s for s in STUDENTS if shard_of(s, 5) == 2]
    assert shard_of("anyone", 1) == 0


def test_shard_of_is_the_same_in_another_process_with_another_hash_seed() -> None:
    code = "from mlops_course.grading.sharding import shard_of; print([shard_of(f's{i}', 5) for i in range(50)])"
    env = {**os.environ, "PYTHONHASHSEED": "12345"}
    other = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True, timeout=60
    )
    expected = [shard_of(f"s{i}", 5) for i in range(50)]
    assert json.loads(other.stdout) == expected, "shard_of must not depend on Python's per-process hash()"


@pytest.mark.parametrize(("student_id", "n_shards"), [("", 3), (None, 3), ("a", 0), ("a", -1), ("a", 2.0), ("a", True)])
def test_shard_of_rejects_bad_input(student_id: object, n_shards: object) -> None:
    with pytest.raises(ValueError, match="student_id|n_shards"):
        shard_of(student_id, n_shards)  # type: ignore[arg-type]


@pytest.mark.parametrize("index", [-1, 4, 10])
def test_select_shard_rejects_index_out_of_range(index: int) -> None:
    with pytest.raises(ValueError, match="0 to 3"):
        select_shard(STUDENTS, index, 4)


def test_parse_shard_counts_from_one() -> None:
    assert parse_shard("1/4") == (0, 4)
    assert parse_shard(" 4/4 ") == (3, 4)
    for bad in ("0/4", "5/4", "1", "a/b", "-1/3", "1/0", "1/2/3"):
        with pytest.raises(ValueError, match="shard"):
            parse_shard(bad)


# --- gradebook merge ------------------------------------------------------------------------

COLUMNS = ["student_id", "exercise", "score", "max_score", "status", "submission_sha256", "graded_at"]


def _row(
    student: str, exercise: str = "ex1_automated_pipeline", score: int = 80, at: str = "2026-03-01T10:00:00+00:00"
) -> dict:
    return {
        "student_id": student,
        "exercise": exercise,
        "score": str(score),
        "max_score": "100",
        "status": "graded",
        "submission_sha256": f"sha-{student}-{score}",
        "graded_at": at,
    }


def _write(path: Path, rows: list[dict], columns: list[str] = COLUMNS) -> Path:
    with path.open("w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=columns, extrasaction="ignore")
        writer.writeheader()
        writer.writerows(rows)
    return path


def _read(path: Path) -> list[dict]:
    with path.open(newline="") as handle:
        return list(csv.DictReader(handle))


def test_merge_unions_shards_and_collapses_identical_copies(tmp_path: Path) -> None:
    shard_a = _write(tmp_path / "a.csv", [_row("ana"), _row("ana", "ex2_model_management"), _row("bo")])
    shard_b = _write(tmp_path / "b.csv", [_row("cy"), _row("bo")])  # bo copied identically (a resumed run)
    report = merge_gradebooks([shard_a, shard_b], tmp_path / "out" / "gradebook.csv")
    actual = [(r["student_id"], r["exercise"]) for r in _read(report.out)]
    expected = sorted(
        [
            ("ana", "ex1_automated_pipeline"),
            ("ana", "ex2_model_management"),
            ("bo", "ex1_automated_pipeline"),
            ("cy", "ex1_automated_pipeline"),
        ]
    )
    assert actual == expected
    assert (report.rows, report.duplicates, report.conflicts) == (4, 1, [])


def test_merge_conflict_keeps_the_newer_grading_and_reports_it(tmp_path: Path) -> None:
    old = _write(tmp_path / "old.csv", [_row("ana", score=40, at="2026-03-01T10:00:00+00:00")])
    new = _write(tmp_path / "new.csv", [_row("ana", score=90, at="2026-03-02T09:00:00+00:00")])
    for order in ([old, new], [new, old]):
        report = merge_gradebooks(order, tmp_path / "merged.csv")
        assert [r["score"] for r in _read(report.out)] == ["90"], f"newer grading must win whatever the order ({order})"
        assert len(report.conflicts) == 1
        assert report.conflicts[0].kept_graded_at.startswith("2026-03-02")
        assert "ana/ex1_automated_pipeline" in report.conflicts[0].describe()


def test_merge_handles_naive_and_offset_times_and_extra_columns(tmp_path: Path) -> None:
    first = _write(tmp_path / "a.csv", [_row("ana", score=10, at="2026-03-01T12:00:00")])  # naive: read as UTC
    second = _write(
        tmp_path / "b.csv",
        [{**_row("ana", score=20, at="2026-03-01T13:30:00+02:00"), "grader": "v2"}],
        COLUMNS + ["grader"],
    )
    report = merge_gradebooks([first, second], tmp_path / "merged.csv")
    rows = _read(report.out)
    assert [r["score"] for r in rows] == ["10"], "12:00 UTC is newer than 13:30+02:00 (11:30 UTC)"
    assert "grader" in rows[0], "extra columns must be kept"


def test_merge_into_an_existing_gradebook_keeps_its_rows(tmp_path: Path) -> None:
    out = _write(tmp_path / "gradebook.csv", [_row("ana")])
    shard = _write(tmp_path / "shard.csv", [_row("bo")])
    merge_gradebooks([out, shard], out)
    assert [r["student_id"] for r in _read(out)] == ["ana", "bo"]


def test_merge_rejects_bad_gradebooks(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="at least one"):
        merge_gradebooks([], tmp_path / "out.csv")
    with pytest.raises(FileNotFoundError, match="does not exist"):
        merge_gradebooks([tmp_path / "missing.csv"], tmp_path / "out.csv")
    no_score = _write(tmp_path / "no_score.csv", [_row("ana")], [c for c in COLUMNS if c != "score"])
    with pytest.raises(ValueError, match="score"):
        merge_gradebooks([no_score], tmp_path / "out.csv")
    bad_time = _write(tmp_path / "bad_time.csv", [_row("ana", at="yesterday")])
    with pytest.raises(ValueError, match="graded_at"):
        merge_gradebooks([bad_time], tmp_path / "out.csv")
    assert not (tmp_path / "out.csv").exists(), "a failed merge must not write a partial gradebook"


# --- learner accounts -----------------------------------------------------------------------


def test_read_learners_generates_missing_passwords(tmp_path: Path) -> None:
    class_list = tmp_path / "class.csv"
    class_list.write_text("username,password\nana,\nbo.silva,a-long-enough-password\n")
    learners = read_learners(class_list)
    assert [learner.username for learner in learners] == ["ana", "bo.silva"]
    assert len(learners[0].password) >= 12 and learners[1].password == "a-long-enough-password"
    assert "password" not in repr(learners[0]).replace("Learner(", ""), "passwords must not show in reprs"


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("name\nana\n", "username"),
        ("username\nana\nana\n", "twice"),
        ("username\nbad name\n", "letters"),
        ("username,password\nana,short\n", "at least 12"),
    ],
)
def test_read_learners_rejects_bad_class_lists(tmp_path: Path, content: str, message: str) -> None:
    class_list = tmp_path / "class.csv"
    class_list.write_text(content)
    with pytest.raises(ValueError, match=message):
        read_learners(class_list)


def test_write_credentials_is_owner_only(tmp_path: Path) -> None:
    path = write_credentials([Learner("ana", "secret-password-1")], tmp_path / "logins.csv")
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert _read(path) == [{"username": "ana", "password": "secret-password-1"}]


class _FakeAnswer:
    def __init__(self, status_code: int, text: str = "") -> None:
        self.status_code, self.text = status_code, text


class _FakeAccountsServer:
    """Answers like MLflow's users/create: 200 once per name, then RESOURCE_ALREADY_EXISTS."""

    def __init__(self, admin_ok: bool = True) -> None:
        self.users: set[str] = {"old"}
        self.admin_ok = admin_ok
        self.calls: list[dict] = []

    def post(self, url: str, **kwargs: object) -> _FakeAnswer:
        self.calls.append({"url": url, **kwargs})
        if not self.admin_ok:
            return _FakeAnswer(403, "Permission denied")
        name = kwargs["json"]["username"]  # type: ignore[index]
        if name in self.users:
            return _FakeAnswer(400, '{"error_code": "RESOURCE_ALREADY_EXISTS"}')
        self.users.add(name)
        return _FakeAnswer(200, "{}")


def test_add_learners_creates_new_accounts_and_keeps_existing_ones() -> None:
    server = _FakeAccountsServer()
    report = add_learners(
        "http://class:5000/",
        [Learner("ana", "p" * 12), Learner("old", "q" * 12)],
        admin_username="admin",
        admin_password="x" * 12,
        http=server,
    )
    assert (report.created, report.existing) == (["ana"], ["old"])
    assert server.calls[0]["url"] == "http://class:5000/api/2.0/mlflow/users/create"
    assert server.calls[0]["auth"] == ("admin", "x" * 12)


def test_add_learners_needs_an_admin_and_a_server_address() -> None:
    with pytest.raises(PermissionError, match="admin"):
        add_learners(
            "http://class:5000",
            [Learner("ana", "p" * 12)],
            admin_username="ana",
            admin_password="p" * 12,
            http=_FakeAccountsServer(admin_ok=False),
        )
    with pytest.raises(ValueError, match="http"):
        add_learners("sqlite:///mlflow.db", [], admin_username="admin", admin_password="x" * 12)


def test_auth_config_sets_read_by_default_and_keeps_the_password_out(tmp_path: Path) -> None:
    import configparser

    path = write_auth_config(tmp_path / "basic_auth.ini", "postgresql+psycopg2://u:p@h:1/mlflow_auth")
    config = configparser.ConfigParser()
    config.read(path)
    assert config["mlflow"]["default_permission"] == "READ"
    assert "admin_password" not in config["mlflow"]
    assert int(config["mlflow"]["auth_cache_ttl_seconds"]) > 0
    assert stat.S_IMODE(path.stat().st_mode) == 0o600, "the file holds the database URI: owner-only"


# --- the database logins --------------------------------------------------------------------


def test_mlflow_gets_its_own_roles_uri_and_no_password_shows_in_a_repr() -> None:
    from mlops_course.classroom.postgres import Postgres

    cluster = Postgres("127.0.0.1", 5432, "postgres", "superuser-secret", Path("/x"), "mlflow", "role-secret")
    assert cluster.uri("mlflow") == "postgresql+psycopg2://mlflow:role-secret@127.0.0.1:5432/mlflow"
    assert "superuser-secret" not in cluster.uri("mlflow_auth")
    assert "secret" not in repr(cluster), repr(cluster)


@pytest.mark.parametrize(
    ("names", "message"),
    [
        ({"user": "mlflow", "owner": "mlflow"}, "must not be the superuser"),
        ({"owner": "mlflow; DROP ROLE postgres"}, "role name"),
        ({"user": "1admin"}, "superuser name"),
        ({"databases": ("mlflow", "mlflow-auth")}, "database name"),
    ],
)
def test_postgres_cluster_refuses_bad_names_before_starting_anything(names: dict, message: str) -> None:
    from mlops_course.classroom.postgres import postgres_cluster

    with pytest.raises(ValueError, match=message), postgres_cluster(None, **names):
        pytest.fail("the cluster must not start")


def test_the_server_inherits_no_superuser_password_storage_key_or_libpq_setting(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from mlops_course.classroom.services import inherited_environment

    monkeypatch.setenv("POSTGRES_PASSWORD", "superuser-secret")
    monkeypatch.setenv("PGPASSWORD", "superuser-secret")
    monkeypatch.setenv("CLASS_DB_LOGIN", "postgres:superuser-secret")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "a-key")
    monkeypatch.setenv("MLFLOW_TRACKING_PASSWORD", "a-learner")
    monkeypatch.setenv("COURSE_SETTING", "kept")
    environment = inherited_environment(["superuser-secret", ""])
    assert environment["COURSE_SETTING"] == "kept"
    assert "PATH" in environment
    for name in (
        "POSTGRES_PASSWORD",
        "PGPASSWORD",
        "CLASS_DB_LOGIN",
        "AWS_SECRET_ACCESS_KEY",
        "MLFLOW_TRACKING_PASSWORD",
    ):
        assert name not in environment, f"{name} must not reach the MLflow server"


# --- the learner's connection check ---------------------------------------------------------

GOOD_LOGIN = ("ana", "ana-password-123")


def _handler(mode: str) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: object) -> None:  # keep test output quiet
            pass

        def _answer(self, code: int, body: str = "", content_type: str = "text/plain") -> None:
            data = body.encode()
            self.send_response(code)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_GET(self) -> None:
            if mode == "slow":
                time.sleep(1.5)
            if mode == "not-mlflow":
                return self._answer(404, "nothing here")
            if self.path == "/health":
                return self._answer(200, "OK")
            if self.path == "/api/2.0/mlflow/users/current":
                if mode == "no-auth":
                    return self._answer(404, "<h1>Not Found</h1>", "text/html")
                expected = "Basic " + base64.b64encode(":".join(GOOD_LOGIN).encode()).decode()
                if self.headers.get("Authorization") != expected:
                    return self._answer(401, "You are not authenticated.")
                body = {"is_basic_auth": True, "user": {"username": GOOD_LOGIN[0], "is_admin": False}}
                return self._answer(200, json.dumps(body), "application/json")
            return self._answer(404)

    return Handler


@pytest.fixture
def fake_server(request: pytest.FixtureRequest) -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(request.param))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


@pytest.mark.parametrize("fake_server", ["auth"], indirect=True)
def test_check_connection_accepts_the_right_login(fake_server: str) -> None:
    status = check_connection(fake_server + "/", *GOOD_LOGIN)
    assert (status.mode, status.username, status.authenticated, status.is_admin) == ("server", "ana", True, False)
    assert "as ana (learner)" in status.describe()


@pytest.mark.parametrize("fake_server", ["auth"], indirect=True)
def test_check_connection_names_the_settings_on_a_wrong_or_missing_login(fake_server: str) -> None:
    with pytest.raises(ClassroomConnectionError, match="rejected the login of 'ana'.*MLFLOW_TRACKING_PASSWORD"):
        check_connection(fake_server, "ana", "wrong-password-1")
    with pytest.raises(ClassroomConnectionError, match="needs a login: set MLFLOW_TRACKING_USERNAME"):
        check_connection(fake_server, "", "")
    with pytest.raises(ClassroomConnectionError, match="MLFLOW_TRACKING_PASSWORD is not set"):
        check_connection(fake_server, "ana", "")


@pytest.mark.parametrize("fake_server", ["no-auth"], indirect=True)
def test_check_connection_refuses_a_server_without_accounts_unless_told(fake_server: str) -> None:
    with pytest.raises(ClassroomConnectionError, match="authentication is off"):
        check_connection(fake_server, *GOOD_LOGIN)
    status = check_connection(fake_server, *GOOD_LOGIN, require_auth=False)
    assert (status.mode, status.authenticated) == ("server", False)
    status = check_connection(fake_server, "", "")  # no login set: a practice server is fine
    assert (status.mode, status.authenticated) == ("server", False)
    with pytest.raises(ClassroomConnectionError, match="authentication is off"):
        check_connection(fake_server, "", "", require_auth=True)


@pytest.mark.parametrize("fake_server", ["not-mlflow"], indirect=True)
def test_check_connection_spots_an_address_that_is_not_mlflow(fake_server: str) -> None:
    with pytest.raises(ClassroomConnectionError, match="not an MLflow server.*MLFLOW_TRACKING_URI"):
        check_connection(fake_server, *GOOD_LOGIN)


@pytest.mark.parametrize("fake_server", ["slow"], indirect=True)
def test_check_connection_gives_up_after_the_timeout(fake_server: str) -> None:
    started = time.perf_counter()
    with pytest.raises(ClassroomConnectionError, match="did not answer within 0.3 s"):
        check_connection(fake_server, *GOOD_LOGIN, timeout=0.3)
    assert time.perf_counter() - started < 5


def test_check_connection_on_an_unreachable_server_says_what_to_set() -> None:
    with pytest.raises(ClassroomConnectionError, match="Cannot reach .*MLFLOW_TRACKING_URI") as error:
        check_connection(f"http://127.0.0.1:{free_port()}", *GOOD_LOGIN, timeout=2)
    assert error.value.__cause__ is None and error.value.__suppress_context__, "no chained stack trace"
    assert error.value._render_traceback_() == [f"ClassroomConnectionError: {error.value}"]


def test_check_connection_without_a_server_reports_the_local_store(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)
    status = check_connection()
    assert status.mode == "local" and status.tracking_uri.startswith("sqlite:")
    assert "MLFLOW_TRACKING_URI" in status.describe()
    assert check_connection("sqlite:///x.db").mode == "local"
    with pytest.raises(ValueError, match="timeout"):
        check_connection("http://127.0.0.1:1", timeout=0)


# --- the commands ---------------------------------------------------------------------------


def _cli(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="mlops-course")
    register(parser.add_subparsers(dest="command"))
    args = parser.parse_args(argv)
    return int(args.func(args))


@pytest.mark.parametrize("fake_server", ["auth"], indirect=True)
def test_doctor_prints_one_line_either_way(
    fake_server: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture
) -> None:
    monkeypatch.setenv("MLFLOW_TRACKING_URI", fake_server)
    monkeypatch.setenv("MLFLOW_TRACKING_USERNAME", "ana")
    monkeypatch.setenv("MLFLOW_TRACKING_PASSWORD", "wrong-password-1")
    assert _cli(["classroom", "doctor"]) == 1
    captured = capsys.readouterr()
    assert captured.err.count("\n") == 1 and "Traceback" not in captured.err
    assert "MLFLOW_TRACKING_PASSWORD" in captured.err
    monkeypatch.setenv("MLFLOW_TRACKING_PASSWORD", GOOD_LOGIN[1])
    assert _cli(["classroom", "doctor"]) == 0
    assert capsys.readouterr().out.startswith("OK. Connected to")


def test_merge_gradebooks_command(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    shard = _write(tmp_path / "shard0.csv", [_row("ana")])
    assert _cli(["merge-gradebooks", str(shard), str(tmp_path / "missing.csv"), "--out", str(tmp_path / "g.csv")]) == 1
    assert "does not exist" in capsys.readouterr().err
    assert _cli(["merge-gradebooks", str(shard), "--out", str(tmp_path / "g.csv")]) == 0
    assert "1 rows written" in capsys.readouterr().out


def test_status_down_and_up_without_secrets(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture
) -> None:
    assert _cli(["classroom", "status", "--data-dir", str(tmp_path)]) == 1
    assert _cli(["classroom", "down", "--data-dir", str(tmp_path)]) == 0
    monkeypatch.delenv("MLFLOW_AUTH_ADMIN_PASSWORD", raising=False)
    assert _cli(["classroom", "up", "--data-dir", str(tmp_path)]) == 1
    assert "MLFLOW_AUTH_ADMIN_PASSWORD" in capsys.readouterr().err


# --- deployment files -----------------------------------------------------------------------

DEPLOY = PROJECT_ROOT / "deploy"
SECRET_WORDS = ("PASSWORD", "SECRET", "KEY")


def _yaml_documents(path: Path) -> list[dict]:
    import yaml

    return [doc for doc in yaml.safe_load_all(path.read_text()) if doc]


def test_kubernetes_manifests_are_valid_and_take_secrets_from_a_secret() -> None:
    import kubernetes_validate

    manifests = sorted((DEPLOY / "classroom" / "k8s").glob("*.yaml")) + sorted((DEPLOY / "grading").glob("*.yaml"))
    assert len(manifests) >= 5, f"expected the class server and grading manifests, found {manifests}"
    for path in manifests:
        for resource in _yaml_documents(path):
            kubernetes_validate.validate(resource, "1.37.0", strict=True)
            for container in resource.get("spec", {}).get("template", {}).get("spec", {}).get("containers", []):
                for variable in container.get("env", []):
                    if any(word in variable["name"] for word in SECRET_WORDS):
                        assert "valueFrom" in variable, (
                            f"{path.name}: {variable['name']} must come from a Secret, not a literal"
                        )


def test_grading_job_is_indexed_with_one_shard_per_index() -> None:
    (job,) = _yaml_documents(DEPLOY / "grading" / "job.yaml")
    spec = job["spec"]
    assert spec["completionMode"] == "Indexed"
    container = spec["template"]["spec"]["containers"][0]
    shards = int({v["name"]: v.get("value") for v in container["env"]}["SHARDS"])
    assert spec["completions"] == shards == spec["parallelism"], "completions, parallelism and SHARDS must agree"
    command = " ".join(container["args"])
    assert "SHARD=$((JOB_COMPLETION_INDEX + 1))" in command, "--shard counts from 1, the completion index from 0"
    assert '--shard "${SHARD}/${SHARDS}"' in command and "shard-${SHARD}" in command


def test_compose_file_matches_the_compose_spec_and_commits_no_secret() -> None:
    import jsonschema
    import yaml
    from check_jsonschema import builtin_schemas

    schema_path = Path(builtin_schemas.__file__).parent / "vendor" / "compose-spec.json"
    compose = yaml.safe_load((DEPLOY / "classroom" / "compose.yaml").read_text())
    jsonschema.validate(compose, json.loads(schema_path.read_text()))
    services = compose["services"]
    assert {"postgres", "mlflow"} <= set(services)
    for name, service in services.items():
        for dependency in service.get("depends_on", {}):
            assert dependency in services, f"{name} depends on unknown service {dependency}"
        for volume in service.get("volumes", []):
            assert volume.split(":")[0] in compose.get("volumes", {}), f"{name}: volume {volume} not declared"
        for key, value in (service.get("environment") or {}).items():
            if any(word in key for word in SECRET_WORDS):
                assert str(value).startswith("${"), f"{name}: {key} must come from the environment, not the file"
    entrypoint = (DEPLOY / "classroom" / "entrypoint.sh").read_text()
    assert "--app-name classroom-auth" in entrypoint
    assert "--backend-store-uri" not in entrypoint, "the store URI (with its password) must not be on the command line"


def test_auth_template_says_what_the_local_services_write(tmp_path: Path) -> None:
    import configparser
    import string

    rendered = string.Template((DEPLOY / "classroom" / "basic_auth.ini.template").read_text()).substitute(
        MLFLOW_AUTH_DATABASE_URI="postgresql+psycopg2://u:p@h:1/mlflow_auth"
    )
    from_template, from_code = configparser.ConfigParser(), configparser.ConfigParser()
    from_template.read_string(rendered)
    from_code.read(write_auth_config(tmp_path / "a.ini", "postgresql+psycopg2://u:p@h:1/mlflow_auth"))
    assert dict(from_template["mlflow"]) == dict(from_code["mlflow"])


def test_the_guard_is_an_mlflow_app_and_refuses_foreign_locations() -> None:
    """The guard is registered under MLflow's ``mlflow.app`` entry points and refuses before MLflow handles."""
    from importlib.metadata import entry_points

    from flask import Flask

    from mlops_course.classroom import guard

    assert "classroom-auth" in {e.name for e in entry_points(group="mlflow.app")}
    app = Flask("guard-test")
    with app.test_request_context(
        "/api/2.0/mlflow/experiments/create", method="POST", json={"name": "x", "artifact_location": "file:///x"}
    ):
        refused = guard.check_request()
        assert refused is not None and refused.status_code == 400
    with app.test_request_context("/api/2.0/mlflow/experiments/create", method="POST", json={"name": "x"}):
        assert guard.check_request() is None
    with app.test_request_context(
        "/ajax-api/2.0/mlflow/model-versions/create", method="POST", json={"name": "m", "source": "s3://bucket/1/x"}
    ):
        refused = guard.check_request()
        assert refused is not None and refused.status_code == 400 and b"source" in refused.get_data()
    with app.test_request_context("/api/2.0/mlflow/runs/search", method="POST", json={"artifact_location": "x"}):
        assert guard.check_request() is None


def test_container_deployment_keeps_the_superuser_password_from_mlflow() -> None:
    import yaml

    compose = yaml.safe_load((DEPLOY / "classroom" / "compose.yaml").read_text())["services"]
    assert "POSTGRES_PASSWORD" not in compose["mlflow"]["environment"]
    assert compose["mlflow"]["environment"]["MLFLOW_DB_PASSWORD"].startswith("${")
    assert compose["db-setup"]["entrypoint"] == ["python", "-m", "mlops_course.classroom.bootstrap"]
    assert compose["mlflow"]["depends_on"]["db-setup"] == {"condition": "service_completed_successfully"}
    assert compose["postgres"]["environment"]["POSTGRES_USER"] != compose["db-setup"]["environment"]["MLFLOW_DB_USER"]
    (deployment,) = [
        d for d in _yaml_documents(DEPLOY / "classroom" / "k8s" / "mlflow.yaml") if d["kind"] == "Deployment"
    ]
    pod = deployment["spec"]["template"]["spec"]
    mlflow_env = {v["name"] for v in pod["containers"][0]["env"]}
    assert "POSTGRES_PASSWORD" not in mlflow_env and "MLFLOW_DB_PASSWORD" in mlflow_env
    (init,) = pod["initContainers"]
    assert init["command"] == ["python", "-m", "mlops_course.classroom.bootstrap"]
    assert {"POSTGRES_PASSWORD", "MLFLOW_DB_PASSWORD"} <= {v["name"] for v in init["env"]}
    entrypoint = (DEPLOY / "classroom" / "entrypoint.sh").read_text()
    assert "POSTGRES_PASSWORD" not in entrypoint and "MLFLOW_DB_PASSWORD" in entrypoint
    dockerfile = (DEPLOY / "classroom" / "Dockerfile").read_text()
    assert "pip install --no-cache-dir --no-deps /opt/course" in dockerfile, "the image needs the guard app"


def test_bootstrap_says_which_secret_is_missing() -> None:
    from mlops_course.classroom.bootstrap import cluster_from_environment

    with pytest.raises(SystemExit, match="MLFLOW_DB_PASSWORD"):
        cluster_from_environment({"POSTGRES_PASSWORD": "x" * 16})
    with pytest.raises(SystemExit, match="at least 12"):
        cluster_from_environment({"POSTGRES_PASSWORD": "x" * 16, "MLFLOW_DB_PASSWORD": "short"})
    cluster = cluster_from_environment({"POSTGRES_PASSWORD": "s" * 16, "MLFLOW_DB_PASSWORD": "o" * 16})
    assert (cluster.user, cluster.owner, cluster.host, cluster.port) == ("postgres", "mlflow", "postgres", 5432)
    assert "s" * 16 not in cluster.uri("mlflow") and "o" * 16 in cluster.uri("mlflow")
