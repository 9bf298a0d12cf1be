"""Unit tests of mlops_course.dataquality.stream: the micro-batch handler loses nothing and reacts to incidents."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from mlops_course.data import generate_applications, iter_batches
from mlops_course.dataquality.quality import load_contract
from mlops_course.dataquality.stream import Incident, StreamConfig, StreamHandler, simulate_stream


@pytest.fixture(scope="module")
def contract():
    return load_contract()


@pytest.fixture(scope="module")
def reference():
    return generate_applications(3_000, n_months=3, seed=11)


def run(handler: StreamHandler, stream: pd.DataFrame, size: int = 200) -> StreamHandler:
    for batch in iter_batches(stream, size):
        handler.process(batch)
    return handler


def test_clean_stream_is_processed_without_alerts(contract, reference):
    stream = simulate_stream(n_months=2, rows_per_month=600, seed=2)
    handler = run(StreamHandler(contract, reference, scorer=lambda f: np.full(len(f), 0.1)), stream)
    assert handler.received == handler.processed == len(stream)
    assert handler.alerts.empty
    assert (handler.ledger["route"] == "model").all() and np.allclose(handler.ledger["score"], 0.1)


def test_incidents_are_quarantined_with_reasons_and_nothing_is_lost(contract, reference):
    incidents = [Incident("out_of_range", 0, 0, "mobile_app"), Incident("duplicates", 1, 1, "broker_alpha", 2.0)]
    stream = simulate_stream(incidents, n_months=2, rows_per_month=800, seed=3)
    handler = run(StreamHandler(contract, reference), stream, size=150)
    ledger = handler.ledger
    assert handler.processed + handler.quarantined == handler.received == len(stream) == len(ledger)
    held = ledger[ledger["status"] == "quarantined"]
    assert (held["reason"] != "").all()
    expected_duplicates = int(stream["application_id"].duplicated().sum())
    assert held["reason"].str.contains("duplicate").sum() == expected_duplicates > 0
    assert set(handler.alerts.loc[handler.alerts["kind"] == "quality", "source"]) <= {"mobile_app", "broker_alpha"}
    assert len(handler.quarantine) == handler.quarantined


def test_nulls_are_imputed_and_heavy_imputation_falls_back(contract, reference):
    stream = simulate_stream(
        [Incident("partner_nulls", 0, 0, "broker_beta", 1.6)], n_months=1, rows_per_month=800, seed=4
    )
    handler = run(StreamHandler(contract, reference, scorer=lambda f: np.zeros(len(f))), stream)
    ledger = handler.ledger
    expected_imputed = int(stream["annual_income"].isna().sum())
    assert (ledger["imputed"] != "").sum() == expected_imputed > 0
    assert (ledger.loc[ledger["imputed"] != "", "route"] == "fallback").any()
    assert {"completeness", "fallback"} <= set(handler.alerts["kind"])


def test_model_failure_falls_back_and_alerts(contract, reference):
    def broken(frame: pd.DataFrame) -> np.ndarray:
        raise RuntimeError("model server down")

    handler = run(StreamHandler(contract, reference, scorer=broken), simulate_stream(n_months=1, rows_per_month=300))
    assert (handler.ledger["route"] == "fallback").all()
    assert np.allclose(handler.ledger["score"], reference["defaulted"].mean())
    assert "model_error" in set(handler.alerts["kind"])


def test_persistent_drift_requests_retraining_once(contract, reference):
    stream = simulate_stream([Incident("covariate_drift", 1, 2, intensity=1.5)], n_months=3, rows_per_month=800, seed=5)
    calls: list[int] = []
    handler = run(
        StreamHandler(contract, reference, on_retrain=calls.append, config=StreamConfig(drift_patience=2)), stream
    )
    assert calls == handler.retrain_requested_at and len(calls) == 1
    assert calls[0] >= 800 // 200  # not before the drift starts


def test_bad_input_is_explained(contract, reference):
    with pytest.raises(ValueError, match="scenario"):
        Incident("meteor", 0, 1)
    with pytest.raises(ValueError, match="share"):
        StreamConfig(max_quarantine_share=2)
    with pytest.raises(ValueError, match="reference"):
        StreamHandler(contract, reference.head(10))
    with pytest.raises(ValueError, match="DataFrame"):
        StreamHandler(contract, reference).process([1, 2, 3])
    with pytest.raises(ValueError, match="one source per month"):
        simulate_stream(
            [Incident("partner_nulls", 0, 0, "web_portal"), Incident("duplicates", 0, 0, "mobile_app")], n_months=1
        )
