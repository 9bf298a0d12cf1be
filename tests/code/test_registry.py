"""Unit tests for mlops_course.production.registry against a throwaway MLflow store (set by conftest)."""

from __future__ import annotations

import os

import pytest

from mlops_course.data import FEATURES, dataset_fingerprint, generate_applications
from mlops_course.models import train_credit_model


@pytest.fixture(scope="module")
def setup():
    import mlflow

    from mlops_course.production import registry
    from mlops_course.tracking import configure

    configure("test-registry")
    client = mlflow.MlflowClient()
    frame = generate_applications(600, n_months=2, seed=9)
    model = train_credit_model(frame)
    logged = registry.log_credit_model(
        model,
        input_example=frame[list(FEATURES)].head(2),
        params={"kind": "logistic"},
        metrics={"roc_auc": 0.7},
        tags={registry.FINGERPRINT_TAG: dataset_fingerprint(frame)},
    )
    return registry, client, frame, logged


def test_register_versions_aliases_and_table(setup):
    registry, client, _, logged = setup
    name = "test-registry-credit"
    registry.reset_registered_model(client, name)
    first = registry.register_version(client, name, logged, tags={"train": "a"})
    second = registry.register_version(client, name, logged, tags={"train": "b"})
    assert (first, second) == (1, 2)
    client.set_registered_model_alias(name, "champion", first)
    client.set_registered_model_alias(name, "challenger", second)
    assert registry.alias_version(client, name, "champion") == 1
    assert registry.alias_version(client, name, "previous") is None
    table = registry.versions_table(client, name, ("train",))
    assert table.index.tolist() == [1, 2]
    assert table["aliases"].tolist() == ["champion", "challenger"] and table["train"].tolist() == ["a", "b"]
    registry.reset_registered_model(client, name)
    assert registry.register_version(client, name, logged) == 1, "a reset model starts again at version 1"


def test_lineage_leads_back_to_the_run_and_the_data(setup):
    registry, client, frame, logged = setup
    name = "test-registry-lineage"
    registry.reset_registered_model(client, name)
    client.set_registered_model_alias(name, "champion", registry.register_version(client, name, logged))
    found = registry.lineage(client, name, "champion")
    assert found["run_id"] == logged.run_id and found["version"] == 1
    assert found["data_fingerprint"] == dataset_fingerprint(frame)
    assert found["params"] == {"kind": "logistic"} and found["metrics"] == {"roc_auc": 0.7}
    with pytest.raises(ValueError, match="alias 'challenger' is not set"):
        registry.lineage(client, name, "challenger")


def test_logged_model_loads_as_probabilities(setup):
    import mlflow

    registry, _, frame, logged = setup
    registry.allow_trusted_model_loading()
    assert os.environ["MLFLOW_ALLOW_PICKLE_DESERIALIZATION"] == "true"
    predictions = mlflow.pyfunc.load_model(logged.model_uri).predict(frame[list(FEATURES)].head(4))
    assert predictions.shape == (4, 2)


def test_bad_input_is_refused(setup):
    registry, client, _, logged = setup
    with pytest.raises(ValueError, match="predict_proba"):
        registry.log_credit_model(object())
    with pytest.raises(ValueError, match="model_name"):
        registry.register_version(client, " ", logged)
