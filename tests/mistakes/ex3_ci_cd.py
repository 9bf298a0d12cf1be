"""Exercise 3 (CI/CD): plausible mistakes and correct alternatives, written from the task text.

Variants are the reference cell with one misreading applied (``_swap`` fails loudly if the
reference changed so the misreading no longer applies), or a whole cell written another way.
"""

from __future__ import annotations

from typing import Any

from mistakes import mutate
from mlops_course.cicd.sample_project import write_sample_project

STEM = "ex3_ci_cd"

TASKS = {
    "gitlab": ["ci_solution"],
    "jenkins": ["jenkins_solution"],
    "config": ["config_solution"],
    "ml_tests": ["checks_solution"],
    "gate": ["gate_solution"],
    "register": ["register_solution"],
}


def _module4_gitlab_ci() -> str:
    import tempfile
    from pathlib import Path

    with tempfile.TemporaryDirectory() as folder:
        return (write_sample_project(Path(folder) / "p") / ".gitlab-ci.yml").read_text()


def _module4_jenkinsfile() -> str:
    import tempfile
    from pathlib import Path

    with tempfile.TemporaryDirectory() as folder:
        return (write_sample_project(Path(folder) / "p") / "Jenkinsfile").read_text()


def _text_cell(name: str, text: str) -> str:
    return f'{name} = """\n{text}"""\n'


GITLAB_WITHOUT_EXTENDS = '''GITLAB_CI = """
stages:
  - lint
  - test
  - train
  - evaluate
  - register

default:
  image: python:3.11-slim
  before_script:
    - pip install --quiet -e .

variables:
  CREDIT_ENV: "staging"

lint:
  stage: lint
  script: ruff check credit_project tests

test:
  stage: test
  needs: [lint]
  script:
    - python -m pytest -q

train:
  stage: train
  needs: [test]
  script:
    - python -m credit_project.train
  artifacts:
    paths:
      - artifacts/

evaluate:
  stage: evaluate
  needs: [train]
  script:
    - python -m credit_project.evaluate
  artifacts:
    when: always
    paths:
      - artifacts/model.pkl
      - artifacts/
  allow_failure: false

register:
  stage: register
  needs: [evaluate]
  variables:
    CREDIT_ENV: "prod"
    CREDIT_API_TOKEN: $CREDIT_API_TOKEN
  rules:
    - if: '$CI_COMMIT_BRANCH == $CI_DEFAULT_BRANCH && $FREEZE_DEPLOYS == null'
  script:
    - echo "deploying $CI_COMMIT_SHA"
    - python -m credit_project.register
"""
'''

GITLAB_WORKFLOW_STYLE = '''GITLAB_CI = """
stages: [lint, test, train, evaluate, register, notify]

variables:
  CREDIT_ENV: staging

.python:
  before_script:
    - python -m pip install -e .
    - export PYTHONHASHSEED=0

.staging:
  extends: .python
  variables: {CREDIT_ENV: staging}

.production:
  extends: .python
  variables: {CREDIT_ENV: prod}

lint-code:
  extends: .staging
  stage: lint
  script: ruff check credit_project tests

unit-and-model-tests:
  extends: .staging
  stage: test
  script: python -m pytest -q

train-model:
  extends: .staging
  stage: train
  script: python -m credit_project.train

gate:
  extends: .staging
  stage: evaluate
  script: python -m credit_project.evaluate
  artifacts:
    paths: [artifacts/*]
    when: always

deploy:
  extends: .production
  stage: register
  rules:
    - if: $CI_COMMIT_BRANCH != $CI_DEFAULT_BRANCH
      when: never
    - if: $FREEZE_DEPLOYS
      when: never
    - when: on_success
  script: python -m credit_project.register

announce-failure:
  stage: notify
  when: on_failure
  script: echo "pipeline failed"
"""
'''

