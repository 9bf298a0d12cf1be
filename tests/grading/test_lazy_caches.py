"""Libraries fill lazy caches in the modules a test imports; that is not tampering.

urllib.parse builds its private ``_hextobyte`` table on the first ``unquote`` (boto3 makes
that call): an honest test that imports urllib.parse and triggers it must still pass, while
patching a public function of the same module during the test must still fail it.
"""

from __future__ import annotations

from pathlib import Path

import nbformat
import pytest

from helpers.grading_run import by_student, run_grade

pytestmark = pytest.mark.grading

STEM = "exlazy_cache"


def _notebook(solution: str, test: str) -> nbformat.NotebookNode:
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {
        "name": "mlops-course",
        "display_name": "Python 3 (MLOps course)",
        "language": "python",
    }
    nb.metadata["mlops_course"] = {"exercise": STEM}
    nb.cells = [
        nbformat.v4.new_code_cell(
            solution,
            metadata={
                "nbgrader": {
                    "schema_version": 3,
                    "grade_id": "answer",
                    "solution": True,
                    "grade": False,
                    "locked": False,
                }
            },
        ),
        nbformat.v4.new_code_cell(
            test,
            metadata={
                "nbgrader": {
                    "schema_version": 3,
                    "grade_id": "test_answer",
                    "grade": True,
                    "locked": True,
                    "points": 10,
                    "solution": False,
                }
            },
        ),
    ]
    return nb


def test_lazy_private_caches_do_not_fail_an_honest_test_but_patches_do(tmp_path: Path) -> None:
    source = tmp_path / "source"
    source.mkdir()
    honest = "### BEGIN SOLUTION\ndef decode(text):\n    import urllib.parse\n    return urllib.parse.unquote(text)\n### END SOLUTION"
    test = "import urllib.parse\nassert decode('%41%42') == 'AB'\nassert urllib.parse.unquote('%43') == 'C'"
    nbformat.write(_notebook(honest, test), source / f"{STEM}.ipynb")
    patched = "def decode(text):\n    import urllib.parse\n    urllib.parse.unquote = lambda *a, **k: 'AB' if a[0] == '%41%42' else 'C'\n    return 'AB'"
    submissions = tmp_path / "submissions"
    for student, answer in (("honest", honest), ("patcher", patched)):
        (submissions / student).mkdir(parents=True)
        nbformat.write(_notebook(answer, test), submissions / student / f"{STEM}.ipynb")
    results = by_student(run_grade(submissions, tmp_path / "grades", source=source))
    assert results["honest"]["score"] == 10, results["honest"]
    assert results["patcher"]["score"] == 0, results["patcher"]
