"""Unit tests for mlops_course.production.model_card (a card from the registry's metadata)."""

from __future__ import annotations

from types import SimpleNamespace

import pandas as pd
import pytest

from mlops_course.production.model_card import model_card, publish_model_card


class FakeMlflowClient:
    """The registry calls the card needs: one model, version 2 as champion, its run."""

    def __init__(self):
        self.logged: dict[tuple[str, str], str] = {}
        self.version_tags = {"train_months": "2024-07..2024-08", "validation_status": "approved"}

    def get_registered_model(self, name):
        return SimpleNamespace(aliases={"champion": "2", "previous": "1"}, description="Probability of default.")

    def get_model_version(self, name, version):
        return SimpleNamespace(run_id="r" * 32, tags=dict(self.version_tags))

    def get_run(self, run_id):
        data = SimpleNamespace(
            tags={"data_fingerprint": "abc123"}, params={"kind": "logistic", "rows": "1575"}, metrics={"roc_auc": 0.75}
        )
        return SimpleNamespace(data=data)

    def log_text(self, run_id, text, artifact_file):
        self.logged[(run_id, artifact_file)] = text

    def set_model_version_tag(self, name, version, key, value):
        self.version_tags[key] = value


def test_card_reports_the_registry_facts_and_the_teams_words():
    fairness = pd.DataFrame({"approval_rate": [0.655, 0.582]}, index=pd.Index(["18-29", "50+"], name="age_band"))
    card = model_card(
        FakeMlflowClient(),
        "credit",
        "champion",
        intended_use="Rank applications for a credit officer.",
        limitations=["Not for applicants outside the training population."],
        fairness=fairness,
        evaluation={"roc_auc": 0.7412},
        evaluation_data="January 2025",
    )
    assert card.startswith("# Model card: credit, version 2")
    for expected in (
        "Version: 2 (aliases: champion)",
        "Produced by run: " + "r" * 32,
        "kind=logistic",
        "Training data fingerprint: abc123",
        "Tag train_months: 2024-07..2024-08",
        "Rank applications for a credit officer.",
        "- roc_auc: 0.75",
        "(January 2025)",
        "- roc_auc: 0.7412",
        "| 50+ | 0.582 |",
        "- Not for applicants outside the training population.",
    ):
        assert expected in card, f"the card lacks {expected!r}"


def test_card_needs_intended_use_and_limits():
    with pytest.raises(ValueError, match="intended_use"):
        model_card(FakeMlflowClient(), "credit", "champion", intended_use=" ", limitations=["x"])
    with pytest.raises(ValueError, match="limitations"):
        model_card(FakeMlflowClient(), "credit", "champion", intended_use="Rank.", limitations="x")


def test_publish_stores_the_card_with_the_run_and_tags_the_version():
    client = FakeMlflowClient()
    card = model_card(client, "credit", "champion", intended_use="Rank.", limitations=["Limits."])
    uri = publish_model_card(client, "credit", 2, card)
    assert uri == f"runs:/{'r' * 32}/model_card.md"
    assert client.logged[("r" * 32, "model_card.md")] == card
    assert client.version_tags["model_card"] == uri
    with pytest.raises(ValueError, match="card"):
        publish_model_card(client, "credit", 2, "hello")
