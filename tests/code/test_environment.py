"""environment.yml and pyproject.toml carry the same pins, and the pins keep their promises."""

from __future__ import annotations

import tomllib

import yaml

from mlops_course.paths import PROJECT_ROOT

ROOT = PROJECT_ROOT


def _pyproject_dependencies() -> list[str]:
    return tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"]


def test_environment_yml_matches_pyproject() -> None:
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    assert "python=3.11" in env["dependencies"]
    pip_section = next(d["pip"] for d in env["dependencies"] if isinstance(d, dict) and "pip" in d)
    assert pip_section[-1] == "-e ."
    assert pip_section[:-1] == _pyproject_dependencies()


def test_fast_moving_libraries_are_pinned_exactly() -> None:
    pins = {d.split("==")[0].split("[")[0]: d for d in _pyproject_dependencies() if "==" in d}
    for name in ("mlflow", "evidently", "scikit-learn", "nbval", "jupyterlab"):
        assert name in pins, f"{name} must be pinned with == in pyproject.toml"
    assert pins["mlflow"].split("==")[1].startswith("3.")
    assert pins["evidently"].split("==")[1].startswith("0.7.")


def test_pandas_stays_below_3_for_evidently() -> None:
    pandas = next(d for d in _pyproject_dependencies() if d.startswith("pandas"))
    assert "<3" in pandas


def test_installed_versions_match_the_pins() -> None:
    from importlib.metadata import version

    for requirement in _pyproject_dependencies():
        if "==" in requirement:
            name, pinned = requirement.split("==")
            assert version(name.split("[")[0]) == pinned, requirement
    assert int(version("pandas").split(".")[0]) < 3
