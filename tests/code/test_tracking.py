"""The tracking URI is decided in one place: the environment wins, else the course's SQLite file."""

from __future__ import annotations

from pathlib import Path

import pytest

from mlops_course import tracking
from mlops_course.paths import COURSE_DATA_DIR, PROJECT_ROOT


def test_environment_variable_wins(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MLFLOW_TRACKING_URI", "http://127.0.0.1:5000")
    assert tracking.tracking_uri() == "http://127.0.0.1:5000"
    assert tracking.artifact_root() is None  # a server decides where artifacts go


def test_default_is_sqlite_in_course_data_folder(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)
    uri = tracking.tracking_uri()
    assert uri.startswith("sqlite:///")
    assert uri.endswith(f"{COURSE_DATA_DIR.name}/mlflow.db")
    assert tracking.artifact_root(uri) == (COURSE_DATA_DIR / "mlartifacts").resolve().as_uri()


def test_course_data_folder_is_ignored_by_git() -> None:
    ignored = (PROJECT_ROOT / ".gitignore").read_text().splitlines()
    assert ".course-data/" in ignored


def test_configure_uses_throwaway_store_and_puts_artifacts_beside_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import mlflow

    monkeypatch.setenv("MLFLOW_TRACKING_URI", f"sqlite:///{tmp_path / 'store.db'}")
    uri = tracking.configure("unit-test-experiment")
    assert uri == f"sqlite:///{tmp_path / 'store.db'}"
    with mlflow.start_run() as run:
        mlflow.log_param("alpha", 0.5)
        mlflow.log_text("hello", "note.txt")
    experiment = mlflow.get_experiment_by_name("unit-test-experiment")
    assert experiment.artifact_location.startswith((tmp_path / "mlartifacts").as_uri())
    assert (tmp_path / "store.db").exists()
    assert (tmp_path / "mlartifacts" / "unit-test-experiment").is_dir()
    assert mlflow.get_run(run.info.run_id).data.params == {"alpha": "0.5"}
    # a second call reuses the experiment instead of failing
    assert tracking.ensure_experiment("unit-test-experiment") == experiment.experiment_id


def test_empty_experiment_name_is_rejected(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MLFLOW_TRACKING_URI", f"sqlite:///{tmp_path / 'store.db'}")
    tracking.configure()
    with pytest.raises(ValueError, match="experiment name"):
        tracking.ensure_experiment("  ")


def test_names_are_scoped_per_learner_only_on_a_class_server(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MLFLOW_TRACKING_USERNAME", "alice")
    assert tracking.learner_scoped_name("module1-credit-model", "http://class:5000") == "alice-module1-credit-model"
    assert (
        tracking.learner_scoped_name("alice-module1-credit-model", "http://class:5000") == "alice-module1-credit-model"
    )
    assert tracking.learner_scoped_name("module1-credit-model", "sqlite:///x.db") == "module1-credit-model"
    monkeypatch.delenv("MLFLOW_TRACKING_USERNAME")
    assert tracking.learner_scoped_name("module1-credit-model", "http://class:5000") == "module1-credit-model"


def test_configure_refuses_an_unreachable_class_server_with_one_clear_message(monkeypatch: pytest.MonkeyPatch) -> None:
    from mlops_course.classroom.connection import ClassroomConnectionError

    monkeypatch.setenv("MLFLOW_TRACKING_URI", "http://127.0.0.1:9")  # discard port: nothing listens
    monkeypatch.setenv("MLFLOW_TRACKING_USERNAME", "alice")
    monkeypatch.setenv("MLFLOW_TRACKING_PASSWORD", "a-long-password")
    with pytest.raises(ClassroomConnectionError, match="MLFLOW_TRACKING_URI"):
        tracking.configure("module1-credit-model")
