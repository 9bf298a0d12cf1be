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


def test_extends_merges_mappings_and_replaces_lists():
    ci = {
        "stages": ["build", "deploy"],
        "variables": {"LEVEL": "global", "KEEP": "yes"},
        ".base": {"stage": "build", "variables": {"A": "1", "B": "1"}, "script": ["echo base"], "tags": ["x"]},
        ".more": {"extends": ".base", "variables": {"B": "2"}, "allow_failure": True},
        "job": {"extends": [".more"], "variables": {"C": "3", "LEVEL": "job"}, "script": "echo job", "tags": None},
        "other": {"extends": "job", "stage": "deploy"},
    }
    job, other = cicd.ci_jobs(ci, "gitlab")
    assert job.variables == {"LEVEL": "job", "KEEP": "yes", "A": "1", "B": "2", "C": "3"}
    assert job.commands == ("echo job",) and job.allow_failure and "tags" not in job.spec
    assert other.stage == "deploy" and other.variables == job.variables
    with pytest.raises(ValueError, match="not a job"):
        cicd.ci_jobs({"j": {"extends": ".missing", "script": "true"}}, "gitlab")
    with pytest.raises(ValueError, match="cycle"):
        cicd.ci_jobs(
            {".a": {"extends": ".b"}, ".b": {"extends": ".a"}, "j": {"extends": ".a", "script": "x"}}, "gitlab"
        )
    with pytest.raises(ValueError, match="only"):
        cicd.ci_jobs({"j": {"only": ["main"], "script": "true"}}, "gitlab")


def test_default_before_script_and_inherit():
    ci = {
        "default": {"before_script": ["export FROM=default"]},
        "a": {"script": "true"},
        "b": {"before_script": "export FROM=job", "script": "true"},
        "c": {"inherit": {"default": False}, "script": "true"},
    }
    a, b, c = cicd.ci_jobs(ci, "gitlab")
    assert a.before_script == ("export FROM=default",) and b.before_script == ("export FROM=job",)
    assert c.before_script == ()


def _echo(text):
    return f"python -c \"print('{text}')\""


def test_needs_waits_only_for_the_named_jobs(tmp_path):
    ci = {
        "stages": ["build", "check", "ship"],
        "build": {"stage": "build", "script": _echo("built")},
        "gate": {"stage": "check", "script": "exit 1"},
        "ship_early": {"stage": "ship", "needs": ["build"], "script": _echo("shipped")},
        "ship_late": {"stage": "ship", "script": _echo("late")},
        "after_gate": {"stage": "ship", "needs": ["gate"], "script": "true"},
        "report": {"stage": "ship", "when": "on_failure", "script": _echo("report")},
        "cleanup": {"stage": ".post", "when": "always", "script": "true"},
    }
    run = cicd.run_ci_locally(ci, tmp_path, "gitlab")
    statuses = {job.name: job.status for job in run.jobs}
    assert statuses == {
        "build": "passed",
        "gate": "failed",
        "ship_early": "passed",
        "ship_late": "skipped",
        "after_gate": "skipped",
        "report": "passed",
        "cleanup": "passed",
    }
    assert not run.passed
    with pytest.raises(ValueError, match="not in the pipeline"):
        cicd.run_ci_locally({"j": {"needs": ["ghost"], "script": "true"}}, tmp_path, "gitlab")


