"""Where the project's configuration and build outputs are."""

import os
from pathlib import Path

from mlops_course.cicd.config import ProjectConfig, load_config

PROJECT_DIR = Path(__file__).resolve().parents[1]
ARTIFACTS = PROJECT_DIR / "artifacts"


def load(environment: str | None = None) -> ProjectConfig:
    """The validated configuration for ``environment`` (default: $CREDIT_ENV, else dev)."""
    return load_config(PROJECT_DIR / "config", environment or os.environ.get("CREDIT_ENV", "dev"))
