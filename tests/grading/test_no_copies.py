"""No answer is copied from a module: no solution cell shares half or more of its lines with a module notebook.

A line counts when, stripped, it is at least 12 characters long and is not an import or a
comment: short idioms (``return result``) and imports are shared by any two notebooks. A
module line is any line of a module notebook's code or of its printed (text) output.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from mlops_course.grading.release import BEGIN_SOLUTION, END_SOLUTION
from mlops_course.paths import PROJECT_ROOT

SOLUTIONS = sorted((PROJECT_ROOT / "solutions").glob("*.ipynb"))
MODULES = sorted((PROJECT_ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
MAX_SHARED = 0.5
MIN_CHARS = 12


def _text(value: object) -> str:
    return "".join(value) if isinstance(value, list) else str(value or "")


def _counted(line: str) -> str | None:
    line = line.strip()
    if len(line) < MIN_CHARS or line.startswith(("#", "import ", "from ")):
        return None
    return line


def module_lines() -> set[str]:
    """Every counted line of the module notebooks' code and text outputs."""
    lines: set[str] = set()
    for path in MODULES:
        for cell in json.loads(path.read_text(encoding="utf-8"))["cells"]:
            if cell["cell_type"] != "code":
                continue
            texts = [_text(cell["source"])]
            for output in cell.get("outputs", []):
                texts.append(_text(output.get("text")))
                texts.append(_text((output.get("data") or {}).get("text/plain")))
            lines.update(filter(None, (_counted(line) for text in texts for line in text.splitlines())))
    return lines


def solution_regions(path: Path) -> dict[str, list[str]]:
    """The counted lines of each solution cell's answer, by grade id."""
    regions: dict[str, list[str]] = {}
    for cell in json.loads(path.read_text(encoding="utf-8"))["cells"]:
        meta = cell.get("metadata", {}).get("nbgrader", {})
        if not meta.get("solution") or meta.get("grade") or cell["cell_type"] != "code":
            continue
        inside, answer = False, []
        for line in _text(cell["source"]).splitlines():
            if line.strip().startswith(BEGIN_SOLUTION):
                inside = True
            elif line.strip().startswith(END_SOLUTION):
                inside = False
            elif inside and (counted := _counted(line)):
                answer.append(counted)
        regions[str(meta.get("grade_id"))] = answer
    return regions


def copied_cells(path: Path, shared: set[str]) -> dict[str, str]:
    """Solution cells of ``path`` sharing at least :data:`MAX_SHARED` of their counted lines with ``shared``."""
    copied = {}
    for grade_id, lines in solution_regions(path).items():
        share = sum(line in shared for line in lines) / len(lines) if lines else 0.0
        if share >= MAX_SHARED:
            copied[grade_id] = f"{share:.0%} of {len(lines)} lines"
    return copied


@pytest.mark.parametrize("path", SOLUTIONS, ids=[p.stem for p in SOLUTIONS])
def test_no_solution_cell_is_copied_from_a_module(path: Path) -> None:
    copied = copied_cells(path, module_lines())
    assert not copied, f"solution cells sharing half or more of their lines with a module: {copied}"


def test_the_check_catches_a_cell_pasted_from_module_4(tmp_path: Path) -> None:
    module = json.loads(next(p for p in MODULES if p.name.startswith("04_")).read_text(encoding="utf-8"))
    source = next(
        _text(c["source"])
        for c in module["cells"]
        if c["cell_type"] == "code" and sum(bool(_counted(line)) for line in _text(c["source"]).splitlines()) >= 4
    )
    pasted = {"metadata": {"nbgrader": {"solution": True, "grade": False, "grade_id": "pasted"}}, "cell_type": "code"}
    pasted["source"] = f"{BEGIN_SOLUTION}\n{source}\n{END_SOLUTION}\n"
    honest = dict(pasted, metadata={"nbgrader": {"solution": True, "grade": False, "grade_id": "honest"}})
    honest["source"] = (
        f"{BEGIN_SOLUTION}\nanswer_written_by_the_learner = 42\nprint(answer_written_by_the_learner)\n{END_SOLUTION}\n"
    )
    notebook = tmp_path / "ex9.ipynb"
    notebook.write_text(json.dumps({"cells": [pasted, honest]}), encoding="utf-8")
    assert list(copied_cells(notebook, module_lines())) == ["pasted"]
