"""Unit tests of mlops_course.cicd.versioning: a real git repository in a temporary folder."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from mlops_course.cicd.versioning import (
    GitError,
    commit_all,
    head_commit,
    init_repo,
    is_clean,
    lineage_tags,
    short_log,
    trace_model,
)

DATE = "2024-06-01T12:00:00+00:00"


def test_commit_ids_are_reproducible_with_a_fixed_date(tmp_path):
    ids = []
    for name in ("a", "b"):
        repo = init_repo(tmp_path / name)
        (repo / "train.py").write_text("print('hi')\n")
        ids.append(commit_all(repo, "Add training script", fixed_date=DATE))
    assert ids[0] == ids[1] and len(ids[0]) == 40


def test_clean_dirty_and_log(tmp_path):
    repo = init_repo(tmp_path)
    (repo / "a.txt").write_text("1")
    first = commit_all(repo, "first")
    assert is_clean(repo)
    (repo / "a.txt").write_text("2")
    assert not is_clean(repo)
    second = commit_all(repo, "second")
    assert second != first and head_commit(repo) == second
    assert [line.split(" ", 1)[1] for line in short_log(repo)] == ["second", "first"]


def test_git_errors_are_clear(tmp_path):
    with pytest.raises(GitError, match="does not exist"):
        head_commit(tmp_path / "missing")
    with pytest.raises(GitError, match="rev-parse"):
        head_commit(init_repo(tmp_path / "empty"))
    with pytest.raises(ValueError, match="message"):
        commit_all(tmp_path, "  ")


def test_lineage_tags_validate_their_inputs():
    commit = "a" * 40
    assert lineage_tags(commit, "fp", environment="prod") == {
        "git_commit": commit,
        "data_fingerprint": "fp",
        "environment": "prod",
    }
    with pytest.raises(ValueError, match="40-character"):
        lineage_tags("abc123", "fp")
    with pytest.raises(ValueError, match="data_fingerprint"):
        lineage_tags(commit, "")


def test_trace_model_reads_the_tags_of_the_alias():
    version = SimpleNamespace(version="3", run_id="r1", tags={"git_commit": "c" * 40})
    client = SimpleNamespace(get_model_version_by_alias=lambda name, alias: version)
    traced = trace_model(client, "m", "champion")
    assert traced["version"] == "3" and traced["git_commit"] == "c" * 40
    assert traced["data_fingerprint"] == "<missing>"
