"""Exercise 2 (model management): plausible mistakes and correct alternatives, written from the task text."""

from __future__ import annotations

from typing import Any

TASKS = {
    "register": ["register_challenger"],
    "alerts": ["drift_alerts"],
    "canary": ["canary_decision"],
    "apply": ["apply_decision"],
    "rollback": ["roll_back"],
}

_REGISTER_HEAD = '''def register_challenger(client, model_name: str, logged, data_fingerprint: str) -> int:
    """Register `logged` as a new version of `model_name`, tag it, alias it `challenger`."""
'''
_ALERTS_HEAD = '''def drift_alerts(reference_scores, windows: dict, *, threshold: float = PSI_MAJOR, patience: int = 2) -> pd.DataFrame:
    """PSI per window, whether it breaches `threshold`, and whether `patience` breaches in a row raise an alert."""
'''
_CANARY_HEAD = '''def canary_decision(metrics: pd.DataFrame) -> str:
    """'promote', 'rollback' or 'wait' for a canary, by the rule above."""
'''
_APPLY_HEAD = '''def apply_decision(client, model_name: str, decision: str) -> dict:
    """Move the aliases of `model_name` for a canary decision; return {alias: version}."""
'''
_ROLLBACK_HEAD = '''def roll_back(client, model_name: str) -> int:
    """Point `champion` back at `previous`; tag the degraded version; return the champion's version."""
'''

ALTERNATIVES: list[dict[str, Any]] = [
    {
        "name": "register through the package helper, tag after, read the alias back",
        "why": "registry.register_version creates the version; the alias is read back from the registry",
        "cells": {
            "register_challenger": _REGISTER_HEAD
            + """    number = registry.register_version(client, model_name, logged)
    client.set_model_version_tag(model_name, str(number), "data_fingerprint", data_fingerprint)
    client.set_registered_model_alias(model_name, "challenger", str(number))
    return int(client.get_model_version_by_alias(model_name, "challenger").version)
"""
        },
    },
    {
        "name": "alerts from a running streak of breaches",
        "why": "counts consecutive breaches instead of slicing; same rule",
        "cells": {
            "drift_alerts": _ALERTS_HEAD
            + """    if patience < 1:
        raise ValueError("patience must be >= 1")
    rows, streak = [], 0
    for name, scores in windows.items():
        value = float(psi(reference_scores, scores))
        streak = streak + 1 if value > threshold else 0
        rows.append((name, value, value > threshold, streak >= patience))
    table = pd.DataFrame(rows, columns=["window", "psi", "breach", "alert"]).set_index("window")
    table.index.name = None
    return table.astype({"psi": float, "breach": bool, "alert": bool})
"""
        },
    },
    {
        "name": "canary rule with numpy and dict access",
        "why": "reads the arms as dicts and tests NaN with math.isnan",
        "cells": {
            "canary_decision": _CANARY_HEAD
            + """    import math

    arms = metrics.to_dict(orient="index")
    canary, stable = arms["canary"], arms["stable"]
    if not (canary["error_rate"] <= 0.02 and canary["p95_latency_ms"] <= 300):
        return "rollback"
    gaps = (float(canary["calibration_gap"]), float(stable["calibration_gap"]))
    if canary["requests"] < 100 or any(math.isnan(g) for g in gaps):
        return "wait"
    return "rollback" if abs(gaps[0]) - abs(gaps[1]) > 0.02 else "promote"
"""
        },
    },
    {
        "name": "apply by alias lookups and a dispatch",
        "why": "uses get_model_version_by_alias and catches the missing alias as an MLflow error",
        "cells": {
            "apply_decision": _APPLY_HEAD
            + """    from mlflow.exceptions import MlflowException

    if decision == "wait":
        return {a: int(v) for a, v in client.get_registered_model(model_name).aliases.items()}
    if decision not in {"promote", "rollback"}:
        raise ValueError("unknown decision " + repr(decision))
    try:
        challenger = client.get_model_version_by_alias(model_name, "challenger").version
    except MlflowException:
        raise ValueError("no challenger") from None
    if decision == "promote":
        champion = client.get_model_version_by_alias(model_name, "champion").version
        client.set_registered_model_alias(model_name, "previous", champion)
        client.set_registered_model_alias(model_name, "champion", challenger)
    else:
        client.set_model_version_tag(model_name, challenger, "rollout", "rejected")
    client.delete_registered_model_alias(model_name, "challenger")
    return {a: int(v) for a, v in client.get_registered_model(model_name).aliases.items()}
"""
        },
    },
    {
        "name": "roll back via alias lookups",
        "why": "asks the registry for each alias; MLflow's error on a missing alias becomes ValueError",
        "cells": {
            "roll_back": _ROLLBACK_HEAD
            + """    from mlflow.exceptions import MlflowException

    try:
        previous = client.get_model_version_by_alias(model_name, "previous")
    except MlflowException as error:
        raise ValueError(f"nothing to roll back to: {error}") from None
    degraded = client.get_model_version_by_alias(model_name, "champion")
    client.set_model_version_tag(model_name, degraded.version, "rollout", "rolled_back")
    client.set_registered_model_alias(model_name, "champion", previous.version)
    client.delete_registered_model_alias(model_name, "previous")
    return int(previous.version)
"""
        },
    },
]

