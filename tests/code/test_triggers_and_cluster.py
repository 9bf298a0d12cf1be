"""Trigger decisions wait for labels; the cluster components name an image that carries the code."""

from __future__ import annotations

import pytest

from mlops_course.workflows import TriggerDecision, TriggerPolicy


def test_a_drift_alarm_without_new_labels_waits_instead_of_retraining() -> None:
    policy = TriggerPolicy(max_days_between_runs=120, min_new_rows=750, max_psi=0.25, min_labelled_rows=250)
    actual = policy.decide("2024-07-31", "2024-06-30", 0, {"credit_score": 0.31})
    assert actual == TriggerDecision("wait for labels", actual.reasons)
    assert actual.triggers == "drift" and not actual.retrain


def test_a_trigger_with_enough_new_labels_retrains() -> None:
    policy = TriggerPolicy(max_days_between_runs=120, min_new_rows=750, max_psi=0.25, min_labelled_rows=250)
    actual = policy.decide("2024-09-30", "2024-06-30", 287, {"credit_score": 0.30, "annual_income": 0.1})
    assert actual.retrain and actual.triggers == "drift"


def test_no_trigger_means_no_action_even_with_labels() -> None:
    actual = TriggerPolicy(min_labelled_rows=10).decide("2024-02-01", "2024-01-01", 100, {"age": 0.01})
    assert actual.action == "none" and actual.triggers == "-"


def test_min_labelled_rows_must_be_positive() -> None:
    with pytest.raises(ValueError, match="min_labelled_rows"):
        TriggerPolicy(min_labelled_rows=0)


def test_cluster_components_run_in_the_built_image_and_the_build_writes_a_dockerfile(tmp_path) -> None:
    from mlops_course.workflows import cluster_components

    images = {cluster_components.container_of(c)["image"] for c in cluster_components.COMPONENTS.values()}
    assert images == {cluster_components.TARGET_IMAGE}
    assert list(cluster_components.COMPONENTS) == ["ingest", "validate", "train", "evaluate", "track", "register"]
    files = cluster_components.write_build_context(tmp_path / "build")
    assert files["Dockerfile"].splitlines()[2] == f"FROM {cluster_components.BASE_IMAGE}"
    assert "mlops-course==0.1.0" in files["runtime-requirements.txt"]
    assert "component_metadata/train.yaml" in files and "train = cluster_components.py" in files["kfp_config.ini"]


def test_write_build_context_refuses_the_package_folder() -> None:
    from pathlib import Path

    from mlops_course.workflows import cluster_components

    with pytest.raises(ValueError, match="separate build folder"):
        cluster_components.write_build_context(Path(cluster_components.__file__).parent)
