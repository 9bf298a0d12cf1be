"""Every exercise runs top to bottom twice in a row in the same MLflow store and folder.

A learner re-runs a notebook after fixing a cell (Restart and Run All). The second run meets
the first one's registered models, aliases, runs and files, and must still pass. Each
reference solution runs as the learner has it, answers in place and hidden tests removed
(the grader runs those once, in a fresh store), twice, each time in a fresh kernel, in one
working folder and one SQLite MLflow store.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError

from mlops_course import paths
from mlops_course.environment import environment_variables
from mlops_course.grading.format import nbgrader_meta
from mlops_course.grading.release import strip_hidden

SOLUTIONS = sorted(paths.SOLUTIONS_DIR.glob("*.ipynb"))


def _run(notebook: Path, store: Path) -> None:
    """Execute ``notebook`` in its folder against ``store``; raise on the first failing cell."""
    nb = nbformat.read(notebook, as_version=4)
    for cell in nb.cells:
        if nbgrader_meta(cell).get("grade"):
            cell.source = strip_hidden(cell.source)
    with environment_variables({"MLFLOW_TRACKING_URI": f"sqlite:///{store}", "PYTHONHASHSEED": "0"}):
        client = NotebookClient(
            nb, timeout=300, kernel_name="mlops-course", resources={"metadata": {"path": str(notebook.parent)}}
        )
        client.execute()


@pytest.mark.grading
@pytest.mark.parametrize("solution", SOLUTIONS, ids=[p.stem for p in SOLUTIONS])
def test_solution_runs_twice_in_the_same_store(solution: Path, tmp_path: Path) -> None:
    notebook = tmp_path / solution.name
    shutil.copy(solution, notebook)
    store = tmp_path / "mlflow.db"
    for attempt in ("first", "second"):
        try:
            _run(notebook, store)
        except CellExecutionError as error:
            pytest.fail(f"{solution.stem} failed on its {attempt} run in the same MLflow store:\n{error}")