JENKINS_MULTILINE = '''JENKINSFILE = """
pipeline {
    agent {
        docker { image 'python:3.11-slim' }
    }
    options {
        timeout(time: 1800, unit: 'SECONDS')
    }
    environment {
        CREDIT_ENV = "staging"
        MLFLOW_TRACKING_URI = credentials('mlflow-tracking-uri')
    }
    stages {
        stage('lint') {
            steps {
                sh 'pip install --quiet -e .'
                sh(script: 'ruff check credit_project tests')
            }
        }
        stage('test') {
            steps {
                sh script: 'python -m pytest -q', label: 'tests'
            }
        }
        stage('train') {
            steps {
                sh \\'\\'\\'
                    python -m credit_project.train
                \\'\\'\\'
            }
        }
        stage('evaluate') {
            steps {
                script {
                    sh 'python -m credit_project.evaluate'
                }
            }
        }
        stage('register') {
            when {
                allOf {
                    branch 'main'
                    not { changeRequest() }
                }
            }
            environment {
                CREDIT_ENV = "prod"
                CREDIT_API_TOKEN = credentials("credit-api-token")
            }
            steps {
                sh 'python -m credit_project.register'
            }
        }
    }
    post {
        always {
            archiveArtifacts artifacts: 'artifacts/**'
        }
        cleanup {
            deleteDir()
        }
    }
}
"""
'''

CONFIG_FLOW = '''PROD_OVERRIDE = """
{serving: {replicas: 4, log_level: WARNING, require_token: yes, api_token_env: CREDIT_PROD_TOKEN},
 gate: {min_roc_auc: 0.72, max_roc_auc_drop: 0.02}}
"""
'''

CHECKS_OTHER_STYLE = '''def check_data_contract(frame):
    """Raise AssertionError if `frame` breaks the lender's data contract."""
    columns = set(frame.columns)
    for column in [ID_COLUMN, *FEATURES, TARGET]:
        assert column in columns, f"column {column} is missing"
    for column in FEATURES:
        assert frame[column].notna().all(), f"{column} has missing values"
    for column, (low, high) in VALID_RANGES.items():
        assert frame[column].min() >= low and frame[column].max() <= high, f"{column} leaves [{low}, {high}]"
    for column, allowed in CATEGORIES.items():
        assert frame[column].isin(list(allowed)).all(), f"{column} has values outside {allowed}"
    assert frame[ID_COLUMN].is_unique, "application ids repeat"
    assert frame[TARGET].isin([0, 1]).all(), "the target must be 0 or 1"


def check_invariance(model, frame):
    """Raise AssertionError if moving applications to another partner changes a prediction."""
    base = model.predict_proba(frame.copy())[:, 1]
    for partner in SOURCES:
        moved = frame.copy()
        moved["source"] = partner
        moved["channel"] = SOURCES[partner]
        assert np.allclose(model.predict_proba(moved)[:, 1], base, rtol=0, atol=1e-6), f"{partner} changes predictions"


def check_directional(model, frame):
    """Raise AssertionError if a better credit score raises risk or more debt lowers it."""
    base = model.predict_proba(frame)[:, 1]
    score_up = frame.copy()
    score_up["credit_score"] += 50
    assert np.all(model.predict_proba(score_up)[:, 1] - base <= 1e-9), "a higher credit score raised a risk"
    debt_up = frame.copy()
    debt_up["debt_to_income"] += 0.1
    assert np.all(base - model.predict_proba(debt_up)[:, 1] <= 1e-9), "more debt lowered a risk"


def check_minimum_functionality(model, frame):
    """Raise AssertionError if the model ranks poorly or gets an obvious case wrong."""
    from sklearn.metrics import roc_auc_score

    assert roc_auc_score(frame[TARGET], model.predict_proba(frame)[:, 1]) >= 0.65, "ROC AUC under 0.65"
    pair = pd.concat([frame.iloc[[0]], frame.iloc[[0]]], ignore_index=True)
    pair.loc[0, ["credit_score", "debt_to_income", "employment_type"]] = [450, 0.9, "unemployed"]
    pair.loc[1, ["credit_score", "debt_to_income", "employment_type"]] = [820, 0.1, "salaried"]
    risky, safe = model.predict_proba(pair)[:, 1]
    assert risky > safe, "the obviously risky applicant does not score above the safe one"
'''

