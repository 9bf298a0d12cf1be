"""The translated exercises under the real grader, in one class run.

Every ``solutions/<lang>/`` reference solution earns full marks (written answers pending)
and its untouched release earns 0, graded against the instructor notebook of its own
language (chosen from the submission's metadata), with feedback in that language. An
English submission in the same run is still graded against the English notebook.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from mlops_course.grading.format import read_instructor
from mlops_course.grading.jobs import Limits
from mlops_course.grading.release import notebook_bytes, release_notebook
from mlops_course.i18n import LANGUAGES
from mlops_course.paths import PROJECT_ROOT

from helpers.grading_run import run_grade

SOLUTIONS = PROJECT_ROOT / "solutions"
TRANSLATED = sorted(p for lang in LANGUAGES[1:] for p in (SOLUTIONS / lang).glob("*.ipynb"))
LIMITS = Limits(cell_timeout=300, notebook_timeout=900)

pytestmark = pytest.mark.grading


@pytest.fixture(scope="module")
def graded(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    assert TRANSLATED, "no translated instructor notebooks: run mlops-course translate build"
    root = tmp_path_factory.mktemp("translated")
    for path in TRANSLATED:
        lang = path.parent.name
        nb, _spec, data = read_instructor(path)
        for student, payload in ((f"{lang}_full", data), (f"{lang}_released", notebook_bytes(release_notebook(nb)))):
            (root / "submissions" / student).mkdir(parents=True, exist_ok=True)
            (root / "submissions" / student / path.name).write_bytes(payload)
    warmup = SOLUTIONS / "ex0_how_exercises_work.ipynb"
    (root / "submissions" / "en_full").mkdir()
    (root / "submissions" / "en_full" / warmup.name).write_bytes(warmup.read_bytes())
    results = run_grade(root / "submissions", root / "grades", LIMITS, source=SOLUTIONS)
    return {"root": root, "results": {(r["student_id"], r["exercise"]): r for r in results}}


@pytest.mark.parametrize("path", TRANSLATED, ids=[f"{p.parent.name}-{p.stem}" for p in TRANSLATED])
def test_translated_solution_full_marks_and_release_zero(graded: dict[str, Any], path: Path) -> None:
    lang, spec = path.parent.name, read_instructor(path)[1]
    full = graded["results"][(f"{lang}_full", path.stem)]
    failing = [(t["grade_id"], t["outcome"], t["message"]) for t in full["tests"] if t["outcome"] != "passed"]
    assert full["status"] == "graded", full["message"]
    assert not failing
    manual = sum(c.points for c in spec.manual)
    assert full["score"] == spec.max_score - manual and full["pending_points"] == manual
    assert full["language"] == lang
    released = graded["results"][(f"{lang}_released", path.stem)]
    assert released["status"] == "graded", released["message"]
    assert released["score"] == 0, [t["grade_id"] for t in released["tests"] if t["outcome"] == "passed"]


def test_feedback_follows_the_submission_language(graded: dict[str, Any]) -> None:
    feedback = graded["root"] / "grades" / "feedback"
    translated = TRANSLATED[0]
    page = (feedback / f"{translated.parent.name}_full" / f"{translated.stem}.html").read_text(encoding="utf-8")
    assert f"lang='{translated.parent.name}'" in page and "Nota" in page and "teste" in page
    english = graded["results"][("en_full", "ex0_how_exercises_work")]
    manual = sum(c.points for c in read_instructor(SOLUTIONS / "ex0_how_exercises_work.ipynb")[1].manual)
    assert english["language"] == "en" and english["score"] == english["max_score"] - manual
    page = (feedback / "en_full" / "ex0_how_exercises_work.html").read_text(encoding="utf-8")
    assert "lang='en'" in page and "Score" in page
