"""Test-suite wide settings, shared by package tests and nbval notebook runs.

Kernels that nbval starts inherit this process's environment, so setting it here gives
every notebook run a throwaway MLflow store and stable hashing.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

# Exercises are generated and raise NotImplementedError by design; grader fixtures under
# tests/ are inputs, not notebooks to validate.
collect_ignore_glob = ["exercises/*", "tests/**/*.ipynb", ".venv/*", "grades/*", "submissions/*"]


def pytest_configure(config) -> None:
    """Give this test process (and the kernels it starts) its own throwaway MLflow store."""
    store = Path(tempfile.mkdtemp(prefix="mlops-course-tests-"))
    os.environ["MLFLOW_TRACKING_URI"] = f"sqlite:///{store / 'mlflow.db'}"
    os.environ["PYTHONHASHSEED"] = "0"
    os.environ.setdefault("MPLBACKEND", "Agg")


def pytest_runtest_setup(item) -> None:
    """Tell a notebook's kernel which notebook it runs, as Jupyter Server does (``JPY_SESSION_NAME``).

    nbval starts the kernel when a notebook's first cell is set up, after this hook; the
    package reads the notebook's language from it (``mlops_course.i18n``).
    """
    path = Path(str(item.fspath))
    if path.suffix == ".ipynb":
        os.environ["JPY_SESSION_NAME"] = str(path.resolve())
    else:  # package tests run in this process: no notebook, so no notebook language
        os.environ.pop("JPY_SESSION_NAME", None)
