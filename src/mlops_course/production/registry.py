"""The MLflow model registry, the way module 3 uses it: versions, aliases, tags, lineage.

MLflow 3 names the version in use with *aliases* (``champion``, ``challenger``,
``previous``); stages (Staging/Production) are deprecated and never used here.
A serving process loads ``models:/<name>@champion``, so moving an alias is a deployment
and moving it back is a rollback.

MLflow 3 saves scikit-learn models with skops and refuses to *load* any serialized model
unless ``MLFLOW_ALLOW_PICKLE_DESERIALIZATION`` is ``true``: loading a model runs code from
its artifact. :func:`allow_trusted_model_loading` sets it, for models from our own registry.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import pandas as pd

#: Types the course's pipelines contain beyond skops' defaults (needed to save with skops).
SKOPS_TRUSTED_TYPES: list[str] = ["numpy.dtype", "sklearn.ensemble._hist_gradient_boosting.predictor.TreePredictor"]
#: Requirements written into the logged model (skips MLflow's slow requirement inference).
MODEL_REQUIREMENTS: list[str] = ["scikit-learn==1.9.1", "pandas<3", "numpy<3"]
FINGERPRINT_TAG = "data_fingerprint"


@dataclass(frozen=True)
class LoggedModel:
    """Where a logged model lives: its run, its ``models:/m-…`` URI and its model id."""

    run_id: str
    model_uri: str
    model_id: str


def allow_trusted_model_loading() -> None:
    """Allow MLflow to load serialized models (only do this for a registry you trust)."""
    os.environ["MLFLOW_ALLOW_PICKLE_DESERIALIZATION"] = "true"


def log_credit_model(
    model: Any,
    *,
    input_example: pd.DataFrame | None = None,
    params: Mapping[str, Any] | None = None,
    metrics: Mapping[str, float] | None = None,
    tags: Mapping[str, str] | None = None,
    run_name: str | None = None,
) -> LoggedModel:
    """Log a fitted credit pipeline in a new MLflow run (predictions are default probabilities).

    Args:
        model: a fitted scikit-learn pipeline with ``predict_proba``.
        input_example: a few rows of features; MLflow infers the input signature from them.
        params: run parameters (e.g. training months, model kind).
        metrics: run metrics (e.g. validation ROC AUC).
        tags: run tags, e.g. ``{"data_fingerprint": ...}``.
        run_name: the run's display name.

    Returns:
        The run id, model URI and model id of the logged model.
    """
    import mlflow

    if not hasattr(model, "predict_proba"):
        raise ValueError("model must be a fitted classifier with predict_proba, e.g. from train_credit_model().")
    with mlflow.start_run(run_name=run_name) as run:
        if params:
            mlflow.log_params(dict(params))
        if metrics:
            mlflow.log_metrics({k: float(v) for k, v in metrics.items()})
        if tags:
            mlflow.set_tags(dict(tags))
        info = mlflow.sklearn.log_model(
            model,
            name="model",
            input_example=input_example,
            pyfunc_predict_fn="predict_proba",
            pip_requirements=MODEL_REQUIREMENTS,
            skops_trusted_types=SKOPS_TRUSTED_TYPES,
        )
    return LoggedModel(run_id=run.info.run_id, model_uri=info.model_uri, model_id=info.model_id)


def register_version(
    client: Any,
    model_name: str,
    logged: LoggedModel,
    *,
    tags: Mapping[str, str] | None = None,
    description: str | None = None,
) -> int:
    """Register a logged model as a new version of ``model_name`` (created if needed).

    Uses the client API, which registers quietly (``mlflow.register_model`` prints to stderr).

    Args:
        client: an ``mlflow.MlflowClient``.
        model_name: the registered model's name.
        logged: what :func:`log_credit_model` returned.
        tags: version tags, e.g. the data fingerprint.
        description: a sentence on what this version is.

    Returns:
        The new version number.
    """
    if not model_name or not str(model_name).strip():
        raise ValueError("model_name must be a non-empty string, e.g. 'module3-credit-default'.")
    from mlflow.exceptions import MlflowException

    try:
        client.get_registered_model(model_name)
    except MlflowException:
        client.create_registered_model(model_name)
    version = client.create_model_version(
        model_name,
        source=logged.model_uri,
        run_id=logged.run_id,
        model_id=logged.model_id,
        tags=dict(tags or {}),
        description=description,
    )
    return int(version.version)


def reset_registered_model(client: Any, model_name: str) -> None:
    """Delete ``model_name`` from the registry if it exists, so a notebook can run again from scratch."""
    from mlflow.exceptions import MlflowException

    try:
        client.delete_registered_model(model_name)
    except MlflowException:
        pass


def alias_version(client: Any, model_name: str, alias: str) -> int | None:
    """The version ``alias`` points to, or ``None`` when the alias is not set."""
    aliases = client.get_registered_model(model_name).aliases
    return int(aliases[alias]) if alias in aliases else None


def versions_table(client: Any, model_name: str, tag_keys: tuple[str, ...] = ()) -> pd.DataFrame:
    """One row per version: its aliases, its run and the tags named in ``tag_keys``.

    Args:
        client: an ``mlflow.MlflowClient``.
        model_name: the registered model's name.
        tag_keys: version tags to show as columns.

    Returns:
        A frame indexed by version, newest last.
    """
    aliases_of: dict[int, list[str]] = {}
    for alias, version in client.get_registered_model(model_name).aliases.items():
        aliases_of.setdefault(int(version), []).append(alias)
    rows = []
    for mv in client.search_model_versions(f"name = '{model_name}'"):
        row: dict[str, Any] = {
            "version": int(mv.version),
            "aliases": ", ".join(sorted(aliases_of.get(int(mv.version), []))) or "-",
            "run_id": mv.run_id,
        }
        for key in tag_keys:
            row[key] = mv.tags.get(key, "-")
        rows.append(row)
    return pd.DataFrame(rows).sort_values("version").set_index("version")


def lineage(client: Any, model_name: str, alias: str) -> dict[str, Any]:
    """Follow an alias back to its version, run, parameters, metrics and data fingerprint.

    Returns:
        ``model``, ``alias``, ``version``, ``run_id``, ``data_fingerprint`` (the run's tag),
        ``params`` and ``metrics`` of the run that produced the version.

    Raises:
        ValueError: the alias is not set on this model.
    """
    version = alias_version(client, model_name, alias)
    if version is None:
        raise ValueError(f"alias {alias!r} is not set on model {model_name!r}; set it with set_registered_model_alias.")
    mv = client.get_model_version(model_name, str(version))
    run = client.get_run(mv.run_id)
    return {
        "model": model_name,
        "alias": alias,
        "version": version,
        "run_id": mv.run_id,
        "data_fingerprint": run.data.tags.get(FINGERPRINT_TAG, mv.tags.get(FINGERPRINT_TAG)),
        "params": dict(run.data.params),
        "metrics": {k: round(float(v), 4) for k, v in run.data.metrics.items()},
    }


__all__ = [
    "FINGERPRINT_TAG",
    "LoggedModel",
    "MODEL_REQUIREMENTS",
    "SKOPS_TRUSTED_TYPES",
    "alias_version",
    "allow_trusted_model_loading",
    "lineage",
    "log_credit_model",
    "register_version",
    "reset_registered_model",
    "versions_table",
]
