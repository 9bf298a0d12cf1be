"""Stage `evaluate`: score the candidate on the holdout months; fail if the quality gate says no."""

import json
import pickle
import sys

from sklearn.metrics import roc_auc_score

from mlops_course.cicd import quality_gate
from mlops_course.data import TARGET

from credit_project.data import load_applications
from credit_project.model import default_probability
from credit_project.settings import ARTIFACTS, load


def champion_metrics(model_name: str) -> dict | None:
    """The metrics of the model now serving (registry alias `champion`), or None."""
    import mlflow
    from mlops_course.tracking import configure

    configure()
    client = mlflow.MlflowClient()
    try:
        version = client.get_model_version_by_alias(model_name, "champion")
    except mlflow.exceptions.MlflowException:
        return None
    return {"roc_auc": client.get_run(version.run_id).data.metrics["roc_auc"], "version": version.version}


def main() -> int:
    config = load()
    model = pickle.loads((ARTIFACTS / "model.pkl").read_bytes())
    _, holdout = load_applications(config)
    metrics = {"roc_auc": round(float(roc_auc_score(holdout[TARGET], default_probability(model, holdout))), 4)}
    (ARTIFACTS / "metrics.json").write_text(json.dumps(metrics))
    champion = champion_metrics(config.registry.model_name)
    decision = quality_gate(metrics, champion, config.gate.min_roc_auc, config.gate.max_roc_auc_drop)
    versus = f"champion v{champion['version']} {champion['roc_auc']:.4f}" if champion else "no champion yet"
    print(f"candidate roc_auc {metrics['roc_auc']:.4f} ({versus})")
    if not decision.passed:
        print("QUALITY GATE FAILED:", *decision.reasons, sep="\n  ")
        return 1
    print("quality gate passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