GATE_RELATIVE = '''def may_replace(candidate, champion):
    """True if `candidate` (metrics) may replace `champion` (metrics, or None)."""
    keys = ("roc_auc", "brier", "worst_partner_auc")
    try:
        auc, brier, partner = (float(candidate[key]) for key in keys)
    except (KeyError, TypeError, ValueError):
        return False
    if not all(np.isfinite([auc, brier, partner])):
        return False
    reasons = []
    if auc < 0.65:
        reasons.append("below the floor")
    if partner < 0.60:
        reasons.append("a partner below 0.60")
    if champion is not None:
        if auc < champion["roc_auc"] - 0.015:
            reasons.append("ranks worse")
        if brier > champion["brier"] * 1.1:
            reasons.append("worse calibrated")
        if partner < champion["worst_partner_auc"] - 0.05:
            reasons.append("a partner got worse")
    return len(reasons) == 0
'''

REGISTER_WITH_GIT = '''def register_candidate(model, repo, frame, name, alias="champion"):
    """Register `model` under `name`, tagged with `repo`'s commit and `frame`'s fingerprint."""
    if versioning.git(repo, "status", "--porcelain").strip():
        raise ValueError("the repository has uncommitted changes; commit before registering")
    commit = versioning.git(repo, "rev-parse", "HEAD").strip()
    tags = {"git_commit": commit, "data_fingerprint": dataset_fingerprint(frame)}
    client = mlflow.MlflowClient()
    if not client.search_registered_models(filter_string=f"name = '{name}'"):
        client.create_registered_model(name)
    with mlflow.start_run() as run:
        info = mlflow.sklearn.log_model(
            model, name="model", pip_requirements=["scikit-learn"], skops_trusted_types=["numpy.dtype"]
        )
    version = client.create_model_version(name, info.model_uri, run.info.run_id, tags=tags, model_id=info.model_id)
    client.set_registered_model_alias(name, alias, version.version)
    return client.get_model_version(name, version.version)
'''

ALTERNATIVES: list[dict[str, Any]] = [
    {
        "name": "gitlab-without-extends",
        "why": "jobs named by stage, settings in default, needs chain, one rule with && and == null, token by reference",
        "cells": {"ci_solution": GITLAB_WITHOUT_EXTENDS},
    },
    {
        "name": "gitlab-extends-layers",
        "why": "two layers of hidden jobs (variables merged through extends), never-rules first, an on_failure job",
        "cells": {"ci_solution": GITLAB_WORKFLOW_STYLE},
    },
    {
        "name": "jenkins-multiline",
        "why": "docker agent, timeout in seconds, sh(script:), triple quotes, script block, allOf when, cleanup post",
        "cells": {"jenkins_solution": JENKINS_MULTILINE},
    },
    {
        "name": "config-flow-style",
        "why": "one flow mapping, yes for true, restates the base's max_roc_auc_drop",
        "cells": {"config_solution": CONFIG_FLOW},
    },
    {
        "name": "checks-other-style",
        "why": "column-wise asserts, np.allclose, copies instead of assign, a two-row frame for the obvious cases",
        "cells": {"checks_solution": CHECKS_OTHER_STYLE},
    },
    {
        "name": "gate-relative-brier",
        "why": "reasons list, a relative brier tolerance (10 %), 0.015 and 0.05 absolute tolerances",
        "cells": {"gate_solution": GATE_RELATIVE},
    },
    {
        "name": "register-with-git",
        "why": "raw git calls, search_registered_models, returns the stored version",
        "cells": {"register_solution": REGISTER_WITH_GIT},
    },
]

