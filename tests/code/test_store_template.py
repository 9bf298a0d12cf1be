"""New MLflow SQLite stores start as a copy of a pre-migrated empty template (mlops_course.store_template)."""

from __future__ import annotations

import hashlib
import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path
from typing import Any

import mlflow
import mlflow.store.db.utils as db_utils
import pytest

from mlops_course import store_template, tracking
from mlops_course.grading import sandbox


@pytest.fixture
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "templates"
    monkeypatch.setenv(store_template.ENV_VAR, str(folder))
    return folder


@pytest.fixture
def migrations(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every time MLflow migrates a new database itself (the path a template avoids)."""
    calls: list[str] = []
    original = db_utils._initialize_tables

    def recording(engine: Any) -> None:
        calls.append(str(engine.url))
        original(engine)

    monkeypatch.setattr(db_utils, "_initialize_tables", recording)
    return calls


def _revision(db: Path) -> list[tuple[str, ...]]:
    with sqlite3.connect(db) as conn:
        return conn.execute("SELECT version_num FROM alembic_version").fetchall()


def _use_store(uri: str, tmp_path: Path) -> dict[str, Any]:
    """Experiments, runs, registered models and aliases on the store at ``uri``."""
    client = mlflow.MlflowClient(tracking_uri=uri, registry_uri=uri)
    experiment = client.create_experiment("exp", artifact_location=(tmp_path / "art").as_uri())
    run = client.create_run(experiment)
    client.log_metric(run.info.run_id, "auc", 0.9)
    client.set_terminated(run.info.run_id)
    client.create_registered_model("model")
    version = client.create_model_version("model", source=(tmp_path / "art" / "m").as_uri(), run_id=run.info.run_id)
    client.set_registered_model_alias("model", "champion", version.version)
    return {
        "default": client.get_experiment("0").name,
        "experiment": experiment,
        "auc": client.get_run(run.info.run_id).data.metrics["auc"],
        "alias": client.get_model_version_by_alias("model", "champion").version,
        "runs": len(client.search_runs([experiment])),
    }


def test_the_template_is_an_empty_store_at_mlflows_schema_head(cache: Path, capfd: pytest.CaptureFixture[str]) -> None:
    template = store_template.ensure()
    assert capfd.readouterr().err == ""  # no "Creating initial MLflow database tables..." on stderr
    assert template is not None and template.parent == cache
    head = db_utils._get_latest_schema_revision()
    assert store_template.schema_head() == head
    assert template.name == f"mlflow-{mlflow.__version__}-{head}.db"
    assert _revision(template) == [(head,)]
    assert store_template.is_valid(template, head)
    assert store_template.ensure() == template  # found, not rebuilt
    assert sorted(p.name for p in cache.iterdir()) == [template.name, f"{template.name}.lock"]


def test_configure_starts_a_new_store_from_the_template_and_it_works(
    cache: Path, migrations: list[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    template = store_template.ensure()
    assert template is not None
    before = hashlib.sha256(template.read_bytes()).hexdigest()
    migrations.clear()
    db = tmp_path / "new" / "mlflow.db"
    monkeypatch.setenv("MLFLOW_TRACKING_URI", f"sqlite:///{db}")
    uri = tracking.configure("store-template-test")
    assert migrations == []  # MLflow opened the copy: nothing to migrate
    assert _revision(db) == [(db_utils._get_latest_schema_revision(),)]
    used = _use_store(uri, tmp_path)
    assert used == {"default": "Default", "experiment": used["experiment"], "auc": 0.9, "alias": 1, "runs": 1}
    assert mlflow.MlflowClient().get_experiment_by_name("store-template-test") is not None
    assert hashlib.sha256(template.read_bytes()).hexdigest() == before  # the store is a copy


def test_a_copied_store_matches_one_mlflow_migrated_itself(
    cache: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    copied, own = tmp_path / "copied.db", tmp_path / "own.db"
    assert store_template.seed_store(f"sqlite:///{copied}")
    monkeypatch.setenv(store_template.ENV_VAR, "off")
    assert not store_template.seed_store(f"sqlite:///{own}") and not own.exists()
    monkeypatch.chdir(tmp_path)  # MLflow puts the Default experiment's artifacts under the cwd
    results = [_use_store(f"sqlite:///{db}", tmp_path / db.stem) for db in (copied, own)]
    assert results[0] == results[1]

    def schema_and_defaults(db: Path) -> tuple[Any, ...]:
        with sqlite3.connect(db) as conn:
            # MLflow's own migrations write a table's CHECK constraints in no fixed order: compare them as sets
            schema = [
                (kind, name, sorted((sql or "").split(", \n")))
                for kind, name, sql in conn.execute("SELECT type, name, sql FROM sqlite_master ORDER BY name")
            ]
            default = conn.execute("SELECT name, artifact_location FROM experiments WHERE experiment_id = 0").fetchall()
            workspaces = conn.execute("SELECT * FROM workspaces").fetchall()
        return schema, default, workspaces

    assert schema_and_defaults(copied) == schema_and_defaults(own)
    assert copied.stat().st_mode == own.stat().st_mode
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.endswith(".seed")) == []


def test_two_processes_racing_make_one_valid_template(cache: Path) -> None:
    command = [sys.executable, "-m", "mlops_course.store_template"]
    env = {**os.environ, store_template.ENV_VAR: str(cache)}
    racers = [subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL) for _ in range(2)]
    printed = {racer.communicate(timeout=300)[0].decode().strip() for racer in racers}
    assert [racer.returncode for racer in racers] == [0, 0]
    assert len(printed) == 1
    template = Path(printed.pop())
    named = store_template.template_name()
    assert named is not None and template == cache / named[0]
    assert store_template.is_valid(template, named[1])
    assert sorted(p.name for p in cache.iterdir()) == [template.name, f"{template.name}.lock"]  # no leftovers


def test_an_unwritable_cache_falls_back_to_mlflow(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, migrations: list[str]
) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    monkeypatch.setenv(store_template.ENV_VAR, str(blocker / "templates"))
    assert store_template.ensure() is None
    db = tmp_path / "mlflow.db"
    monkeypatch.setenv("MLFLOW_TRACKING_URI", f"sqlite:///{db}")
    uri = tracking.configure("fallback")
    assert len(migrations) == 1  # MLflow created it the usual way
    assert _use_store(uri, tmp_path)["runs"] == 1


@pytest.mark.parametrize("damage", ["garbage", "rows", "old-revision"])
def test_a_damaged_template_is_rebuilt_never_copied(cache: Path, tmp_path: Path, damage: str) -> None:
    template = store_template.ensure()
    named = store_template.template_name()
    assert template is not None and named is not None
    if damage == "garbage":
        template.write_bytes(b"SQLite format 3\x00" + b"\xff" * 4096)
    else:
        with sqlite3.connect(template) as conn:
            if damage == "rows":  # e.g. a planted model other stores would start with
                conn.execute("INSERT INTO registered_models (name, creation_time) VALUES ('planted', 0)")
            else:
                conn.execute("UPDATE alembic_version SET version_num = 'f5a4f2784254'")
    assert not store_template.is_valid(template, named[1])
    db = tmp_path / "store.db"
    assert store_template.seed_store(f"sqlite:///{db}")
    assert store_template.is_valid(template, named[1]) and store_template.is_valid(db, named[1])


def test_other_uris_and_existing_stores_are_left_alone(
    cache: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    asked: list[int] = []
    monkeypatch.setattr(store_template, "ensure", lambda: asked.append(1))
    existing = tmp_path / "existing.db"
    existing.write_bytes(b"a learner's store")
    for uri in ("http://127.0.0.1:5000", "sqlite:///:memory:", "sqlite://", f"sqlite:///{existing}"):
        assert not store_template.seed_store(uri)
    assert asked == [] and existing.read_bytes() == b"a learner's store"
    assert not cache.exists()


def test_the_sandbox_copies_the_template_only_when_its_hash_matches(cache: Path, tmp_path: Path) -> None:
    template = store_template.ensure()
    assert template is not None
    digest = store_template.file_sha256(template)
    right = sandbox.SandboxConfig(mode="none", workdir=str(tmp_path), mlflow_store=str(template), mlflow_sha256=digest)
    assert sandbox.store_bytes(right) == template.read_bytes()
    wrong = sandbox.SandboxConfig(**{**json.loads(json.dumps(right.__dict__)), "mlflow_sha256": "0" * 64})
    assert sandbox.store_bytes(wrong) is None
    assert sandbox.store_bytes(sandbox.SandboxConfig(mode="none", workdir=str(tmp_path))) is None


TAMPER = """import glob, sqlite3
for _path in glob.glob({cache!r} + "/*.db") + glob.glob("/tmp/mlops-grading-*/*.db"):
    try:
        with open(_path, "r+b") as _handle:
            _handle.write(b"tampered")
    except OSError:
        pass
with sqlite3.connect("mlflow.db") as _conn:
    _conn.execute("INSERT INTO registered_models (name, creation_time) VALUES ('planted', 0)")
"""
CHECK = """import os, sqlite3
assert os.path.isfile("mlflow.db"), "the kernel's store was not copied in"
with sqlite3.connect("mlflow.db") as _conn:
    assert _conn.execute("SELECT count(*) FROM registered_models").fetchall() == [(0,)], "not a fresh store"
    assert _conn.execute("SELECT version_num FROM alembic_version").fetchall() == [({head!r},)]
"""


@pytest.mark.grading
@pytest.mark.parametrize("fast", [True, False], ids=["forked-kernels", "started-kernels"])
def test_graded_kernels_start_from_a_copy_no_submission_can_change(tmp_path: Path, fast: bool) -> None:
    from mlops_course.grading.grade import GradeOptions, grade

    from helpers import grading_submissions as subs
    from helpers.grading_run import CLASS_LIMITS

    if sandbox.probe_namespaces()[0] != "namespaces":
        pytest.skip("only the namespace sandbox keeps a kernel from writing the grader's files")
    folder = store_template.cache_folder()
    template = store_template.ensure()
    assert folder is not None and template is not None
    before = store_template.file_sha256(template)
    check = CHECK.format(head=db_utils._get_latest_schema_revision())
    code = {"a_tamper": check + TAMPER.format(cache=str(folder)), "b_check": check}
    for student, prefix in code.items():
        (tmp_path / "subs" / student).mkdir(parents=True)
        notebook = subs.answered(subs.with_prefix(subs.RIGHT, subs.T1, prefix))
        (tmp_path / "subs" / student / f"{subs.STEM}.ipynb").write_bytes(notebook)
    options = GradeOptions(out=tmp_path / "out", workers=1, limits=CLASS_LIMITS, progress=False, fast=fast)
    results = {r["student_id"]: r for r in grade(tmp_path / "subs", options)}
    assert {s: (r["score"], r["status"]) for s, r in results.items()} == {
        "a_tamper": (100, "graded"),
        "b_check": (100, "graded"),
    }, results
    assert store_template.file_sha256(template) == before
