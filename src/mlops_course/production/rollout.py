"""Safe updates, the plumbing: traffic splitting, shadow and canary replays, the A/B test.

A *predictor* is any function ``frame -> (version, probabilities)``: a served alias over
HTTP (:meth:`mlops_course.production.serving.ModelHttpClient.predictor`) or an in-process fake.
The rules that decide (promote, roll back) are written in the notebooks, where the learner
reads them; this module only moves the traffic and measures it.
"""

from __future__ import annotations

import hashlib
import math
import time
from collections.abc import Callable, Sequence

import numpy as np
import pandas as pd

from mlops_course.checks import (
    BadType,
    BadValue,
    check_callable,
    check_count,
    check_frame,
    check_names,
    check_number,
    describe,
)

Predictor = Callable[[pd.DataFrame], tuple[int, np.ndarray]]


def in_share(key: str, share: float, salt: str = "canary") -> bool:
    """Whether ``key`` (e.g. an applicant id) falls in the first ``share`` of traffic.

    Hashing makes the split sticky: the same key always gets the same answer for a salt,
    so one applicant is not scored by two models on two visits.
    """
    share = check_number("share", share, low=0.0, high=1.0)
    digest = hashlib.sha256(f"{salt}:{key}".encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64 < float(share)


def split_traffic(keys: Sequence[str], share: float, salt: str = "canary") -> np.ndarray:
    """Boolean mask: ``True`` for the keys routed to the new model (see :func:`in_share`)."""
    if isinstance(keys, (str, bytes)) or not isinstance(keys, (Sequence, pd.Series, np.ndarray, pd.Index)):
        raise BadType(
            f"keys must be a list of keys (e.g. application ids), got {keys!r:.60}; for one key use in_share."
        )
    share = check_number("share", share, low=0.0, high=1.0)
    return np.array([in_share(str(k), share, salt) for k in keys], dtype=bool)


def _timed(predictor: Predictor, frame: pd.DataFrame) -> tuple[int | None, float, float, bool]:
    started = time.perf_counter()
    try:
        version, probabilities = predictor(frame)
        probability, ok = float(np.asarray(probabilities, dtype=float)[0]), True
    except Exception:  # an error is a measurement of the service
        version, probability, ok = None, float("nan"), False
    return version, probability, (time.perf_counter() - started) * 1000.0, ok


def shadow_replay(
    requests: pd.DataFrame, primary: Predictor, shadow: Predictor, *, features: Sequence[str]
) -> pd.DataFrame:
    """Send each request to both models; the primary answers, the shadow is only logged.

    Args:
        requests: one application per row.
        primary: the model whose answer the caller gets.
        shadow: the candidate, scored on the same request; its answer is never returned.
        features: the columns to send.

    Returns:
        One row per request: ``answer`` (what the caller got), ``primary_version``,
        ``shadow_version``, ``shadow_probability``, ``primary_ok``, ``shadow_ok``.
    """
    check_callable("primary", primary, "a predictor (frame -> (version, probabilities))")
    check_callable("shadow", shadow, "a predictor (frame -> (version, probabilities))")
    features = check_names("features", features)
    check_frame("requests", requests, required=features, non_empty=False)
    rows = []
    for i in range(len(requests)):
        one = requests.iloc[[i]][list(features)]
        p_version, p_prob, _, p_ok = _timed(primary, one)
        s_version, s_prob, _, s_ok = _timed(shadow, one)
        rows.append((p_prob, p_version, s_version, s_prob, p_ok, s_ok))
    columns = ["answer", "primary_version", "shadow_version", "shadow_probability", "primary_ok", "shadow_ok"]
    return pd.DataFrame(rows, columns=columns, index=requests.index)


def canary_replay(
    requests: pd.DataFrame,
    stable: Predictor,
    canary: Predictor,
    *,
    share: float,
    features: Sequence[str],
    key_column: str = "application_id",
    salt: str = "canary",
    batch_size: int = 1,
) -> pd.DataFrame:
    """Route each request to the canary (a ``share`` of keys) or the stable model.

    Args:
        batch_size: 1 (the default) sends one request per application, as live traffic
            does; more sends each arm's applications in batches of that size, which is
            faster for a replay whose purpose is the decisions, not the latency (every row
            of a batch gets the batch's latency and its ``ok``).

    Returns:
        One row per request: ``arm`` (``"stable"``/``"canary"``), ``version``,
        ``probability``, ``latency_ms`` and ``ok``, indexed like ``requests``.
    """
    check_callable("stable", stable, "a predictor (frame -> (version, probabilities))")
    check_callable("canary", canary, "a predictor (frame -> (version, probabilities))")
    features = check_names("features", features)
    check_frame("requests", requests, non_empty=False)
    if key_column not in requests.columns:
        raise ValueError(f"requests needs the key column {key_column!r} to split traffic by.")
    check_frame("requests", requests, required=features, non_empty=False)
    share = check_number("share", share, low=0.0, high=1.0)
    if not isinstance(batch_size, (int, np.integer)) or batch_size < 1:
        raise ValueError(f"batch_size must be a whole number of at least 1, got {batch_size!r}.")
    to_canary = split_traffic(requests[key_column].astype(str).tolist(), share, salt)
    if batch_size > 1:
        return _batched_replay(requests, to_canary, stable, canary, features, int(batch_size))
    rows = []
    for i, goes_to_canary in enumerate(to_canary):
        one = requests.iloc[[i]][list(features)]
        version, probability, latency, ok = _timed(canary if goes_to_canary else stable, one)
        rows.append(("canary" if goes_to_canary else "stable", version, probability, latency, ok))
    return pd.DataFrame(rows, columns=["arm", "version", "probability", "latency_ms", "ok"], index=requests.index)


def _batched_replay(
    requests: pd.DataFrame,
    to_canary: np.ndarray,
    stable: Predictor,
    canary: Predictor,
    features: Sequence[str],
    batch_size: int,
) -> pd.DataFrame:
    log = pd.DataFrame(
        {"arm": np.where(to_canary, "canary", "stable"), "version": None, "probability": np.nan, "latency_ms": np.nan},
        index=requests.index,
    )
    log["ok"] = False
    for arm, predictor in (("canary", canary), ("stable", stable)):
        positions = np.flatnonzero(log["arm"].to_numpy() == arm)
        for start in range(0, len(positions), batch_size):
            chunk = positions[start : start + batch_size]
            started = time.perf_counter()
            try:
                version, probabilities = predictor(requests.iloc[chunk][list(features)])
                values, ok = np.asarray(probabilities, dtype=float), True
            except Exception:  # an error is a measurement of the service
                version, values, ok = None, np.full(len(chunk), np.nan), False
            index = requests.index[chunk]
            log.loc[index, "version"] = version
            log.loc[index, "probability"] = values
            log.loc[index, "latency_ms"] = (time.perf_counter() - started) * 1000.0
            log.loc[index, "ok"] = ok
    return log.astype({"ok": bool, "probability": float, "latency_ms": float})


def calibration_interval(labels: object, probabilities: object, confidence: float = 0.95) -> dict[str, float]:
    """The calibration gap (observed default rate minus mean predicted probability) with its confidence interval.

    The gap is the mean of ``label - probability`` over the requests; its standard error
    is their standard deviation over the square root of their number (normal
    approximation, fine from a few dozen requests on).

    Args:
        labels: 0/1 outcomes of the labelled requests.
        probabilities: the predicted probabilities of the same requests.
        confidence: level of the interval, e.g. 0.95.

    Returns:
        ``n``, ``gap``, ``se``, ``ci_low``, ``ci_high`` and ``half_width``.
    """
    from scipy.stats import norm

    confidence = check_number("confidence", confidence, low=0.5, high=1.0, high_open=True)
    y, p = _floats("labels", labels), _floats("probabilities", probabilities)
    if y.shape != p.shape or y.ndim != 1:
        raise ValueError(f"labels and probabilities must be 1-d and of one length, got {y.shape} and {p.shape}.")
    if len(y) < 2 or np.isnan(y).any() or np.isnan(p).any():
        raise ValueError("need at least 2 labelled requests and no missing values in labels or probabilities.")
    if not 0.5 <= float(confidence) < 1.0:
        raise ValueError(f"confidence must be in [0.5, 1), e.g. 0.95, got {confidence!r}.")
    residual = y - p
    gap, se = float(residual.mean()), float(residual.std(ddof=1) / math.sqrt(len(residual)))
    half_width = float(norm.ppf(0.5 + confidence / 2)) * se
    return {
        "n": len(y),
        "gap": gap,
        "se": se,
        "ci_low": gap - half_width,
        "ci_high": gap + half_width,
        "half_width": half_width,
    }


def _floats(name: str, values: object) -> np.ndarray:
    """``values`` as a float array, or a clear error naming the argument (``None``, ``'low'``)."""
    try:
        return np.asarray(values, dtype=float)
    except (TypeError, ValueError):
        raise BadType(f"{name} must be numbers, got {describe(values)}.") from None


def required_sample_size(rate_a: float, difference: float, *, alpha: float = 0.05, power: float = 0.8) -> int:
    """Requests per arm a two-proportion test needs to detect ``difference`` with the given power.

    The usual normal-approximation formula: ``n = (z_{1-alpha/2} + z_{power})**2 *
    (p_a (1 - p_a) + p_b (1 - p_b)) / difference**2`` with ``p_b = p_a + difference``.

    Args:
        rate_a: the control arm's rate, e.g. 0.71 correct decisions.
        difference: the smallest change worth detecting, e.g. 0.02.
        alpha: the test's two-sided significance level.
        power: the chance of detecting the difference when it is real.

    Returns:
        The number per arm, rounded up.
    """
    from scipy.stats import norm

    rate_a = check_number("rate_a", rate_a, low=0.0, high=1.0, low_open=True, high_open=True)
    difference = check_number("difference", difference, low=-1.0, high=1.0)
    alpha = check_number("alpha", alpha, low=0.0, high=1.0, low_open=True, high_open=True)
    power = check_number("power", power, low=0.0, high=1.0, low_open=True, high_open=True)
    rate_b = float(rate_a) + float(difference)
    if not (0 < float(rate_a) < 1 and 0 < rate_b < 1) or float(difference) == 0:
        raise ValueError(
            f"rate_a and rate_a + difference must lie strictly between 0 and 1, and difference must not be 0; "
            f"got rate_a={rate_a!r}, difference={difference!r}."
        )
    if not (0 < float(alpha) < 1 and 0 < float(power) < 1):
        raise ValueError(f"alpha and power must lie between 0 and 1, got alpha={alpha!r}, power={power!r}.")
    z = float(norm.ppf(1 - float(alpha) / 2) + norm.ppf(float(power)))
    variance = float(rate_a) * (1 - float(rate_a)) + rate_b * (1 - rate_b)
    return math.ceil(z**2 * variance / float(difference) ** 2)


def arm_metrics(log: pd.DataFrame, labels: pd.Series | None = None) -> pd.DataFrame:
    """Service and quality metrics per arm of a canary or A/B log.

    Args:
        log: from :func:`canary_replay` (``arm``, ``probability``, ``latency_ms``, ``ok``).
        labels: the true outcome per request (same index), where known; NaN where not.

    Returns:
        One row per arm: ``requests``, ``error_rate``, ``p95_latency_ms``, ``mean_probability``,
        ``labelled``, ``default_rate`` (observed), ``calibration_gap`` (observed default rate
        minus mean predicted probability) and ``log_loss``, over labelled, successful requests;
        rounded. Different arms see different applicants, so compare quality across arms
        only with enough labelled requests.
    """
    check_frame("log", log, non_empty=False)
    missing = {"arm", "probability", "latency_ms", "ok"} - set(log.columns)
    if labels is not None and not isinstance(labels, pd.Series):
        raise BadType(f"labels must be a pandas Series indexed like log (or None), got {type(labels).__name__}.")
    if labels is not None and len(labels) and len(log) and not labels.index.isin(log.index).any():
        raise BadValue(
            "labels share no index label with log, so no request would count as labelled; "
            "index labels like the requests you replayed (labels = frame.loc[log.index, 'defaulted'])."
        )
    if missing:
        raise ValueError(f"log lacks columns {sorted(missing)}; pass what canary_replay returned.")
    rows = {}
    for arm, group in log.groupby("arm", sort=True):
        served = group[group["ok"]]
        row = {
            "requests": int(len(group)),
            "error_rate": round(float(1.0 - group["ok"].mean()), 4),
            "p95_latency_ms": round(float(np.percentile(served["latency_ms"], 95)), 1) if len(served) else float("nan"),
            "mean_probability": round(float(served["probability"].mean()), 4) if len(served) else float("nan"),
            "labelled": 0,
            "default_rate": float("nan"),
            "calibration_gap": float("nan"),
            "log_loss": float("nan"),
        }
        if labels is not None:
            known = labels.reindex(served.index).dropna()
            if len(known):
                p = np.clip(served.loc[known.index, "probability"].to_numpy(dtype=float), 1e-6, 1 - 1e-6)
                y = known.to_numpy(dtype=float)
                row["labelled"] = int(len(known))
                row["default_rate"] = round(float(y.mean()), 4)
                row["calibration_gap"] = round(float(y.mean() - p.mean()), 4)
                row["log_loss"] = round(float(-np.mean(y * np.log(p) + (1 - y) * np.log(1 - p))), 4)
        rows[arm] = row
    return pd.DataFrame.from_dict(rows, orient="index")


def two_proportion_test(
    successes_a: int, n_a: int, successes_b: int, n_b: int, confidence: float = 0.95
) -> dict[str, float]:
    """Compare two rates (B minus A): difference, its confidence interval, z and two-sided p-value.

    The interval uses the unpooled standard error, the test the pooled one (Wald z-test).

    Args:
        successes_a, n_a: successes and trials of arm A (the control).
        successes_b, n_b: successes and trials of arm B (the treatment).
        confidence: level of the interval, e.g. 0.95.

    Returns:
        ``rate_a``, ``rate_b``, ``difference``, ``ci_low``, ``ci_high``, ``z``, ``p_value``.
    """
    from scipy.stats import norm

    n_a, n_b = check_count("arm a: n_a", n_a, low=1), check_count("arm b: n_b", n_b, low=1)
    successes_a = check_count("arm a: successes_a", successes_a, high=n_a)
    successes_b = check_count("arm b: successes_b", successes_b, high=n_b)
    confidence = check_number("confidence", confidence, low=0.5, high=1.0, high_open=True)
    for name, s, n in (("a", successes_a, n_a), ("b", successes_b, n_b)):
        if int(n) < 1 or not 0 <= int(s) <= int(n):
            raise ValueError(f"arm {name}: need n >= 1 and 0 <= successes <= n, got successes={s!r}, n={n!r}.")
    if not 0.5 <= float(confidence) < 1.0:
        raise ValueError(f"confidence must be in [0.5, 1), e.g. 0.95, got {confidence!r}.")
    rate_a, rate_b = successes_a / n_a, successes_b / n_b
    difference = rate_b - rate_a
    se = math.sqrt(rate_a * (1 - rate_a) / n_a + rate_b * (1 - rate_b) / n_b)
    z_crit = float(norm.ppf(0.5 + confidence / 2))
    pooled = (successes_a + successes_b) / (n_a + n_b)
    se_pooled = math.sqrt(pooled * (1 - pooled) * (1 / n_a + 1 / n_b))
    z = difference / se_pooled if se_pooled > 0 else 0.0
    return {
        "rate_a": rate_a,
        "rate_b": rate_b,
        "difference": difference,
        "ci_low": difference - z_crit * se,
        "ci_high": difference + z_crit * se,
        "z": z,
        "p_value": float(2 * norm.sf(abs(z))),
    }


__all__ = [
    "arm_metrics",
    "calibration_interval",
    "canary_replay",
    "in_share",
    "required_sample_size",
    "shadow_replay",
    "split_traffic",
    "two_proportion_test",
]