def test_rules_decide_whether_a_job_runs(tmp_path):
    ci = {
        "variables": {"TARGET": "prod"},
        "deploy": {
            "script": "echo $TARGET-$EXTRA",
            "rules": [
                {"if": "$FREEZE", "when": "never"},
                {"if": "$CI_COMMIT_BRANCH == $CI_DEFAULT_BRANCH && $TARGET =~ /^pr/", "variables": {"EXTRA": "x"}},
                {"if": '$CI_COMMIT_BRANCH != "main"', "when": "manual"},
            ],
        },
        "always_here": {"script": "true"},
    }
    on_main = cicd.run_ci_locally(ci, tmp_path, "gitlab", env={"CI_COMMIT_BRANCH": "main"})
    assert on_main.status("deploy") == "passed" and on_main.job("deploy").last_lines() == "prod-x"
    frozen = cicd.run_ci_locally(ci, tmp_path, "gitlab", env={"CI_COMMIT_BRANCH": "main", "FREEZE": "1"})
    assert [job.name for job in frozen.jobs] == ["always_here"]
    branch = cicd.run_ci_locally(ci, tmp_path, "gitlab", env={"CI_COMMIT_BRANCH": "feature"})
    assert branch.status("deploy") == "manual" and branch.passed
    with pytest.raises(ValueError, match="changes"):
        cicd.run_ci_locally({"j": {"script": "true", "rules": [{"changes": ["x"]}]}}, tmp_path, "gitlab")
    with pytest.raises(ValueError, match="cannot read"):
        cicd.run_ci_locally({"j": {"script": "true", "rules": [{"if": "$A = 1"}]}}, tmp_path, "gitlab")


def test_before_script_runs_in_the_jobs_shell_and_installs_are_left_out(tmp_path):
    ci = {
        "default": {"before_script": ["pip install --quiet -e .", "export GREETING=hi", "cd sub"]},
        "variables": {"TOKEN_COPY": "$CREDIT_API_TOKEN", "CREDIT_API_TOKEN": "$CREDIT_API_TOKEN"},
        "job": {
            "script": [
                "python -c \"import os; print(os.environ['GREETING'], os.getcwd().endswith('sub'))\"",
                "echo $TOKEN_COPY $CREDIT_API_TOKEN",
            ],
            "after_script": ["echo after $CI_JOB_STATUS", "exit 3"],
        },
        "broken": {"before_script": ["false"], "script": "echo never"},
    }
    (tmp_path / "sub").mkdir()
    run = cicd.run_ci_locally(ci, tmp_path, "gitlab", env={"CREDIT_API_TOKEN": "s3"})
    assert run.job("job").output.split() == ["hi", "True", "s3", "s3", "after", "success"]
    assert run.status("job") == "passed" and run.status("broken") == "failed"
    assert "never" not in run.job("broken").output


def test_jenkinsfile_structure_and_credentials(project):
    from mlops_course.cicd.jenkinsfile import check_jenkinsfile, credentials_id, parse_jenkinsfile, string_value

    text = (project / "Jenkinsfile").read_text()
    pipeline = parse_jenkinsfile(text)
    assert [stage.name for stage in pipeline.all_stages()] == list(cicd.ML_STAGES)
    register = pipeline.environment_for("register")
    assert string_value(register["CREDIT_ENV"]) == "prod" and credentials_id(register["CREDIT_API_TOKEN"])
    assert pipeline.stage("test").commands == ("python -m pytest -q",) and "always" in pipeline.post
    literal = text.replace("credentials('credit-api-token')", "'abc123'")
    assert any("CREDIT_API_TOKEN" in problem for problem in check_jenkinsfile(literal))
    nested = """
    pipeline {
        agent any
        options { timeout(time: 30, unit: 'MINUTES') }
        stages {
            stage('checks') {
                parallel {
                    stage('lint') { steps { sh(script: "ruff check .") } }
                    stage('test') { steps { script { if (true) { sh '''python -m pytest -q''' } } } }
                }
            }
        }
    }"""
    tree = parse_jenkinsfile(nested)
    assert [s.name for s in tree.all_stages()] == ["checks", "lint", "test"]
    assert tree.stage("lint").commands == ("ruff check .",) and tree.stage("test").commands == ("python -m pytest -q",)
    broken = {
        "no agent": "pipeline { stages { stage('a') { steps { sh 'x' } } } }",
        "no steps": "pipeline { agent any\n stages { stage('a') { } } }",
        "two bodies": "pipeline { agent any\n stages { stage('a') { steps { sh 'x' }\n stages { } } } }",
        "unknown section": "pipeline { agent any\n stages { stage('a') { steps { sh 'x' } } }\n deploy { } }",
        "bad post": "pipeline { agent any\n stages { stage('a') { steps { sh 'x' } } }\n post { sometimes { echo 'x' } } }",
        "unclosed": "pipeline { agent any\n stages { stage('a') { steps { sh 'x' } } }",
        "scripted": "node { stage('a') { sh 'x' } }",
        "duplicate": "pipeline { agent any\n stages { stage('a') { steps { sh 'x' } }\n stage('a') { steps { sh 'y' } } } }",
    }
    for why, text in broken.items():
        assert check_jenkinsfile(text), why