MISTAKES: list[dict[str, Any]] = [
    # task 1 · register_challenger
    {
        "name": "register: the fingerprint tagged on the training run",
        "why": "the run is where the data was used, so the tag goes there instead of on the version",
        "cells": {
            "register_challenger": _REGISTER_HEAD
            + """    version = client.create_model_version(
        model_name, source=logged.model_uri, run_id=logged.run_id, model_id=logged.model_id
    )
    client.set_tag(logged.run_id, "data_fingerprint", data_fingerprint)
    client.set_registered_model_alias(model_name, "challenger", version.version)
    return int(version.version)
"""
        },
        "fails": ["test_register_visible", "test_register_hidden"],
    },
    {
        "name": "register: tags the registered model instead of the version",
        "why": "misreads 'gives that version the tag' as a model tag",
        "cells": {
            "register_challenger": _REGISTER_HEAD
            + """    version = client.create_model_version(model_name, source=logged.model_uri, run_id=logged.run_id,
                                          model_id=logged.model_id)
    client.set_registered_model_tag(model_name, "data_fingerprint", data_fingerprint)
    client.set_registered_model_alias(model_name, "challenger", version.version)
    return int(version.version)
"""
        },
        "fails": ["test_register_visible", "test_register_hidden"],
    },
    {
        "name": "register: promotes it too (moves champion)",
        "why": "points both aliases at the new version, 'so it is served'",
        "cells": {
            "register_challenger": _REGISTER_HEAD
            + """    version = client.create_model_version(model_name, source=logged.model_uri, run_id=logged.run_id,
                                          model_id=logged.model_id, tags={"data_fingerprint": data_fingerprint})
    for alias in ("challenger", "champion"):
        client.set_registered_model_alias(model_name, alias, version.version)
    return int(version.version)
"""
        },
        "fails": ["test_register_visible", "test_register_hidden"],
    },
    {
        "name": "register: assumes the new version is 2",
        "why": "the visible model has one version, so the challenger 'is' version 2",
        "cells": {
            "register_challenger": _REGISTER_HEAD
            + """    client.create_model_version(model_name, source=logged.model_uri, run_id=logged.run_id,
                                model_id=logged.model_id, tags={"data_fingerprint": data_fingerprint})
    client.set_registered_model_alias(model_name, "challenger", "2")
    return 2
"""
        },
        "fails": ["test_register_hidden"],
    },
    # task 2 · drift_alerts
    {
        "name": "alerts: look-back clipped at the start of the series",
        "why": "max(0, ...) in the slice, so the first window alerts on a single breach",
        "cells": {
            "drift_alerts": _ALERTS_HEAD
            + """    if patience < 1:
        raise ValueError("patience must be at least 1")
    names = list(windows)
    values = [psi(reference_scores, windows[n]) for n in names]
    breach = [v > threshold for v in values]
    alert = [all(breach[max(0, i - patience + 1) : i + 1]) for i in range(len(names))]
    return pd.DataFrame({"psi": values, "breach": breach, "alert": alert}, index=names)
"""
        },
        "fails": ["test_alerts_visible", "test_alerts_hidden"],
    },
    {
        "name": "alerts: patience breaches in total rather than in a row",
        "why": "reads 'patience breaches' as a running count",
        "cells": {
            "drift_alerts": _ALERTS_HEAD
            + """    if patience < 1:
        raise ValueError("patience must be at least 1")
    names = list(windows)
    values = [psi(reference_scores, windows[n]) for n in names]
    breach = [v > threshold for v in values]
    alert = [breach[i] and sum(breach[: i + 1]) >= patience for i in range(len(names))]
    return pd.DataFrame({"psi": values, "breach": breach, "alert": alert}, index=names)
"""
        },
        "fails": ["test_alerts_visible", "test_alerts_hidden"],
    },
    {
        "name": "alerts: patience windows before the current one (off by one)",
        "why": "reads 'so did the patience windows before it'",
        "cells": {
            "drift_alerts": _ALERTS_HEAD
            + """    if patience < 1:
        raise ValueError("patience must be at least 1")
    names = list(windows)
    values = [psi(reference_scores, windows[n]) for n in names]
    breach = [v > threshold for v in values]
    alert = [i >= patience and all(breach[i - patience : i + 1]) for i in range(len(names))]
    return pd.DataFrame({"psi": values, "breach": breach, "alert": alert}, index=names)
"""
        },
        "fails": ["test_alerts_visible", "test_alerts_hidden"],
    },
    {
        "name": "alerts: keeps the old default threshold 0.2",
        "why": "remembers 0.2 from an example instead of PSI_MAJOR",
        "cells": {
            "drift_alerts": """def drift_alerts(reference_scores, windows: dict, *, threshold: float = 0.2, patience: int = 2) -> pd.DataFrame:
    if patience < 1:
        raise ValueError("patience must be at least 1")
    names = list(windows)
    values = [psi(reference_scores, windows[n]) for n in names]
    breach = [v > threshold for v in values]
    alert = [i + 1 >= patience and all(breach[i - patience + 1 : i + 1]) for i in range(len(names))]
    return pd.DataFrame({"psi": values, "breach": breach, "alert": alert}, index=names)
"""
        },
        "fails": ["test_alerts_hidden"],
    },
    # task 3 · canary_decision
    {
        "name": "canary: waits for requests before checking errors",
        "why": "applies the rules out of order, so a failing small canary waits",
        "cells": {
            "canary_decision": _CANARY_HEAD
            + """    stable, canary = metrics.loc["stable"], metrics.loc["canary"]
    if canary["requests"] < 100 or pd.isna(canary["calibration_gap"]) or pd.isna(stable["calibration_gap"]):
        return "wait"
    if canary["error_rate"] > 0.02 or canary["p95_latency_ms"] > 300:
        return "rollback"
    if abs(canary["calibration_gap"]) > abs(stable["calibration_gap"]) + 0.02:
        return "rollback"
    return "promote"
"""
        },
        "fails": ["test_canary_visible"],
    },
    {
        "name": "canary: compares signed calibration gaps",
        "why": "forgets abs(), so a canary that under-predicts looks better",
        "cells": {
            "canary_decision": _CANARY_HEAD
            + """    stable, canary = metrics.loc["stable"], metrics.loc["canary"]
    if canary["error_rate"] > 0.02 or canary["p95_latency_ms"] > 300:
        return "rollback"
    if canary["requests"] < 100 or pd.isna(canary["calibration_gap"]) or pd.isna(stable["calibration_gap"]):
        return "wait"
    if canary["calibration_gap"] > stable["calibration_gap"] + 0.02:
        return "rollback"
    return "promote"
"""
        },
        "fails": ["test_canary_visible"],
    },
    {
        "name": "canary: the bounds count as breaches",
        "why": ">= where the text says 'above'",
        "cells": {
            "canary_decision": _CANARY_HEAD
            + """    stable, canary = metrics.loc["stable"], metrics.loc["canary"]
    if canary["error_rate"] >= 0.02 or canary["p95_latency_ms"] >= 300:
        return "rollback"
    if canary["requests"] < 100 or pd.isna(canary["calibration_gap"]) or pd.isna(stable["calibration_gap"]):
        return "wait"
    if abs(canary["calibration_gap"]) >= abs(stable["calibration_gap"]) + 0.02:
        return "rollback"
    return "promote"
"""
        },
        "fails": ["test_canary_hidden"],
    },
    {
        "name": "canary: only the canary's NaN means wait",
        "why": "an unknown stable gap makes the comparison False, so it promotes",
        "cells": {
            "canary_decision": _CANARY_HEAD
            + """    stable, canary = metrics.loc["stable"], metrics.loc["canary"]
    if canary["error_rate"] > 0.02 or canary["p95_latency_ms"] > 300:
        return "rollback"
    if canary["requests"] < 100 or pd.isna(canary["calibration_gap"]):
        return "wait"
    if abs(canary["calibration_gap"]) > abs(stable["calibration_gap"]) + 0.02:
        return "rollback"
    return "promote"
"""
        },
        "fails": ["test_canary_hidden"],
    },
    # task 4 · apply_decision
    {
        "name": "apply: promote forgets the previous alias",
        "why": "moves champion and deletes challenger, but leaves no way back",
        "cells": {
            "apply_decision": _APPLY_HEAD
            + """    if decision not in ("promote", "rollback", "wait"):
        raise ValueError(decision)
    aliases = client.get_registered_model(model_name).aliases
    if decision != "wait" and "challenger" not in aliases:
        raise ValueError("no challenger")
    if decision == "promote":
        client.set_registered_model_alias(model_name, "champion", aliases["challenger"])
        client.delete_registered_model_alias(model_name, "challenger")
    elif decision == "rollback":
        client.set_model_version_tag(model_name, aliases["challenger"], "rollout", "rejected")
        client.delete_registered_model_alias(model_name, "challenger")
    return {a: int(v) for a, v in client.get_registered_model(model_name).aliases.items()}
"""
        },
        "fails": ["test_apply_visible"],
    },
    {
        "name": "apply: rollback tags the champion",
        "why": "reads 'roll back' as the champion being rejected",
        "cells": {
            "apply_decision": _APPLY_HEAD
            + """    if decision not in ("promote", "rollback", "wait"):
        raise ValueError(decision)
    aliases = client.get_registered_model(model_name).aliases
    if decision != "wait" and "challenger" not in aliases:
        raise ValueError("no challenger")
    if decision == "promote":
        client.set_registered_model_alias(model_name, "previous", aliases["champion"])
        client.set_registered_model_alias(model_name, "champion", aliases["challenger"])
        client.delete_registered_model_alias(model_name, "challenger")
    elif decision == "rollback":
        client.set_model_version_tag(model_name, aliases["champion"], "rollout", "rejected")
        client.delete_registered_model_alias(model_name, "challenger")
    return {a: int(v) for a, v in client.get_registered_model(model_name).aliases.items()}
"""
        },
        "fails": ["test_apply_hidden"],
    },
    {
        "name": "apply: a missing challenger gives a KeyError",
        "why": "indexes the aliases without checking, as the first version of the task allowed",
        "cells": {
            "apply_decision": _APPLY_HEAD
            + """    if decision not in ("promote", "rollback", "wait"):
        raise ValueError(decision)
    aliases = client.get_registered_model(model_name).aliases
    if decision == "promote":
        client.set_registered_model_alias(model_name, "previous", aliases["champion"])
        client.set_registered_model_alias(model_name, "champion", aliases["challenger"])
        client.delete_registered_model_alias(model_name, "challenger")
    elif decision == "rollback":
        client.set_model_version_tag(model_name, aliases["challenger"], "rollout", "rejected")
        client.delete_registered_model_alias(model_name, "challenger")
    return {a: int(v) for a, v in client.get_registered_model(model_name).aliases.items()}
"""
        },
        "fails": ["test_apply_hidden"],
    },
    {
        "name": "apply: returns the aliases read before the change",
        "why": "returns the dict it read at the start",
        "cells": {
            "apply_decision": _APPLY_HEAD
            + """    if decision not in ("promote", "rollback", "wait"):
        raise ValueError(decision)
    aliases = {a: int(v) for a, v in client.get_registered_model(model_name).aliases.items()}
    if decision != "wait" and "challenger" not in aliases:
        raise ValueError("no challenger")
    if decision == "promote":
        client.set_registered_model_alias(model_name, "previous", aliases["champion"])
        client.set_registered_model_alias(model_name, "champion", aliases["challenger"])
        client.delete_registered_model_alias(model_name, "challenger")
    elif decision == "rollback":
        client.set_model_version_tag(model_name, aliases["challenger"], "rollout", "rejected")
        client.delete_registered_model_alias(model_name, "challenger")
    return aliases
"""
        },
        "fails": ["test_apply_visible", "test_apply_hidden"],
    },
    # task 5 · roll_back
    {
        "name": "rollback: tags the champion before checking there is a previous version",
        "why": "a refused rollback still marks the champion rolled_back",
        "cells": {
            "roll_back": _ROLLBACK_HEAD
            + """    aliases = client.get_registered_model(model_name).aliases
    client.set_model_version_tag(model_name, aliases["champion"], "rollout", "rolled_back")
    if "previous" not in aliases:
        raise ValueError("nothing to roll back to")
    client.set_registered_model_alias(model_name, "champion", aliases["previous"])
    client.delete_registered_model_alias(model_name, "previous")
    return int(aliases["previous"])
"""
        },
        "fails": ["test_rollback_visible"],
    },
    {
        "name": "rollback: keeps the previous alias",
        "why": "moves champion but leaves previous pointing at the same version",
        "cells": {
            "roll_back": _ROLLBACK_HEAD
            + """    aliases = client.get_registered_model(model_name).aliases
    if "previous" not in aliases:
        raise ValueError("nothing to roll back to")
    client.set_model_version_tag(model_name, aliases["champion"], "rollout", "rolled_back")
    client.set_registered_model_alias(model_name, "champion", aliases["previous"])
    return int(aliases["previous"])
"""
        },
        "fails": ["test_rollback_visible"],
    },
    {
        "name": "rollback: tags the version it goes back to",
        "why": "reads 'tags ... rolled_back' as the version rolled back to",
        "cells": {
            "roll_back": _ROLLBACK_HEAD
            + """    aliases = client.get_registered_model(model_name).aliases
    if "previous" not in aliases:
        raise ValueError("nothing to roll back to")
    client.set_model_version_tag(model_name, aliases["previous"], "rollout", "rolled_back")
    client.set_registered_model_alias(model_name, "champion", aliases["previous"])
    client.delete_registered_model_alias(model_name, "previous")
    return int(aliases["previous"])
"""
        },
        "fails": ["test_rollback_visible"],
    },
    {
        "name": "rollback: returns the degraded version",
        "why": "returns the version it took out of service",
        "cells": {
            "roll_back": _ROLLBACK_HEAD
            + """    aliases = client.get_registered_model(model_name).aliases
    if "previous" not in aliases:
        raise ValueError("nothing to roll back to")
    client.set_model_version_tag(model_name, aliases["champion"], "rollout", "rolled_back")
    client.set_registered_model_alias(model_name, "champion", aliases["previous"])
    client.delete_registered_model_alias(model_name, "previous")
    return int(aliases["champion"])
"""
        },
        "fails": ["test_rollback_visible"],
    },
]