MISTAKES: list[dict[str, Any]] = [
    # task 1: GitLab
    {
        "name": "gitlab-register-needs-train",
        "why": "needs: [train] so register starts as soon as the model is trained: on GitLab it skips the gate",
        "cells": mutate(STEM, "ci_solution", ("  stage: register\n", "  stage: register\n  needs: [fit]\n")),
        "fails": ["test_ci_rehearsal"],
    },
    {
        "name": "gitlab-module4-pasted",
        "why": "the pipeline module 4 prints: no freeze rule, artifacts not kept when the gate fails",
        "cells": {"ci_solution": _text_cell("GITLAB_CI", _module4_gitlab_ci())},
        "fails": ["test_ci_stages", "test_ci_rehearsal_hidden"],
    },
    {
        "name": "gitlab-freeze-equals-true",
        "why": "reads 'set' as 'set to true': FREEZE_DEPLOYS=holidays does not freeze",
        "cells": mutate(STEM, "ci_solution", ("- if: $FREEZE_DEPLOYS ", "- if: $FREEZE_DEPLOYS == 'true' ")),
        "fails": ["test_ci_rehearsal_hidden"],
    },
    {
        "name": "gitlab-register-when-always",
        "why": "when: always to make sure register runs on main: it also runs after a failed gate",
        "cells": mutate(
            STEM,
            "ci_solution",
            (
                "    - if: $CI_COMMIT_BRANCH == $CI_DEFAULT_BRANCH\n",
                "    - if: $CI_COMMIT_BRANCH == $CI_DEFAULT_BRANCH\n      when: always\n",
            ),
        ),
        "fails": ["test_ci_rehearsal"],
    },
    {
        "name": "gitlab-no-branch-rule",
        "why": "only the freeze rule: register also deploys from feature branches",
        "cells": mutate(
            STEM,
            "ci_solution",
            ("    - if: $CI_COMMIT_BRANCH == $CI_DEFAULT_BRANCH\n", "    - when: on_success\n"),
        ),
        "fails": ["test_ci_rehearsal_hidden"],
    },
    {
        "name": "gitlab-prod-in-template",
        "why": "CREDIT_ENV: prod set in the hidden template every job extends, instead of the register job",
        "cells": mutate(
            STEM,
            "ci_solution",
            ("  variables: {CREDIT_ENV: prod}\n", ""),
            ("  interruptible: true\n", "  interruptible: true\n  variables: {CREDIT_ENV: prod}\n"),
        ),
        "fails": ["test_ci_rehearsal"],
    },
    {
        "name": "gitlab-token-value",
        "why": "writes the token's value into the file's variables",
        "cells": mutate(
            STEM,
            "ci_solution",
            ("  CREDIT_ENV: staging\n", "  CREDIT_ENV: staging\n  CREDIT_API_TOKEN: token-from-the-ci-secret-store\n"),
        ),
        "fails": ["test_ci_stages"],
    },
    {
        "name": "gitlab-gate-allowed-to-fail",
        "why": "allow_failure on evaluate so a bad model does not make the pipeline red",
        "cells": mutate(STEM, "ci_solution", ("  stage: evaluate\n", "  stage: evaluate\n  allow_failure: true\n")),
        "fails": ["test_ci_stages"],
    },
    # task 2: Jenkins
    {
        "name": "jenkins-token-literal",
        "why": "the token's value in the register stage's environment",
        "cells": mutate(
            STEM, "jenkins_solution", ("credentials('credit-api-token')", "'token-from-the-ci-secret-store'")
        ),
        "fails": ["test_jenkins"],
    },
    {
        "name": "jenkins-token-for-all-stages",
        "why": "credentials() in the pipeline's environment: every stage can read the production token",
        "cells": mutate(
            STEM,
            "jenkins_solution",
            ("                CREDIT_API_TOKEN = credentials('credit-api-token')\n", ""),
            (
                "    environment { CREDIT_ENV = 'staging' }",
                "    environment {\n        CREDIT_ENV = 'staging'\n        CREDIT_API_TOKEN = credentials('credit-api-token')\n    }",
            ),
        ),
        "fails": ["test_jenkins_hidden"],
    },
    {
        "name": "jenkins-scripted",
        "why": "a scripted pipeline (node { }) instead of a declarative one",
        "cells": {
            "jenkins_solution": _text_cell(
                "JENKINSFILE",
                "node {\n"
                "    withEnv(['CREDIT_ENV=staging']) {\n"
                "        stage('lint') { sh 'ruff check credit_project tests' }\n"
                "        stage('test') { sh 'python -m pytest -q' }\n"
                "        stage('train') { sh 'python -m credit_project.train' }\n"
                "        stage('evaluate') { sh 'python -m credit_project.evaluate' }\n"
                "    }\n"
                "    stage('register') {\n"
                "        withCredentials([string(credentialsId: 'credit-api-token', variable: 'CREDIT_API_TOKEN')]) {\n"
                "            withEnv(['CREDIT_ENV=prod']) { sh 'python -m credit_project.register' }\n"
                "        }\n"
                "    }\n"
                "}\n",
            )
        },
        "fails": ["test_jenkins"],
    },
    {
        "name": "jenkins-archive-on-success",
        "why": "archives artifacts only when the build passed, so a failed gate leaves no evidence",
        "cells": mutate(
            STEM, "jenkins_solution", ("        always { archiveArtifacts", "        success { archiveArtifacts")
        ),
        "fails": ["test_jenkins_hidden"],
    },
    {
        "name": "jenkins-module4-pasted",
        "why": "the Jenkinsfile module 4 shows: no timeout",
        "cells": {"jenkins_solution": _text_cell("JENKINSFILE", _module4_jenkinsfile())},
        "fails": ["test_jenkins_hidden"],
    },
    # task 3: configuration
    {
        "name": "config-token-value",
        "why": "puts the token itself in prod.yaml",
        "cells": mutate(STEM, "config_solution", ("  replicas: 4\n", "  replicas: 4\n  api_token: prod-secret-123\n")),
        "fails": ["test_config"],
    },
    {
        "name": "config-token-not-required",
        "why": "names the variable but does not require it: production starts without a token",
        "cells": mutate(
            STEM, "config_solution", ("  require_token: true                # refuse to start without the token\n", "")
        ),
        "fails": ["test_config"],
    },
    {
        "name": "config-default-token-variable",
        "why": "keeps the base's CREDIT_API_TOKEN, sharing the staging token",
        "cells": mutate(STEM, "config_solution", ("CREDIT_PROD_TOKEN", "CREDIT_API_TOKEN")),
        "fails": ["test_config"],
    },
    {
        "name": "config-copied-dev-data",
        "why": "starts from dev.yaml and keeps its smaller data set",
        "cells": mutate(STEM, "config_solution", ("gate:\n", "data:\n  n_rows: 3000\ngate:\n")),
        "fails": ["test_config_hidden"],
    },
    {
        "name": "config-variable-with-dollar",
        "why": "writes the variable as a shell reference",
        "cells": mutate(
            STEM, "config_solution", ("api_token_env: CREDIT_PROD_TOKEN", "api_token_env: $CREDIT_PROD_TOKEN")
        ),
        "fails": ["test_config"],
    },
    # task 4: ML tests
    {
        "name": "checks-minimum-functionality-auc-only",
        "why": "minimum functionality checks the ROC AUC only, not the obvious cases",
        "cells": mutate(
            STEM,
            "checks_solution",
            ('    assert risky_p > safe_p, f"the risky', '    assert True or risky_p > safe_p, f"the risky'),
        ),
        "fails": ["test_model_checks_hidden"],
    },
    {
        "name": "checks-no-ranges",
        "why": "the data contract checks columns, nulls, categories, ids and labels, but not the value ranges",
        "cells": mutate(STEM, "checks_solution", ("        assert outside == 0,", "        assert outside >= 0,")),
        "fails": ["test_data_contract"],
    },
    {
        "name": "checks-invariance-source-only",
        "why": "moves the source but keeps the channel, so a channel leak goes unseen",
        "cells": mutate(
            STEM, "checks_solution", ("frame.assign(source=source, channel=channel)", "frame.assign(source=source)")
        ),
        "fails": ["test_model_checks_hidden"],
    },
    {
        "name": "checks-directional-score-only",
        "why": "tests only the credit score direction",
        "cells": mutate(
            STEM,
            "checks_solution",
            ("    assert (indebted >= risk - 1e-9).all(), (", "    assert True or (indebted >= risk - 1e-9).all(), ("),
        ),
        "fails": ["test_model_checks_hidden"],
    },
    {
        "name": "checks-target-any",
        "why": "checks that some labels are 0 or 1 rather than all",
        "cells": mutate(
            STEM,
            "checks_solution",
            ("assert set(frame[TARGET].unique()) <= {0, 1}", "assert set(frame[TARGET].unique()) & {0, 1}"),
        ),
        "fails": ["test_data_contract_hidden"],
    },
    # task 5: the gate
    {
        "name": "gate-auc-only",
        "why": "floors and a tolerance on ROC AUC only: calibration and partners are ignored",
        "cells": {
            "gate_solution": "def may_replace(candidate, champion):\n"
            "    auc = candidate['roc_auc']\n"
            "    if not auc >= 0.65:\n"
            "        return False\n"
            "    return champion is None or auc >= champion['roc_auc'] - 0.02\n"
        },
        "fails": ["test_gate_hidden"],
    },
    {
        "name": "gate-strict-improvement",
        "why": "requires the candidate to be at least as good on every metric: blocks every retrain",
        "cells": mutate(STEM, "gate_solution", ("worse[name] <= 2 * noise[name]", "worse[name] <= 0")),
        "fails": ["test_gate"],
    },
    {
        "name": "gate-nan-passes",
        "why": "compares with < only, so a NaN metric passes every check",
        "cells": {
            "gate_solution": "def may_replace(candidate, champion):\n"
            "    if candidate['roc_auc'] < 0.65 or candidate['worst_partner_auc'] < 0.60:\n"
            "        return False\n"
            "    if champion is not None:\n"
            "        if candidate['roc_auc'] < champion['roc_auc'] - 0.02:\n"
            "            return False\n"
            "        if candidate.get('brier', 0) > champion['brier'] + 0.006:\n"
            "            return False\n"
            "        if candidate['worst_partner_auc'] < champion['worst_partner_auc'] - 0.06:\n"
            "            return False\n"
            "    return True\n"
        },
        "fails": ["test_gate_hidden"],
    },
    {
        "name": "gate-brier-higher-is-better",
        "why": "treats brier like the AUCs (higher is better)",
        "cells": mutate(
            STEM,
            "gate_solution",
            ('"brier": values["brier"] - champion["brier"]', '"brier": champion["brier"] - values["brier"]'),
        ),
        "fails": ["test_gate_hidden"],
    },
    {
        "name": "gate-no-floor-for-first-model",
        "why": "only compares with the champion: any first model passes",
        "cells": mutate(
            STEM,
            "gate_solution",
            ('    if values["roc_auc"] < 0.65 or values["worst_partner_auc"] < 0.60:\n        return False\n', ""),
        ),
        "fails": ["test_gate"],
    },
    # task 6: registering
    {
        "name": "register-tags-on-run-only",
        "why": "tags the MLflow run, not the model version",
        "cells": mutate(STEM, "register_solution", ("model_id=logged.model_id, tags=tags", "model_id=logged.model_id")),
        "fails": ["test_register_tags"],
    },
    {
        "name": "register-checks-clean-too-late",
        "why": "registers first, then refuses",
        "cells": mutate(
            STEM,
            "register_solution",
            (
                '    if not versioning.is_clean(repo):\n        raise ValueError(f"{repo} has uncommitted changes: commit them so the model can be traced")\n',
                "",
            ),
            (
                "    return version\n",
                "    if not versioning.is_clean(repo):\n        raise ValueError('uncommitted changes')\n    return version\n",
            ),
        ),
        "fails": ["test_register_refuses_dirty_tree"],
    },
    {
        "name": "register-short-commit",
        "why": "tags the short commit id",
        "cells": mutate(
            STEM, "register_solution", ("versioning.head_commit(repo)", "versioning.head_commit(repo)[:7]")
        ),
        "fails": ["test_register_tags"],
    },
    {
        "name": "register-no-alias",
        "why": "forgets to move the alias",
        "cells": mutate(
            STEM, "register_solution", ("    client.set_registered_model_alias(name, alias, version.version)\n", "")
        ),
        "fails": ["test_register_tags"],
    },
]
