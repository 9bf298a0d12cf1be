"""Unit tests for mlops_course.production.rollout (traffic split, shadow and canary replays, A/B test)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from mlops_course.production.rollout import (
    arm_metrics,
    calibration_interval,
    canary_replay,
    in_share,
    required_sample_size,
    shadow_replay,
    split_traffic,
    two_proportion_test,
)


def constant_predictor(version: int, probability: float):
    """A fake served model: always the same version and probability."""
    return lambda frame: (version, np.full(len(frame), probability))


def failing_predictor(frame):
    raise RuntimeError("the server answered 400")


REQUESTS = pd.DataFrame({"application_id": [f"APP-{i:05d}" for i in range(400)], "x": np.arange(400.0)})


def test_split_is_sticky_and_close_to_the_share():
    keys = [f"APP-{i}" for i in range(4_000)]
    first, second = split_traffic(keys, 0.2), split_traffic(keys, 0.2)
    assert np.array_equal(first, second)
    assert 0.17 < first.mean() < 0.23
    assert split_traffic(keys, 0.2, salt="other").tolist() != first.tolist()
    assert not split_traffic(keys, 0.0).any() and split_traffic(keys, 1.0).all()


def test_in_share_rejects_a_share_outside_0_1():
    with pytest.raises(ValueError, match="share"):
        in_share("APP-1", 1.5)


def test_shadow_answers_with_the_primary_and_logs_the_shadow():
    log = shadow_replay(REQUESTS.head(20), constant_predictor(1, 0.1), constant_predictor(2, 0.4), features=["x"])
    assert (log["answer"] == 0.1).all() and (log["shadow_probability"] == 0.4).all()
    assert set(log["primary_version"]) == {1} and set(log["shadow_version"]) == {2}
    assert log.index.equals(REQUESTS.head(20).index)


def test_shadow_failure_never_reaches_the_caller():
    log = shadow_replay(REQUESTS.head(5), constant_predictor(1, 0.1), failing_predictor, features=["x"])
    assert log["primary_ok"].all() and not log["shadow_ok"].any()
    assert (log["answer"] == 0.1).all()


def test_canary_routes_the_share_and_measures_each_arm():
    log = canary_replay(REQUESTS, constant_predictor(1, 0.1), constant_predictor(2, 0.3), share=0.25, features=["x"])
    expected_canary = split_traffic(REQUESTS["application_id"].tolist(), 0.25)
    assert np.array_equal(log["arm"].eq("canary").to_numpy(), expected_canary)
    assert set(log.loc[log["arm"] == "canary", "version"]) == {2}
    labels = pd.Series(0.0, index=REQUESTS.index)
    labels.iloc[::5] = 1.0  # observed default rate 0.2
    metrics = arm_metrics(log, labels)
    assert metrics.loc["canary", "requests"] == int(expected_canary.sum())
    assert metrics.loc["stable", "calibration_gap"] == pytest.approx(0.2 - 0.1, abs=0.03)
    assert metrics.loc["canary", "calibration_gap"] == pytest.approx(0.2 - 0.3, abs=0.05)
    assert metrics.loc["canary", "error_rate"] == 0.0


def test_arm_metrics_counts_errors_and_handles_missing_labels():
    log = canary_replay(REQUESTS.head(100), constant_predictor(1, 0.1), failing_predictor, share=0.5, features=["x"])
    metrics = arm_metrics(log)
    assert metrics.loc["canary", "error_rate"] == 1.0 and metrics.loc["stable", "error_rate"] == 0.0
    assert metrics.loc["stable", "labelled"] == 0 and np.isnan(metrics.loc["stable", "log_loss"])
    with pytest.raises(ValueError, match="lacks columns"):
        arm_metrics(log.drop(columns="ok"))


def test_canary_needs_the_key_column():
    with pytest.raises(ValueError, match="key column"):
        canary_replay(
            REQUESTS.drop(columns="application_id"), failing_predictor, failing_predictor, share=0.1, features=["x"]
        )


def test_two_proportion_test_matches_a_hand_computation():
    result = two_proportion_test(700, 1_000, 740, 1_000)
    assert result["difference"] == pytest.approx(0.04)
    se = np.sqrt(0.7 * 0.3 / 1_000 + 0.74 * 0.26 / 1_000)
    assert result["ci_low"] == pytest.approx(0.04 - 1.959964 * se, abs=1e-5)
    assert result["ci_high"] == pytest.approx(0.04 + 1.959964 * se, abs=1e-5)
    pooled = 0.72
    z = 0.04 / np.sqrt(pooled * (1 - pooled) * 2 / 1_000)
    assert result["z"] == pytest.approx(z) and 0.04 < result["p_value"] < 0.06


@pytest.mark.parametrize(
    ("args", "message"), [((5, 0, 1, 10), "arm a"), ((1, 10, 11, 10), "arm b"), ((1, 10, 1, 10, 1.2), "confidence")]
)
def test_two_proportion_test_rejects_bad_counts(args, message):
    with pytest.raises(ValueError, match=message):
        two_proportion_test(*args)


def test_batched_canary_routes_like_the_one_by_one_replay():
    def echo(version):
        return lambda frame: (version, frame["x"].to_numpy() / 1000.0)

    one_by_one = canary_replay(REQUESTS, echo(1), echo(2), share=0.3, features=["x"])
    batched = canary_replay(REQUESTS, echo(1), echo(2), share=0.3, features=["x"], batch_size=64)
    pd.testing.assert_series_equal(batched["arm"], one_by_one["arm"])
    np.testing.assert_allclose(batched["probability"], one_by_one["probability"])
    assert batched["version"].tolist() == one_by_one["version"].tolist() and batched["ok"].all()
    failing = canary_replay(REQUESTS.head(50), echo(1), failing_predictor, share=0.5, features=["x"], batch_size=8)
    assert not failing.loc[failing["arm"] == "canary", "ok"].any()
    assert failing.loc[failing["arm"] == "stable", "ok"].all()
    with pytest.raises(ValueError, match="batch_size"):
        canary_replay(REQUESTS, echo(1), echo(2), share=0.3, features=["x"], batch_size=0)


def test_calibration_interval_is_the_mean_residual_with_a_normal_interval():
    labels = np.array([1, 0, 0, 0, 1, 0, 0, 0, 0, 0] * 10, dtype=float)
    probabilities = np.full(100, 0.15)
    actual = calibration_interval(labels, probabilities)
    expected_se = np.std(labels - probabilities, ddof=1) / 10
    assert actual["n"] == 100
    assert actual["gap"] == pytest.approx(0.05)
    assert actual["se"] == pytest.approx(expected_se)
    assert actual["ci_low"] == pytest.approx(0.05 - 1.959964 * expected_se, abs=1e-6)
    assert actual["half_width"] == pytest.approx(actual["ci_high"] - actual["gap"])
    narrower = calibration_interval(np.tile(labels, 4), np.tile(probabilities, 4))
    assert narrower["half_width"] == pytest.approx(actual["half_width"] / 2, rel=0.02)
    with pytest.raises(ValueError, match="one length"):
        calibration_interval(labels, probabilities[:5])
    with pytest.raises(ValueError, match="at least 2"):
        calibration_interval([1.0], [0.5])


def test_required_sample_size_matches_the_textbook_formula():
    # (1.959964 + 0.841621)**2 * (0.5*0.5 + 0.55*0.45) / 0.05**2 = 1561.93 -> 1562
    assert required_sample_size(0.5, 0.05) == 1562
    assert required_sample_size(0.711, 0.02) > 5 * required_sample_size(0.711, 0.05)
    assert required_sample_size(0.5, 0.05, power=0.9) > required_sample_size(0.5, 0.05)
    with pytest.raises(ValueError, match="difference"):
        required_sample_size(0.5, 0.0)
    with pytest.raises(ValueError, match="power"):
        required_sample_size(0.5, 0.05, power=1.5)