TASKS |= {"reproduce": ["reproduce_run"], "monitoring": ["monitoring_decision"]}

_REPRODUCE_HEAD = '''def reproduce_run(client, run_id: str, data: pd.DataFrame) -> dict:
    """Rebuild the rows and the model of run `run_id` from `data`; compare the ROC AUC with the logged one."""
'''
_REPRODUCE_BODY = """    run = client.get_run(run_id)
    p = run.data.params
    first, last = p["first_month"], p["last_month"]
    known = labelled_as_of(data, p["labels_as_of"])
    rows = known[known["month"].between(first, last)]
    if dataset_fingerprint(rows) != run.data.tags.get("data_fingerprint"):
        raise ValueError("the data changed")
    model = train_credit_model(rows[rows["month"] < last], C=float(p["C"]), random_state=int(p["random_state"]))
    auc = float(evaluate_credit_model(model, rows[rows["month"] == last])["roc_auc"])
    logged = float(run.data.metrics["val_roc_auc"])
    return {"roc_auc": auc, "logged_roc_auc": logged, "reproduced": abs(auc - logged) <= 1e-4}
"""


def _reproduce(*edits: tuple[str, str]) -> dict[str, str]:
    body = _REPRODUCE_BODY
    for old, new in edits:
        assert body.count(old) == 1, old
        body = body.replace(old, new)
    return {"reproduce_run": _REPRODUCE_HEAD + body}


