"""Unit tests for mlops_course.production.serving (alias cache, HTTP app, server process)."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest

from mlops_course.production.serving import AliasModelCache, ModelHttpClient, create_app, serve_registered_model
from mlops_course.util import free_port


class FakeRegistry:
    """Stands in for MlflowClient: only get_registered_model(name).aliases."""

    def __init__(self, aliases: dict[str, str]) -> None:
        self.aliases = dict(aliases)

    def get_registered_model(self, name: str):
        return SimpleNamespace(aliases=dict(self.aliases))


class FakeModel:
    def __init__(self, version: int) -> None:
        self.version = version

    def predict(self, frame: pd.DataFrame) -> np.ndarray:
        if "x" not in frame.columns:
            raise ValueError("missing column x")
        p = np.full(len(frame), self.version / 10)
        return np.column_stack([1 - p, p])


def make_cache(aliases=None):
    loads: list[int] = []

    def loader(name: str, version: int) -> FakeModel:
        loads.append(version)
        return FakeModel(version)

    registry = FakeRegistry(aliases if aliases is not None else {"champion": "1"})
    return AliasModelCache("credit", ["champion", "challenger"], client=registry, loader=loader), registry, loads


def test_cache_follows_the_alias_only_on_reload_and_loads_each_version_once():
    cache, registry, loads = make_cache()
    assert cache.versions() == {"champion": 1, "challenger": None}
    registry.aliases["champion"] = "2"
    assert cache.predict("champion", pd.DataFrame({"x": [0.0]}))[0] == 1
    assert cache.reload() == {"champion": 2, "challenger": None}
    version, probabilities = cache.predict("champion", pd.DataFrame({"x": [0.0, 1.0]}))
    assert version == 2 and probabilities.tolist() == [0.2, 0.2]
    registry.aliases["champion"] = "1"
    cache.reload()
    assert loads == [1, 2]


def test_cache_errors_name_the_alias():
    cache, _, _ = make_cache()
    with pytest.raises(LookupError, match="challenger"):
        cache.model("challenger")
    with pytest.raises(KeyError, match="staging"):
        cache.model("staging")
    with pytest.raises(ValueError, match="aliases"):
        AliasModelCache("credit", "champion", client=FakeRegistry({}), loader=lambda n, v: None)


def test_app_serves_predicts_reloads_and_rejects_bad_input():
    from fastapi.testclient import TestClient

    cache, registry, _ = make_cache()
    client = TestClient(create_app(cache))
    assert client.get("/health").json()["aliases"] == {"champion": 1, "challenger": None}
    response = client.post("/predict/champion", json={"records": [{"x": 1.0}, {"x": 2.0}]})
    assert response.status_code == 200 and response.json() == {
        "alias": "champion",
        "version": 1,
        "probabilities": [0.1, 0.1],
    }
    assert client.post("/predict/challenger", json={"records": [{"x": 1.0}]}).status_code == 404
    assert client.post("/predict/champion", json={"records": [{"y": 1.0}]}).status_code == 400
    assert client.post("/predict/champion", json={"records": []}).status_code == 422
    registry.aliases["challenger"] = "3"
    assert client.post("/reload").json()["aliases"] == {"champion": 1, "challenger": 3}
    assert client.post("/predict/challenger", json={"records": [{"x": 1.0}]}).json()["version"] == 3


def test_client_and_server_refuse_bad_arguments():
    with pytest.raises(ValueError, match="http"):
        ModelHttpClient("127.0.0.1:8000")
    with pytest.raises(ValueError, match="aliases"), serve_registered_model("credit", aliases="champion"):
        pass
    with pytest.raises(ValueError, match="startup_timeout"), serve_registered_model("credit", startup_timeout=0):
        pass
    assert 1024 < free_port() < 65536


@pytest.mark.integration
def test_real_server_process_serves_by_alias_and_stops(tmp_path):
    import mlflow

    from mlops_course.data import FEATURES, generate_applications
    from mlops_course.models import train_credit_model
    from mlops_course.production import registry
    from mlops_course.tracking import configure

    configure("test-serving")
    registry.allow_trusted_model_loading()
    client = mlflow.MlflowClient()
    name = "test-serving-credit"
    registry.reset_registered_model(client, name)
    frame = generate_applications(600, n_months=2, seed=5)
    version = registry.register_version(
        client, name, registry.log_credit_model(train_credit_model(frame), input_example=frame[list(FEATURES)].head(2))
    )
    client.set_registered_model_alias(name, "champion", version)
    with serve_registered_model(name, ["champion"]) as server:
        http = ModelHttpClient(server.url)
        served_version, probabilities = http.predict(frame[list(FEATURES)].head(3))
        assert served_version == version and probabilities.shape == (3,)
        process = server.process
    assert process.poll() is not None, "the server process must be stopped on exit"


def test_app_exposes_prometheus_metrics_for_every_predict_request():
    from fastapi.testclient import TestClient

    from mlops_course.production.metrics import parse_metrics

    cache, registry, _ = make_cache()
    client = TestClient(create_app(cache))
    client.post("/predict/champion", json={"records": [{"x": 1.0}]})
    client.post("/predict/champion", json={"records": [{"y": 1.0}]})
    client.post("/predict/champion", json={"records": []})
    client.post("/predict/no-such-alias", json={"records": [{"x": 1.0}]})
    registry.aliases["challenger"] = "3"
    client.post("/reload")
    page = client.get("/metrics")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/plain")
    samples = parse_metrics(page.text)
    counts = samples[samples["name"] == "model_requests_total"].set_index(["alias", "version", "status"])["value"]
    expected_counts = {
        ("champion", "1", "200"): 1.0,
        ("champion", "1", "400"): 1.0,
        ("champion", "1", "422"): 1.0,
        ("other", "none", "404"): 1.0,
    }
    assert counts.to_dict() == expected_counts
    latency_count = samples[(samples["name"] == "model_request_duration_seconds_count")]
    assert latency_count["value"].sum() == 4.0
    versions = samples[samples["name"] == "model_served_version"].set_index("alias")["value"].to_dict()
    assert versions == {"champion": 1.0, "challenger": 3.0}
