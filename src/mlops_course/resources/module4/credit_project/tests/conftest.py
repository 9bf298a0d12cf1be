"""Shared fixtures: a small sample of applications and a model trained on it (fast)."""

import pytest

from mlops_course.data import generate_applications

from credit_project.model import fit
from credit_project.settings import load


@pytest.fixture(scope="session")
def config():
    return load("dev")


@pytest.fixture(scope="session")
def applications():
    return generate_applications(4_000, seed=3)


@pytest.fixture(scope="session")
def model(applications, config):
    return fit(applications[applications["month"] < "2024-10"], config)
