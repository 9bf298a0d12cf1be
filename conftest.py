"""Test-suite wide settings, shared by package tests and nbval notebook runs.

Kernels that nbval starts inherit this process's environment, so setting it here gives
every notebook run a throwaway MLflow store and stable hashing.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import pytest

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


# Test files that grade one exercise per parameter, each for minutes: split by exercise across
# the xdist workers. Every other file stays whole on one worker (as --dist loadfile would keep
# it): a notebook's cells share one kernel, and module fixtures are built once.
SPLIT_BY_EXERCISE = (
    "tests/grading/test_the_tests.py",
    "tests/grading/test_mistakes.py",
    "tests/grading/test_runs_twice.py",
)


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(config, items) -> None:
    """Give every test an xdist group (``make test`` runs ``--dist loadgroup``): its file, or for
    the files above its file and exercise."""
    root = Path(str(config.rootpath))
    for item in items:
        if item.get_closest_marker("xdist_group"):
            continue
        path = Path(str(item.fspath))
        relative = path.relative_to(root).as_posix() if path.is_relative_to(root) else str(path)
        callspec = getattr(item, "callspec", None)
        group = f"{relative}[{callspec.id}]" if relative in SPLIT_BY_EXERCISE and callspec else relative
        item.add_marker(pytest.mark.xdist_group(group))
