"""Data tests: the configured training data keeps its promises."""

from credit_project.data import load_applications, validate_applications


def test_training_data_meets_the_contract(config):
    train, holdout = load_applications(config)
    assert validate_applications(train) == []
    assert validate_applications(holdout) == []


def test_default_rate_is_plausible(config):
    train, _ = load_applications(config)
    assert 0.02 < train["defaulted"].mean() < 0.30
