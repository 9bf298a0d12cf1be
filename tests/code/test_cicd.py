"""Unit tests of mlops_course.cicd: schema checks, job order, the local runner, the gate, the lint stage (ruff), planted bugs."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

from mlops_course import cicd
from mlops_course.data import generate_applications
from mlops_course.models import train_credit_model


@pytest.fixture(scope="module")
def project(tmp_path_factory):
    return cicd.write_sample_project(tmp_path_factory.mktemp("project") / "credit")


def test_bundled_ci_files_are_valid_and_share_the_stages(project):
    assert cicd.validate_ci_file(project / ".gitlab-ci.yml", "gitlab") == []
    assert cicd.validate_ci_file(project / ".github" / "workflows" / "ci.yml", "github") == []
    gitlab = [job.stage for job in cicd.ci_jobs(project / ".gitlab-ci.yml", "gitlab")]
    github = [job.name for job in cicd.ci_jobs(project / ".github" / "workflows" / "ci.yml", "github")]
    jenkins = cicd.jenkins_stages((project / "Jenkinsfile").read_text())
    assert gitlab == github == jenkins == list(cicd.ML_STAGES)


def test_schema_errors_are_reported(tmp_path):
    broken = tmp_path / "ci.yml"
    broken.write_text("stages: [test]\nunit:\n  stage: test\n  script: 42\n")
    errors = cicd.validate_ci_file(broken, "gitlab")
    assert errors and any("unit" in error for error in errors)
    with pytest.raises(ValueError, match="kind"):
        cicd.validate_ci_file(broken, "circleci")


def test_gitlab_jobs_follow_stages_not_file_order():
    ci = {
        "stages": ["a", "b"],
        "late": {"stage": "b", "script": "echo b"},
        "early": {"stage": "a", "script": ["echo a"]},
        ".template": {"script": "x"},
        "variables": {"X": 1},
    }
    jobs = cicd.ci_jobs(ci, "gitlab")
    assert [j.name for j in jobs] == ["early", "late"] and jobs[0].variables == {"X": "1"}
    with pytest.raises(ValueError, match="not in stages"):
        cicd.ci_jobs({"stages": ["a"], "j": {"stage": "z", "script": "true"}}, "gitlab")


def test_github_jobs_follow_needs_and_cycles_are_reported():
    ci = {
        "jobs": {"b": {"needs": "a", "steps": [{"run": "echo b"}]}, "a": {"steps": [{"uses": "x"}, {"run": "echo a"}]}}
    }
    jobs = cicd.ci_jobs(ci, "github")
    assert [j.name for j in jobs] == ["a", "b"] and jobs[0].commands == ("echo a",)
    with pytest.raises(ValueError, match="each other in a cycle"):
        cicd.ci_jobs({"jobs": {"a": {"needs": "b"}, "b": {"needs": "a"}}}, "github")


def test_local_run_stops_at_the_first_failure(tmp_path):
    ci = {
        "stages": ["one", "two", "three"],
        "first": {
            "stage": "one",
            "variables": {"GREETING": "hello"},
            "script": ["python -c \"import os; print(os.environ['GREETING'])\""],
        },
        "optional": {"stage": "two", "allow_failure": True, "script": ['python -c "raise SystemExit(3)"']},
        "gate": {"stage": "two", "script": ['python -c "raise SystemExit(1)"']},
        "deploy": {"stage": "three", "script": ["echo deployed"]},
    }
    run = cicd.run_ci_locally(ci, tmp_path, "gitlab")
    assert [j.status for j in run.jobs] == ["passed", "allowed_failure", "failed", "skipped"]
    assert run.jobs[0].last_lines() == "hello" and not run.passed
    assert run.status("deploy") == "skipped"
    with pytest.raises(KeyError):
        run.status("nope")


def test_quality_gate():
    assert cicd.quality_gate({"roc_auc": 0.75}, None, 0.7, 0.02).passed
    floor = cicd.quality_gate({"roc_auc": 0.69}, None, 0.7, 0.02)
    assert not floor.passed and "floor" in floor.reasons[0]
    drop = cicd.quality_gate({"roc_auc": 0.72}, {"roc_auc": 0.75}, 0.7, 0.02)
    assert not drop.passed and "champion" in drop.reasons[0]
    with pytest.raises(ValueError, match="roc_auc"):
        cicd.quality_gate({"auc": 0.9}, None, 0.7, 0.02)


def _ruff(*paths, cwd):
    return subprocess.run(
        [sys.executable, "-m", "ruff", "check", "--no-cache", *map(str, paths)],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_the_sample_projects_lint_stage_finds_real_problems(tmp_path):
    project = cicd.write_sample_project(tmp_path / "credit", include_ci=False)
    (project / "credit_project" / "bad.py").write_text(
        "import sys\nfrom math import *\ntry:\n    pass\nexcept:\n    pass\n"
    )
    done = _ruff("credit_project", "tests", cwd=project)
    assert done.returncode == 1
    assert "F401" in done.stdout and "F403" in done.stdout and "E722" in done.stdout, done.stdout


def test_sample_project_and_change(project, tmp_path):
    assert _ruff("credit_project", "tests", cwd=project).returncode == 0
    features = (project / "credit_project" / "features.py").read_text()
    copy = cicd.write_sample_project(tmp_path / "copy", include_ci=False, model_name="ex3-model")
    assert not (copy / ".gitlab-ci.yml").exists() and "ex3-model" in (copy / "config" / "base.yaml").read_text()
    message = cicd.apply_change(copy, "drop_risk_features")
    assert "debt_to_income" not in (copy / "credit_project" / "features.py").read_text() and message
    assert "debt_to_income" in features
    with pytest.raises(ValueError, match="does not apply"):
        cicd.apply_change(copy, "drop_risk_features")
    with pytest.raises(ValueError, match="not empty"):
        cicd.write_sample_project(copy)


def test_planted_bugs_change_what_they_promise():
    frame = generate_applications(1500, seed=2)
    model = train_credit_model(frame)
    good = model.predict_proba(frame)[:, 1]
    moved = frame.assign(source="broker_beta")
    assert not np.allclose(cicd.BuggedModel(model, "source_leak").predict_proba(moved)[:, 1], good)
    better = frame.assign(credit_score=frame["credit_score"] + 50)
    flipped = cicd.BuggedModel(model, "credit_score_flipped")
    assert (flipped.predict_proba(better)[:, 1] > flipped.predict_proba(frame)[:, 1]).all()
    assert np.ptp(cicd.BuggedModel(model, "constant").predict_proba(frame)[:, 1]) == 0
    assert cicd.planted_bug_data(frame, "duplicates")["application_id"].duplicated().any()
    assert "yearly_income" in cicd.planted_bug_data(frame, "renamed_column").columns
    assert cicd.planted_bug_data(frame, "nulls")["annual_income"].isna().any()
    with pytest.raises(ValueError, match="unknown"):
        cicd.BuggedModel(model, "typo")


def test_a_command_that_hangs_is_stopped(tmp_path):
    ci = {"stages": ["slow"], "sleepy": {"stage": "slow", "script": ['python -c "import time; time.sleep(30)"']}}
    run = cicd.run_ci_locally(ci, tmp_path, "gitlab", timeout_s=1)
    assert run.jobs[0].status == "failed" and run.jobs[0].returncode == 124 and "timed out" in run.jobs[0].errors
