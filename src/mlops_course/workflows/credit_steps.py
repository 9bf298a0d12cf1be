"""The lender's training workflow as file-in, file-out steps that any orchestrator can call.

The logic of each step lives here, tested once; orchestrators only wire the steps:
module 2's Kubeflow components call these functions, and the Jenkinsfile in
``mlops_course/resources/module2`` calls the same steps from the command line::

    python -m mlops_course.workflows.credit_steps ingest --out work/applications.csv --seed 42
    python -m mlops_course.workflows.credit_steps validate --data work/applications.csv --out work/validated.csv
    python -m mlops_course.workflows.credit_steps train --data work/validated.csv --model work/model.pkl
    python -m mlops_course.workflows.credit_steps evaluate --data work/validated.csv --model work/model.pkl --metrics work/metrics.json
    python -m mlops_course.workflows.credit_steps track --data work/validated.csv --metrics work/metrics.json --out work/tracked.json
    python -m mlops_course.workflows.credit_steps gate --metrics work/metrics.json && \
        python -m mlops_course.workflows.credit_steps register --tracked work/tracked.json --model work/model.pkl --name credit-default

Steps read and write CSV (data), pickle (the model, between steps of one run only) and
JSON (metrics). ``track`` records every run in MLflow; ``register`` logs the model into that
run and makes it a new registered version with the ``champion`` alias; the orchestrator
calls it only when the evaluation passed its gate.
"""

from __future__ import annotations

import argparse
import json
import pickle
import sys
from pathlib import Path
from typing import Any

import pandas as pd

from mlops_course.checks import check_frame, check_number, check_path, wrong_type_mask
from mlops_course.data import FEATURES, ID_COLUMN, MONTH_COLUMN, TARGET, VALID_RANGES, dataset_fingerprint
from mlops_course.workflows.runner import DataValidationError

#: Months of a 6-month batch held out for evaluation (the last two).
EVAL_MONTHS = 2


def ingest(out_csv: str | Path, *, seed: int = 42, scenario: str = "baseline", n_rows: int = 4000) -> int:
    """Pull six months of applications (generated here) and write them to ``out_csv``; returns the row count."""
    from mlops_course.data import generate_applications

    frame = generate_applications(n_rows, n_months=6, seed=seed, scenario=scenario)
    Path(out_csv).parent.mkdir(parents=True, exist_ok=True)
    frame.to_csv(out_csv, index=False)
    return len(frame)


def batch_problems(frame: pd.DataFrame, max_null_share: float = 0.01) -> list[str]:
    """What is wrong with a batch: missing columns, too many nulls, values that are not numbers or out of range.

    Args:
        frame: a batch of applications.
        max_null_share: the largest share of nulls a feature column may have.

    Returns:
        One sentence per problem; empty when the batch is fine.
    """
    max_null_share = check_number("max_null_share", max_null_share, low=0.0, high=1.0, high_open=True)
    check_frame("frame", frame, non_empty=False)
    required = [ID_COLUMN, MONTH_COLUMN, *FEATURES, TARGET]
    missing = [c for c in required if c not in frame.columns]
    if missing:
        return [f"missing column(s) {missing}"]
    if frame.empty:
        return ["the batch has no rows"]
    problems = []
    for column in FEATURES:
        share = float(frame[column].isna().mean())
        if share > max_null_share:
            problems.append(f"{column} has {share:.1%} nulls (at most {max_null_share:.0%} allowed)")
    for column, (low, high) in VALID_RANGES.items():
        values = pd.to_numeric(frame[column], errors="coerce")
        wrong = int(wrong_type_mask(frame[column]).sum())
        if wrong:
            problems.append(f"{column} has {wrong} value(s) that are not numbers")
        bad = int(((values < low) | (values > high)).sum())
        if bad:
            problems.append(f"{column} has {bad} value(s) outside [{low}, {high}]")
    return problems