def test_rehearsal_project_records_what_each_stage_saw(tmp_path):
    from mlops_course.cicd.local_runner import rehearsal_log, write_rehearsal_project

    ci = (cicd.write_sample_project(tmp_path / "real") / ".gitlab-ci.yml").read_text()
    good = write_rehearsal_project(tmp_path / "good")
    run = cicd.run_ci_locally(ci, good, "gitlab", env={"CREDIT_API_TOKEN": "t", "CI_COMMIT_BRANCH": "main"})
    assert run.passed and [entry["stage"] for entry in rehearsal_log(good)] == ["test", "train", "evaluate", "register"]
    assert rehearsal_log(good)[-1] == {"stage": "register", "CREDIT_ENV": "prod", "token": True, "branch": "main"}
    gated = write_rehearsal_project(tmp_path / "gated", fail=("evaluate",))
    run = cicd.run_ci_locally(ci, gated, "gitlab", env={"CI_COMMIT_BRANCH": "main"})
    assert run.status("evaluate") == "failed" and run.status("register") == "skipped"
    linted = write_rehearsal_project(tmp_path / "linted", fail=("lint",))
    assert cicd.run_ci_locally(ci, linted, "gitlab").status("lint") == "failed" and rehearsal_log(linted) == []
    with pytest.raises(ValueError, match="fail"):
        write_rehearsal_project(tmp_path / "x", fail=("deploy",))


def test_evaluation_metrics():
    from mlops_course.cicd.gate import evaluation_metrics

    frame = generate_applications(1500, seed=2)
    model = train_credit_model(frame)
    good = evaluation_metrics(model, frame)
    assert set(good) == {"roc_auc", "brier", "worst_partner_auc"} and good["worst_partner_auc"] <= good["roc_auc"] + 0.1
    bad = evaluation_metrics(cicd.BuggedModel(model, "inverted"), frame)
    assert bad["roc_auc"] < 0.5 < good["roc_auc"] and bad["brier"] > good["brier"]
    with pytest.raises(ValueError, match="frame"):
        evaluation_metrics(model, frame.drop(columns=["defaulted"]))


def test_ci_secrets_ignore_references_and_find_values():
    from mlops_course.cicd.ci_files import ci_secrets

    ci = {
        "variables": {"CREDIT_API_TOKEN": "$CREDIT_API_TOKEN", "DB_PASSWORD": "${DB_PASSWORD}"},
        "deploy": {"script": ["export API_KEY=abc123", 'curl -H "x: $TOKEN"'], "variables": {"X_TOKEN": "s3cr3t"}},
    }
    assert ci_secrets(ci) == ["deploy: API_KEY", "deploy: X_TOKEN"]


def test_jenkins_when_all_of_is_flattened():
    from mlops_course.cicd.jenkinsfile import parse_jenkinsfile

    text = """pipeline { agent any
      stages { stage('r') {
        when { allOf { branch 'main'; not { changeRequest() } } }
        steps { sh 'x' } } } }"""
    assert parse_jenkinsfile(text).stage("r").when == ("branch 'main'", "not")
