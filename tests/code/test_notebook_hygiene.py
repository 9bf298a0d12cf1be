"""Notebooks are in their clean, committed form: outputs where they belong, none where not.

nbval (configured in pyproject.toml) re-runs notebooks/ and solutions/ and compares outputs;
these checks cover what nbval does not: sizes, kernels, structure, and red noise.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from mlops_course.paths import PROJECT_ROOT

ROOT = PROJECT_ROOT
MODULES = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
SOLUTIONS = sorted((ROOT / "solutions").glob("*.ipynb"))
EXERCISES = sorted((ROOT / "exercises").glob("*.ipynb"))
# The translated editions (notebooks/pt-BR/, ...): built from the English, held to the same rules.
TRANSLATED = sorted(
    p
    for folder in ("notebooks", "solutions")
    for p in (ROOT / folder).glob("*/*.ipynb")
    if not p.parent.name.startswith(".")
)
TRANSLATED_EXERCISES = sorted((ROOT / "exercises").glob("*/*.ipynb"))
KERNEL = {"name": "mlops-course", "display_name": "Python 3 (MLOps course)", "language": "python"}


def _load(path: Path) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))


def _code_cells(notebook: dict) -> list[dict]:
    return [c for c in notebook["cells"] if c["cell_type"] == "code"]


def _source(cell: dict) -> str:
    return "".join(cell["source"]) if isinstance(cell["source"], list) else cell["source"]


def _ids(paths: list[Path]) -> list[str]:
    return [p.relative_to(ROOT).as_posix() for p in paths]


@pytest.mark.parametrize("path", MODULES + SOLUTIONS + TRANSLATED, ids=_ids(MODULES + SOLUTIONS + TRANSLATED))
def test_executed_notebooks_store_outputs_and_stay_small(path: Path) -> None:
    notebook = _load(path)
    assert path.stat().st_size < 1_000_000, f"{path.name} is over 1 MB; save big reports to disk"
    code = _code_cells(notebook)
    assert any(c["outputs"] for c in code), (
        f"{path.name} has no stored outputs; run make execute NB={path.relative_to(ROOT)}"
    )
    counts = [c["execution_count"] for c in code if c["execution_count"] is not None]
    assert counts == sorted(counts), f"{path.name} was not executed top to bottom in one go"
    assert {k: notebook["metadata"]["kernelspec"].get(k) for k in KERNEL} == KERNEL


@pytest.mark.parametrize("path", MODULES + SOLUTIONS + TRANSLATED, ids=_ids(MODULES + SOLUTIONS + TRANSLATED))
def test_no_red_noise_in_stored_outputs(path: Path) -> None:
    for index, cell in enumerate(_code_cells(_load(path))):
        for output in cell["outputs"]:
            if output.get("output_type") == "stream" and output.get("name") == "stderr":
                text = "".join(output["text"])[:200]
                pytest.fail(f"{path.name} code cell {index} writes to stderr (warnings/log noise): {text!r}")
            assert output.get("output_type") != "error", f"{path.name} code cell {index} stored an error"


@pytest.mark.parametrize("path", MODULES, ids=_ids(MODULES))
def test_module_opens_with_objectives_and_time_and_closes_with_reading(path: Path) -> None:
    cells = _load(path)["cells"]
    first = _source(cells[0]).lower()
    assert cells[0]["cell_type"] == "markdown"
    assert "objective" in first, f"{path.name}: the first cell states the learning objectives"
    assert "minutes" in first or "hour" in first, f"{path.name}: the first cell gives a time estimate"
    tail = " ".join(_source(c).lower() for c in cells[-3:] if c["cell_type"] == "markdown")
    assert "further reading" in tail, f"{path.name}: the closing cells point to further reading"
    assert "check your understanding" in " ".join(_source(c).lower() for c in cells if c["cell_type"] == "markdown")


@pytest.mark.parametrize("path", EXERCISES + TRANSLATED_EXERCISES, ids=_ids(EXERCISES + TRANSLATED_EXERCISES))
def test_exercises_have_no_outputs(path: Path) -> None:
    for cell in _code_cells(_load(path)):
        assert not cell["outputs"] and cell["execution_count"] is None, f"{path.name} has stored outputs"


def test_six_modules_in_order() -> None:
    prefixes = [p.name[:2] for p in MODULES]
    assert prefixes == sorted(prefixes)
    assert len(MODULES) <= 6
