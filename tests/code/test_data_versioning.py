"""Real git and dvc commands: a data file goes into DVC, changes, and comes back from a past commit."""

from __future__ import annotations

from pathlib import Path

import pytest

from mlops_course.cicd import data_versioning


def test_only_git_and_dvc_commands_in_an_existing_folder(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="'git' or 'dvc'"):
        data_versioning.run(tmp_path, "rm -rf data")
    with pytest.raises(ValueError, match="not a folder"):
        data_versioning.run(tmp_path / "missing", "git status")
    with pytest.raises(data_versioning.CommandError, match="git status failed"):
        data_versioning.run(tmp_path, "git status")  # not a repository


def test_push_change_and_go_back_to_a_past_commit(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    repo = tmp_path / "data-registry"
    repo.mkdir()
    data_versioning.show(
        repo,
        "git init -q --initial-branch=main",
        "git config user.name 'Test Learner'",
        "git config user.email learner@example.com",
        "dvc init -q",
        "dvc remote add -d storage ../remote",
    )
    data = repo / "rows.csv"
    data.write_text("id,value\n1,10\n")
    data_versioning.show(
        repo,
        "dvc add -q rows.csv",
        "git add .dvc .dvcignore rows.csv.dvc .gitignore",
        "git commit -q -m 'first rows'",
        "dvc push -q",
        fixed_date="2024-06-03T10:00:00+00:00",
    )
    first = data_versioning.run(repo, "git rev-parse HEAD")
    assert any((tmp_path / "remote").rglob("*")), "dvc push copied the data into the remote folder"
    assert "rows.csv" not in data_versioning.run(repo, "git ls-files").split(), "Git versions the pointer, not the data"

    data.write_text("id,value\n1,10\n2,20\n")
    data_versioning.show(repo, "dvc add -q rows.csv", "git commit -q -am 'more rows'")
    data_versioning.show(repo, f"git checkout -q {first}", "dvc checkout -q")
    assert data.read_text() == "id,value\n1,10\n"
    assert "$ dvc checkout -q" in capsys.readouterr().out
