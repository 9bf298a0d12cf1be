"""What the fast path's kernel template imports (:mod:`mlops_course.grading.preload`)."""

from __future__ import annotations

from pathlib import Path

import nbformat
import pytest

from mlops_course import paths
from mlops_course.grading import fork_provisioner, preload

pytestmark = pytest.mark.grading


def _notebook(*cells: tuple[str, dict], preload_meta: list[str] | None = None) -> nbformat.NotebookNode:
    nb = nbformat.v4.new_notebook()
    for source, nbgrader in cells:
        nb.cells.append(nbformat.v4.new_code_cell(source, metadata={"nbgrader": nbgrader} if nbgrader else {}))
    if preload_meta is not None:
        nb.metadata["mlops_course"] = {"preload": preload_meta}
    return nb


def test_setup_tests_and_reference_solutions_are_all_preloaded() -> None:
    nb = _notebook(
        ("import json\nfrom __future__ import annotations", {}),
        ("from fractions import Fraction", {"solution": True, "grade_id": "answer"}),
        ("### BEGIN HIDDEN TESTS\nimport decimal\n### END HIDDEN TESTS", {"grade": True, "grade_id": "t"}),
        ("def broken(:", {"grade": True, "grade_id": "t2"}),  # a cell that does not parse adds nothing
    )
    assert preload.modules_for([nb]) == ["decimal", "fractions", "json"]


def test_what_a_module_imports_at_first_use_comes_with_it() -> None:
    nb = _notebook(("from mlops_course.tracking import configure\nimport evidently.core.report", {}))
    modules = preload.modules_for([nb])
    assert {"mlops_course.tracking", "evidently.core.report"} <= set(modules)
    assert set(preload.LATER["mlops_course.tracking"]) <= set(modules)
    assert set(preload.LATER["evidently"]) <= set(modules)  # through its submodule's import
    assert "moto" not in modules and "kfp.local" not in modules  # only what this notebook uses


def test_a_notebook_may_declare_more() -> None:
    nb = _notebook(("import json", {}), preload_meta=["csv"])
    assert preload.modules_for([nb]) == ["csv", "json"]


def test_every_exercise_preloads_in_one_thread_and_nothing_fails(tmp_path: Path) -> None:
    """What every exercise (both languages) makes the template import exists, imports, and starts
    no thread: a missing module would be skipped silently, and a thread would turn the fast path off."""
    ok, why = fork_provisioner.availability()
    if not ok:
        pytest.skip(f"fast path unavailable here: {why}")
    notebooks = [nbformat.read(p, as_version=4) for p in sorted(paths.SOLUTIONS_DIR.rglob("*.ipynb"))]
    assert len(notebooks) >= 12
    modules = preload.modules_for(notebooks)
    for name in ("evidently.presets", "mlflow.store.tracking.sqlalchemy_store", "kfp.local", "moto.ec2.models"):
        assert name in modules
    template = fork_provisioner.Template(modules, tmp_path / "template")
    try:
        assert template.info == {"ready": True, "threads": 1, "failed": []}
    finally:
        template.stop()


def test_kfp_steps_find_their_imports_in_the_template() -> None:
    """A kernel that forks its KFP step server (kfp_prefork) hands it everything the server preloads."""
    from mlops_course.workflows import kfp_fork

    nb = _notebook(("from mlops_course.workflows.kfp_local import init_local_runner", {}))
    assert set(kfp_fork.PRELOAD) <= set(preload.modules_for([nb]))