_MONITOR_HEAD = '''def monitoring_decision(reference: pd.DataFrame, current: pd.DataFrame) -> tuple:
    """'keep', 'rollback' or 'wait' for the served champion, and the Evidently snapshots behind it."""
'''
_MONITOR_BODY = """    from evidently import DataDefinition, Dataset, Report
    from evidently.metrics import LogLoss, MeanValue, RocAuc, ValueDrift

    scores = DataDefinition(numerical_columns=["prediction"])
    drift = Report([ValueDrift(column="prediction", method="psi")]).run(
        Dataset.from_pandas(current[["prediction"]], data_definition=scores),
        Dataset.from_pandas(reference[["prediction"]], data_definition=scores),
    )
    psi_value = float(drift.dict()["metrics"][0]["value"])
    labelled = current.dropna(subset=["defaulted"])
    if len(labelled) < 50:
        return "wait", [drift]
    both = DataDefinition(numerical_columns=["prediction", "defaulted"])
    quality = Report([MeanValue(column="prediction"), MeanValue(column="defaulted")]).run(
        Dataset.from_pandas(labelled, data_definition=both), None
    )
    means = [float(m["value"]) for m in quality.dict()["metrics"]]
    gap = means[1] - means[0]
    return ("rollback" if abs(gap) > 0.03 else "keep"), [drift, quality]
"""


