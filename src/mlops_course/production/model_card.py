"""A model card written from the registry: what the model is, how it was made, how it behaves, for whom not.

Facts come from the registry and the run that produced the version (version, aliases,
tags, lineage, metrics), so the card cannot drift from what is deployed; the team writes
only what no registry knows: the intended use, the limits and the fairness findings.
The sections follow Mitchell et al., "Model Cards for Model Reporting" (FAT* 2019).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import pandas as pd

from mlops_course.production.registry import lineage

CARD_FILE = "model_card.md"


def _table(frame: pd.DataFrame) -> str:
    """A small frame as a Markdown table (no extra dependency)."""
    header = "| " + " | ".join([str(frame.index.name or ""), *map(str, frame.columns)]) + " |"
    rule = "|" + "---|" * (len(frame.columns) + 1)
    rows = [
        "| " + " | ".join([str(i), *(f"{v:.3f}" if isinstance(v, float) else str(v) for v in row)]) + " |"
        for i, row in zip(frame.index, frame.itertuples(index=False), strict=True)
    ]
    return "\n".join([header, rule, *rows])


def model_card(
    client: Any,
    model_name: str,
    alias: str,
    *,
    intended_use: str,
    limitations: Sequence[str],
    fairness: pd.DataFrame | None = None,
    evaluation: Mapping[str, float] | None = None,
    evaluation_data: str = "",
    tag_keys: Sequence[str] = ("train_months", "validation_status", "ab_result", "rollout"),
) -> str:
    """Write the model card of the version behind ``alias`` as Markdown.

    Args:
        client: an ``mlflow.MlflowClient``.
        model_name: the registered model.
        alias: the alias whose version the card describes, e.g. ``"champion"``.
        intended_use: who may use the model, for what decision.
        limitations: what the model must not be used for, and what it does badly.
        fairness: a table of metrics per group (e.g. ``MetricFrame.by_group``), rounded.
        evaluation: metrics measured after training, e.g. on labelled production traffic.
        evaluation_data: what ``evaluation`` was measured on.
        tag_keys: version tags to report when they are set.

    Returns:
        The card's Markdown text.
    """
    if not intended_use.strip():
        raise ValueError("intended_use must say who uses the model for which decision.")
    if isinstance(limitations, str) or not limitations:
        raise ValueError("limitations must be a non-empty list of sentences.")
    facts = lineage(client, model_name, alias)
    version = client.get_model_version(model_name, str(facts["version"]))
    registered = client.get_registered_model(model_name)
    aliases = sorted(a for a, v in registered.aliases.items() if int(v) == facts["version"])
    tags = {k: version.tags[k] for k in tag_keys if k in version.tags}
    lines = [
        f"# Model card: {model_name}, version {facts['version']}",
        "",
        f"{registered.description or ''}".strip(),
        "",
        "## Model details",
        f"- Version: {facts['version']} (aliases: {', '.join(aliases) or '-'})",
        f"- Produced by run: {facts['run_id']}",
        f"- Parameters: {', '.join(f'{k}={v}' for k, v in sorted(facts['params'].items())) or '-'}",
        f"- Training data fingerprint: {facts['data_fingerprint'] or 'not recorded'}",
        *(f"- Tag {k}: {v}" for k, v in tags.items()),
        "",
        "## Intended use",
        intended_use.strip(),
        "",
        "## Metrics logged with the training run",
        *(f"- {k}: {v}" for k, v in sorted(facts["metrics"].items())),
        *([] if facts["metrics"] else ["- none logged"]),
        "",
        f"## Metrics measured since ({evaluation_data or 'not described'})" if evaluation else "",
        *(f"- {k}: {float(v):.4f}" for k, v in (evaluation or {}).items()),
        "",
        "## Fairness: decisions by group",
        _table(fairness) if fairness is not None else "Not assessed.",
        "",
        "## Limitations",
        *(f"- {item}" for item in limitations),
    ]
    return "\n".join(lines) + "\n"


def publish_model_card(client: Any, model_name: str, version: int, card: str) -> str:
    """Store the card next to the model (an artifact of its run) and point a version tag at it.

    Returns:
        The card's artifact URI, also set as the version's ``model_card`` tag.
    """
    if not card.startswith("# Model card"):
        raise ValueError("card must be the Markdown text model_card() returned.")
    mv = client.get_model_version(model_name, str(version))
    client.log_text(mv.run_id, card, CARD_FILE)
    uri = f"runs:/{mv.run_id}/{CARD_FILE}"
    client.set_model_version_tag(model_name, str(version), "model_card", uri)
    return uri


__all__ = ["CARD_FILE", "model_card", "publish_model_card"]