def validate(data_csv: str | Path, out_csv: str | Path, *, max_null_share: float = 0.01) -> int:
    """Check a batch against the data contract; write it to ``out_csv`` if it passes.

    Returns:
        The number of rows that passed.

    Raises:
        DataValidationError: the batch breaks the contract; the message lists every problem.
    """
    frame = pd.read_csv(check_path("data_csv", data_csv, kind="file"))
    problems = batch_problems(frame, max_null_share)
    if problems:
        raise DataValidationError(f"batch rejected ({len(frame)} rows): " + "; ".join(problems))
    frame.to_csv(out_csv, index=False)
    return len(frame)


def split_train_eval(frame: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Split a batch by month: the last :data:`EVAL_MONTHS` months evaluate, the rest train."""
    check_frame("frame", frame, required=[MONTH_COLUMN])
    months = sorted(frame[MONTH_COLUMN].astype(str).unique())
    if len(months) <= EVAL_MONTHS:
        raise ValueError(
            f"the batch covers {len(months)} month(s); it needs more than {EVAL_MONTHS} to train and evaluate."
        )
    first_eval = months[-EVAL_MONTHS]
    is_eval = frame[MONTH_COLUMN].astype(str) >= first_eval
    return frame[~is_eval], frame[is_eval]


def train(data_csv: str | Path, model_path: str | Path, *, seed: int = 42, C: float = 1.0) -> int:
    """Fit the credit pipeline (preprocessing + logistic regression) on the training months; returns rows used."""
    from mlops_course.models import train_credit_model

    train_part, _ = split_train_eval(pd.read_csv(check_path("data_csv", data_csv, kind="file")))
    model = train_credit_model(train_part, "logistic", random_state=seed, C=C)
    with open(model_path, "wb") as handle:
        pickle.dump(model, handle)  # an intermediate artifact of this run only; MLflow stores the real one
    return len(train_part)


def evaluate(
    data_csv: str | Path, model_path: str | Path, metrics_json: str | Path, *, min_auc: float = 0.7
) -> dict[str, Any]:
    """Score the model on the evaluation months; the gate passes when ROC AUC >= ``min_auc``.

    Returns:
        The metrics (rounded to 4 digits) plus ``passed`` (bool); also written to ``metrics_json``.
    """
    from mlops_course.models import evaluate_credit_model

    _, eval_part = split_train_eval(pd.read_csv(check_path("data_csv", data_csv, kind="file")))
    with open(model_path, "rb") as handle:
        model = pickle.load(handle)
    metrics: dict[str, Any] = evaluate_credit_model(model, eval_part)
    metrics["passed"] = bool(metrics["roc_auc"] >= min_auc)
    Path(metrics_json).write_text(json.dumps(metrics, indent=2), encoding="utf-8")
    return metrics


def track(
    data_csv: str | Path,
    metrics_json: str | Path,
    *,
    experiment: str = "module2-credit-pipeline",
    params: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Record the run in MLflow: parameters, metrics, the data's fingerprint and the gate decision.

    Every run is tracked, whether its gate passed or not; :func:`register` adds the model
    to the same run when it passed.

    Returns:
        ``run_id`` and ``passed`` (the gate decision).
    """
    import mlflow

    from mlops_course.tracking import configure

    configure(experiment)
    metrics = json.loads(Path(metrics_json).read_text(encoding="utf-8"))
    passed = bool(metrics.pop("passed"))
    with mlflow.start_run() as run:
        mlflow.log_params(dict(params or {}))
        mlflow.log_metrics({k: float(v) for k, v in metrics.items()})
        mlflow.set_tags({"data_fingerprint": dataset_fingerprint(pd.read_csv(data_csv)), "gate_passed": str(passed)})
    return {"run_id": run.info.run_id, "passed": passed}


def register(model_path: str | Path, model_name: str, *, run_id: str, alias: str = "champion") -> int:
    """Log the model into the tracked run, register it as a new version of ``model_name``, point ``alias`` at it.

    Args:
        model_path: the pickled model that :func:`train` wrote.
        model_name: the registered model's name (created if needed).
        run_id: the run :func:`track` recorded.
        alias: the alias the new version gets.

    Returns:
        The new version number.
    """
    # skops (MLflow's safe format for scikit-learn models) scans every loaded module once, on
    # import; importing it before MLflow keeps that scan short (about 1 s of CPU less).
    import skops.io  # noqa: F401  # isort: skip
    import mlflow

    from mlops_course.tracking import configure

    if not model_name or not model_name.strip():
        raise ValueError("model_name must be a non-empty string, e.g. 'module2-credit-default'.")
    configure()
    with open(model_path, "rb") as handle:
        model = pickle.load(handle)
    with mlflow.start_run(run_id=run_id):
        info = mlflow.sklearn.log_model(
            model,
            name="model",
            pip_requirements=["scikit-learn==1.9.1", "pandas<3"],
            skops_trusted_types=["numpy.dtype"],
        )
    client = mlflow.MlflowClient()
    if not client.search_registered_models(filter_string=f"name = '{model_name}'"):
        client.create_registered_model(model_name)
    version = client.create_model_version(model_name, source=info.model_uri, run_id=run_id, model_id=info.model_id)
    client.set_registered_model_alias(model_name, alias, version.version)
    return int(version.version)


def main(argv: list[str] | None = None) -> int:
    """Command line: ``python -m mlops_course.workflows.credit_steps STEP ...`` (see the module docstring)."""
    parser = argparse.ArgumentParser(
        prog="python -m mlops_course.workflows.credit_steps", description=__doc__.splitlines()[0]
    )
    sub = parser.add_subparsers(dest="step", required=True)
    p = sub.add_parser("ingest")
    p.add_argument("--out", required=True)
    p.add_argument("--seed", type=int, default=42)
    p.add_argument("--scenario", default="baseline")
    p.add_argument("--rows", type=int, default=4000)
    p = sub.add_parser("validate")
    p.add_argument("--data", required=True)
    p.add_argument("--out", required=True)
    p.add_argument("--max-null-share", type=float, default=0.01)
    p = sub.add_parser("train")
    p.add_argument("--data", required=True)
    p.add_argument("--model", required=True)
    p.add_argument("--seed", type=int, default=42)
    p.add_argument("--C", type=float, default=1.0)
    p = sub.add_parser("evaluate")
    p.add_argument("--data", required=True)
    p.add_argument("--model", required=True)
    p.add_argument("--metrics", required=True)
    p.add_argument("--min-auc", type=float, default=0.7)
    p = sub.add_parser("track")
    for flag in ("--data", "--metrics", "--out"):
        p.add_argument(flag, required=True)
    p = sub.add_parser("gate", help="exit 0 if the evaluation passed its gate, 3 if not")
    p.add_argument("--metrics", required=True)
    p = sub.add_parser("register")
    p.add_argument("--tracked", required=True, help="the JSON file the track step wrote")
    p.add_argument("--model", required=True)
    p.add_argument("--name", required=True)
    args = parser.parse_args(argv)
    try:
        if args.step == "ingest":
            print(f"ingested {ingest(args.out, seed=args.seed, scenario=args.scenario, n_rows=args.rows)} rows")
        elif args.step == "validate":
            print(f"validated {validate(args.data, args.out, max_null_share=args.max_null_share)} rows")
        elif args.step == "train":
            print(f"trained on {train(args.data, args.model, seed=args.seed, C=args.C)} rows")
        elif args.step == "evaluate":
            print(json.dumps(evaluate(args.data, args.model, args.metrics, min_auc=args.min_auc)))
        elif args.step == "track":
            tracked = track(args.data, args.metrics)
            Path(args.out).write_text(json.dumps(tracked, indent=2), encoding="utf-8")
            print(f"tracked run {tracked['run_id']}")
        elif args.step == "gate":
            passed = bool(json.loads(Path(args.metrics).read_text(encoding="utf-8"))["passed"])
            print("gate passed" if passed else "gate failed: the model will not be registered")
            return 0 if passed else 3
        else:
            run_id = json.loads(Path(args.tracked).read_text(encoding="utf-8"))["run_id"]
            print(f"registered {args.name} version {register(args.model, args.name, run_id=run_id)}")
    except (DataValidationError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