def _monitor(*edits: tuple[str, str]) -> dict[str, str]:
    body = _MONITOR_BODY
    for old, new in edits:
        assert body.count(old) == 1, old
        body = body.replace(old, new)
    return {"monitoring_decision": _MONITOR_HEAD + body}


ALTERNATIVES += [
    {
        "name": "reproduce with mlflow.get_run, masks and scikit-learn's ROC AUC",
        "why": "the fluent API, a boolean mask in the data's order, roc_auc_score unrounded",
        "cells": {
            "reproduce_run": _REPRODUCE_HEAD
            + """    from sklearn.metrics import roc_auc_score

    run = mlflow.get_run(run_id)
    params, tags = run.data.params, run.data.tags
    mask = (
        (data["label_available_at"] <= pd.Timestamp(params["labels_as_of"]))
        & (data["month"] >= params["first_month"])
        & (data["month"] <= params["last_month"])
    )
    rows = data[mask]
    if dataset_fingerprint(rows) != tags["data_fingerprint"]:
        raise ValueError(f"run {run_id} was trained on other data")
    train = rows[rows["month"] != params["last_month"]]
    valid = rows[rows["month"] == params["last_month"]]
    model = train_credit_model(train, random_state=int(params["random_state"]), C=float(params["C"]))
    auc = roc_auc_score(valid[TARGET].astype(int), model.predict_proba(valid[list(FEATURES)])[:, 1])
    logged = run.data.metrics["val_roc_auc"]
    return {"roc_auc": float(auc), "logged_roc_auc": float(logged), "reproduced": bool(abs(auc - logged) <= 1e-4)}
"""
        },
    },
    {
        "name": "monitoring on ROC AUC, log loss and a ratio of observed to predicted defaults",
        "why": "classification metrics in one report on the labelled rows, a ratio rule instead of a difference",
        "cells": {
            "monitoring_decision": _MONITOR_HEAD
            + """    from evidently import BinaryClassification, DataDefinition, Dataset, Report
    from evidently.metrics import LogLoss, RocAuc, ValueDrift

    definition = DataDefinition(numerical_columns=["prediction"])
    snapshots = [
        Report([ValueDrift(column="prediction")]).run(
            Dataset.from_pandas(current[["prediction"]], data_definition=definition),
            Dataset.from_pandas(reference[["prediction"]], data_definition=definition),
        )
    ]
    labelled = current[current["defaulted"].notna()]
    if len(labelled) < 50:
        return "wait", snapshots
    definition = DataDefinition(
        numerical_columns=["prediction"],
        classification=[BinaryClassification(target="defaulted", prediction_probas="prediction")],
    )
    snapshots.append(
        Report([RocAuc(), LogLoss()]).run(
            Dataset.from_pandas(labelled.astype({"defaulted": int}), data_definition=definition), None
        )
    )
    # evidence: observed default rate over predicted; 30 % off either way means the link changed
    ratio = labelled["defaulted"].mean() / labelled["prediction"].mean()
    return ("keep" if 0.7 <= ratio <= 1.3 else "rollback"), snapshots
"""
        },
    },
]

