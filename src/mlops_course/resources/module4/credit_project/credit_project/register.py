"""Stage `register`: log the gated model to MLflow, tag it with its commit and data, make it the champion."""

import json
import os
import pickle
import sys

# skops (MLflow's safe format for scikit-learn models) scans every loaded module once, on
# import; importing it before MLflow keeps that scan short (about 1 s of CPU less).
import skops.io  # noqa: F401
import mlflow

from mlops_course.tracking import configure
from mlops_course.cicd.versioning import head_commit, is_clean, lineage_tags

from credit_project.settings import ARTIFACTS, PROJECT_DIR, load


def main() -> int:
    config = load()
    if not os.environ.get("CI_COMMIT_SHA") and not is_clean(PROJECT_DIR):
        print("refusing to register: uncommitted changes; commit first so the model can be traced")
        return 1
    commit = os.environ.get("CI_COMMIT_SHA") or head_commit(PROJECT_DIR)
    facts = json.loads((ARTIFACTS / "train.json").read_text())
    metrics = json.loads((ARTIFACTS / "metrics.json").read_text())
    model = pickle.loads((ARTIFACTS / "model.pkl").read_bytes())
    tags = lineage_tags(commit, facts["data_fingerprint"], environment=config.environment)
    configure("module4-credit-project")
    with mlflow.start_run(tags=tags):
        mlflow.log_params({"kind": config.model.kind, "C": config.model.C, "rows": facts["rows"]})
        mlflow.log_metrics(metrics)
        logged = mlflow.sklearn.log_model(
            model, name="model", pip_requirements=["scikit-learn"], skops_trusted_types=["numpy.dtype"]
        )
    name = config.registry.model_name
    version = mlflow.register_model(logged.model_uri, name, tags=tags)
    mlflow.MlflowClient().set_registered_model_alias(name, config.registry.alias, version.version)
    where = f"commit {commit[:7]}, data {facts['data_fingerprint']}"
    print(f"registered {name} v{version.version} as @{config.registry.alias} ({where})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