MISTAKES += [
    # task 6 · reproduce_run
    {
        "name": "reproduce: every label, not the ones known on labels_as_of",
        "why": "the generated data has every label; forgets the labels arrived late",
        "cells": _reproduce(
            ('known = labelled_as_of(data, p["labels_as_of"])', "known = data"),
        ),
        "fails": ["test_reproduce_visible", "test_reproduce_hidden"],
    },
    {
        "name": "reproduce: parameters used as the strings MLflow returns",
        "why": "passes C='0.5' to the model",
        "cells": _reproduce(
            ('C=float(p["C"]), random_state=int(p["random_state"])', 'C=p["C"], random_state=p["random_state"]')
        ),
        "fails": ["test_reproduce_visible", "test_reproduce_hidden"],
    },
    {
        "name": "reproduce: trained on every month, validation month included",
        "why": "reads 'rows' as the training rows",
        "cells": _reproduce(
            ('model = train_credit_model(rows[rows["month"] < last],', "model = train_credit_model(rows,")
        ),
        "fails": ["test_reproduce_visible", "test_reproduce_hidden"],
    },
    {
        "name": "reproduce: no fingerprint check",
        "why": "trusts the data to be the same",
        "cells": _reproduce(
            (
                '    if dataset_fingerprint(rows) != run.data.tags.get("data_fingerprint"):\n        raise ValueError("the data changed")\n',
                "",
            ),
        ),
        "fails": ["test_reproduce_hidden"],
    },
    {
        "name": "reproduce: reproduced whenever the fingerprint matches",
        "why": "takes a matching fingerprint as proof and never compares the metric",
        "cells": _reproduce(('"reproduced": abs(auc - logged) <= 1e-4', '"reproduced": True')),
        "fails": ["test_reproduce_hidden"],
    },
    # task 7 · monitoring_decision
    {
        "name": "monitoring: rolls back on prediction drift",
        "why": "takes a major PSI of the scores as proof that the model is wrong",
        "cells": _monitor(
            (
                'return ("rollback" if abs(gap) > 0.03 else "keep")',
                'return ("rollback" if psi_value > 0.25 else "keep")',
            )
        ),
        "fails": ["test_evidently_visible", "test_evidently_hidden"],
    },
    {
        "name": "monitoring: rolls back when the log loss is high",
        "why": "a log loss above 0.35 also comes with riskier applicants, not only a broken model",
        "cells": _monitor(
            ("    both = DataDefinition(", "    import sklearn.metrics\n\n    both = DataDefinition("),
            (
                'return ("rollback" if abs(gap) > 0.03 else "keep")',
                'loss = sklearn.metrics.log_loss(labelled["defaulted"].astype(int), labelled["prediction"])\n'
                '    return ("rollback" if loss > 0.35 else "keep")',
            ),
        ),
        "fails": ["test_evidently_visible", "test_evidently_hidden"],
    },
    {
        "name": "monitoring: unknown labels counted as no default",
        "why": "fillna(0) so that every row has a label",
        "cells": _monitor(
            (
                'labelled = current.dropna(subset=["defaulted"])',
                'labelled = current.fillna({"defaulted": 0.0}).iloc[: len(current) if current["defaulted"].notna().sum() >= 50 else 0]',
            )
        ),
        "fails": ["test_evidently_hidden"],
    },
    {
        "name": "monitoring: waits only when no label at all",
        "why": "misses the 50-label minimum",
        "cells": _monitor(("if len(labelled) < 50:", "if len(labelled) == 0:")),
        "fails": ["test_evidently_hidden"],
    },
    {
        "name": "monitoring: the drift report skipped",
        "why": "only the labelled report, since the decision uses the labels",
        "cells": _monitor(('return "wait", [drift]', 'return "wait", []'), ("[drift, quality]", "[quality]")),
        "fails": ["test_evidently_visible", "test_evidently_hidden"],
    },
]
